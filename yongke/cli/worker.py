"""The `yongke` commands for `worker`, `scheduler`: the background worker and the periodic jobs."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's verbs to the yongke command."""
