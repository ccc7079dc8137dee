"""The `yongke` commands for `crypto rotate`: personal data re-encrypted under the newest field key."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's verbs to the yongke command."""
