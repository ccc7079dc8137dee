"""`yongke openapi`: print the API's OpenAPI 3 document as JSON."""

from __future__ import annotations

import argparse

from yongke.cli.common import EXIT_OK, django_setup, emit


def cmd_openapi(args: argparse.Namespace) -> int:
    django_setup(migrate=False)
    from yongke.api.main import openapi_document

    emit(openapi_document())
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `openapi` to the yongke command."""
    p = sub.add_parser("openapi", help="打印 JSON 接口的 OpenAPI 3 文档 / print the API's OpenAPI document")
    p.set_defaults(func=cmd_openapi)
