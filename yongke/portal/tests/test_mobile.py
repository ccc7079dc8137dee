"""The queue and list pages on a 390 × 844 phone, in Chromium: nothing wider than the screen (the
page never scrolls sideways; a wide table scrolls inside its own box or stacks its rows) and
the 状态 of every application is on screen. Runs as test_browser.py does."""

from __future__ import annotations

import pytest
from django.db import connection
from playwright.sync_api import Browser, Page, ViewportSize

from yongke.portal.tests.conftest import an_application, portal_world
from yongke.portal.tests.test_browser import ARTIFACTS, browser  # noqa: F401 - the browser fixture of the journeys
from yongke.testing import PASSWORD

PHONE: ViewportSize = {"width": 390, "height": 844}
LONG = "南宁市新能源汽车动力电池梯次利用与储能系统集成关键技术研究及产业化示范应用项目"


def _phone(browser: Browser, live_server, username: str) -> Page:  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True)
    context.set_default_timeout(30_000)  # as the journeys (test_browser.py): two test processes share two cores
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    return page


def _fits(page: Page, path: str, shot: str) -> None:
    page.goto(path)
    page.screenshot(path=str(ARTIFACTS / f"mobile-{shot}.png"), full_page=True)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path}: the page is {width}px wide on a {PHONE['width']}px screen"
    # Each application's state: its cell is inside the screen, not cut off or scrolled away.
    states = page.locator("tbody tr[data-app] .state")
    assert states.count() > 0, f"{path}: no application rows"
    for i in range(states.count()):
        box = states.nth(i).bounding_box()
        assert box is not None, f"{path}: the state of row {i + 1} is hidden"
        assert box["x"] >= 0, f"{path}: the state of row {i + 1} is off-screen at x={box['x']}"
        assert box["x"] + box["width"] <= PHONE["width"], f"{path}: the state of row {i + 1} is off-screen at x={box['x']}"
        assert states.nth(i).is_visible()


@pytest.fixture
def in_request(settings):
    if connection.vendor == "sqlite":
        settings.YONGKE_JOB_BACKEND = "immediate"  # background work in the request's thread (see test_browser.py)


@pytest.mark.usefixtures("in_request")
def test_queue_and_list_pages_fit_a_390px_phone_with_the_state_visible(browser, live_server, transactional_db):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    world = portal_world()
    an_application(world, "draft", title=LONG)
    for state in ("submitted", "recommended"):
        an_application(world, state, title=f"{LONG}（{state}）")
    an_application(world, "funded", title=f"{LONG}（已立项）")

    page = _phone(browser, live_server, world.applicant.username)
    _fits(page, "/my/applications/", "my-applications")
    page.context.close()

    page = _phone(browser, live_server, world.recommender.username)
    _fits(page, "/recommend/", "recommend-queue")
    _fits(page, "/recommend/?state=all", "recommend-all")
    page.context.close()

    page = _phone(browser, live_server, world.officer.username)
    _fits(page, "/officer/queue/?funding=pre&state=recommended", "officer-queue")
    page.goto("/officer/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()

    page = _phone(browser, live_server, world.finance.username)
    _fits(page, "/finance/", "finance")
    page.context.close()


@pytest.mark.usefixtures("in_request")
def test_the_calls_and_audit_lists_fit_a_390px_phone(browser, live_server, transactional_db):  # noqa: F811
    world = portal_world()
    an_application(world, "submitted", title=LONG)
    for username, path in ((world.applicant.username, "/calls/"), (world.auditor.username, "/audit/")):
        page = _phone(browser, live_server, username)
        page.goto(path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path}: the page is {width}px wide on a {PHONE['width']}px screen"
        page.context.close()
