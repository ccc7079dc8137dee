"""The `yongke` commands for `token list`, `token revoke`: API tokens."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's verbs to the yongke command."""
