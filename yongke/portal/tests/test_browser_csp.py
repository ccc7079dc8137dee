"""The Content Security Policy breaks no page: each role's main pages in Chromium report no
violation (the `securitypolicyviolation` event, and the console's CSP messages)."""

from __future__ import annotations

from playwright.sync_api import Page

from yongke.portal.tests.conftest import an_application, portal_world
from yongke.portal.tests.test_browser import browser, page, sign_in, sign_out  # noqa: F401 - the browser fixtures

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _visit(pg: Page, path: str, console: list[str]) -> list[str]:
    pg.goto(path)
    pg.wait_for_load_state("networkidle")
    found = pg.evaluate("() => window.__csp || []")
    found += [m for m in console if "Content Security Policy" in m]
    console.clear()
    return [f"{path}: {v}" for v in found]


def test_no_page_of_any_role_violates_the_csp(page: Page, live_server, transactional_db, settings):  # noqa: F811
    settings.YONGKE_JOB_BACKEND = "immediate"
    world = portal_world()
    app = an_application(world, "submitted")
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.add_init_script(LISTEN)
    response = page.goto("/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]

    violations: list[str] = []
    for path in ("/", "/match/", "/accounts/login/"):
        violations += _visit(page, path, console)
    for who, paths in (
        (world.applicant, ["/home/", "/my/applications/", f"/applications/{app.pk}/", "/notifications/"]),
        (
            world.officer,
            ["/officer/", "/officer/queue/", f"/applications/{app.pk}/", "/officer/calls/", "/dashboard/", "/office/portfolio/"],
        ),
        (world.expert, ["/expert/"]),
    ):
        sign_in(page, who.username)
        for path in paths:
            violations += _visit(page, path, console)
        sign_out(page)
    assert not violations, violations
