"""`yongke project …` verbs (filled in by its own change)."""

from __future__ import annotations

import argparse


def register(psub: argparse._SubParsersAction) -> None:
    """Add this module's verbs to `yongke project`."""
