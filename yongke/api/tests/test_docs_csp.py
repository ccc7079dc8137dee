"""The API docs page keeps the CSP: no inline <style> or executable <script>, and every
stylesheet and script it links is served (200) by the same server, with the policy sent."""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import urljoin

DOCS = "/api/v1/docs"


def _get(url: str) -> tuple[int, dict[str, str], str]:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode("utf-8", "replace")


def test_the_docs_page_has_no_inline_style_or_script(client):
    page = client.get(DOCS)
    html = page.content.decode()
    assert page.status_code == 200
    assert "style-src-elem 'self'" in page["Content-Security-Policy"]
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "<style" not in html.lower()
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE):
        # A JSON data block is never executed (Swagger UI's settings); every other script is a file.
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert 'href="/static/portal/api-docs.css"' in html


def test_every_stylesheet_and_script_of_the_docs_page_resolves(live_server):
    status, headers, html = _get(live_server.url + DOCS)
    assert status == 200
    assert "default-src 'self'" in headers["content-security-policy"]
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(r'<script src="([^"]+)"', html)
    assert "/static/portal/api-docs.css" in links
    assert len(links) == 4  # Swagger UI's stylesheet and two scripts, and the page's own stylesheet
    for href in links:
        code, linked, body = _get(urljoin(live_server.url, href))
        assert code == 200, href
        assert body.strip(), href
    code, linked, css = _get(urljoin(live_server.url, "/static/portal/api-docs.css"))
    assert linked["content-type"].startswith("text/css")
    assert ".ops td" in css
