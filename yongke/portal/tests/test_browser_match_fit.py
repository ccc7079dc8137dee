"""我能申报什么 ordered by fit, in Chromium: an anonymous visitor says it is a hospital, and the
results reorder through htmx — the health directions first with their reasons, 1.1 far below
marked 不在本单位领域. Runs as test_browser.py does (Debian's Chromium driven by Playwright
against the live server; a screenshot and axe-core)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from yongke.portal.tests.conftest import portal_world
from yongke.portal.tests.test_browser import axe, browser, page, shot  # noqa: F401 - the fixtures and helpers of the journeys

HEALTH = {"8.1", "8.2", "8.3", "19.1", "19.2", "19.3", "19.4", "20.3", "31.1"}


def test_a_hospital_tells_its_type_and_industry_and_sees_its_directions_first(page: Page, live_server, transactional_db):  # noqa: F811
    portal_world()
    page.goto("/match/")
    page.check("input[name=leading_enterprise][value=true]")
    expect(page.locator("#ok-h")).to_be_visible()
    page.select_option("select[name=org_kind]", "hospital")
    page.select_option("select[name=org_industry]", "Q84")
    results = page.locator("#match-results")
    expect(results).to_contain_text("按与本单位的相关程度排序")
    expect(results).to_contain_text("行业 Q84 卫生")
    opened = page.locator("#ok-h + p + p + ul > li")  # the 可以申报 list after its two hints
    first = opened.first.get_attribute("data-direction")
    assert first in HEALTH
    outside = page.locator('#match-results li[data-direction="1.1"]')
    expect(outside).to_contain_text("不在本单位领域")
    ids = [li.get_attribute("data-direction") for li in opened.all()]
    assert ids.index("1.1") >= 10
    shot(page, "14b-match-fit")
    axe(page, live_server)
