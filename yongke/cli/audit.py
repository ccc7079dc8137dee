"""The `yongke` commands for `audit verify`: the audit log's hash chain checked end to end."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's verbs to the yongke command."""
