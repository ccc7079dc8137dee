"""Keeps the web request's client address for the audit log (`audit_record` reads it)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from yongke.audit import context


class AuditAddressMiddleware:
    """REMOTE_ADDR is the client, unless that peer is listed in `YONGKE_TRUSTED_PROXIES`; then
    the client is read from X-Forwarded-For (see `context.client_address`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.trusted = context.networks(getattr(settings, "YONGKE_TRUSTED_PROXIES", []))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.get("REMOTE_ADDR") or ""
        client = context.client_address(peer, request.META.get("HTTP_X_FORWARDED_FOR"), self.trusted)
        token = context.set_source(context.Source(peer=peer, client=client) if client else None)
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
