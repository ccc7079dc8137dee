"""The officer's decision on an incomplete review, in Chromium: the ranking shows "已评 1/3" and
"评审未完成" (never 线上), 拟立项 is refused naming what is missing, a recorded reason lets it
through and shows in the timeline; then the expert pool is searched. Runs as test_browser.py
does (Debian's Chromium driven by Playwright against the live server; screenshots and axe-core)."""

from __future__ import annotations

import re

from django.db import connection
from playwright.sync_api import Page, expect

from yongke.portal.tests.conftest import an_application, portal_world
from yongke.portal.tests.test_browser import axe, browser, page, shot, sign_in  # noqa: F401 - the fixtures and helpers of the journeys
from yongke.review import services as review
from yongke.review.models import ReviewAssignment
from yongke.testing import TEST, make_org, make_person, make_user

POINTS: dict[str, float] = {"innovation": 80, "feasibility": 70, "benefit": 90, "team": 60}


def test_an_incomplete_review_is_ranked_apart_and_decided_only_with_a_reason(page: Page, live_server, transactional_db, settings):  # noqa: F811
    if connection.vendor == "sqlite":
        settings.YONGKE_JOB_BACKEND = "immediate"  # background work in the request's thread (see test_browser.py)
    world = portal_world()
    app = an_application(world, "expert_review")
    university = make_org(district="450107", name="广西浏览器测试大学")
    for i in range(3):
        user = world.expert if i == 0 else make_user("expert")
        review.expert_add(
            actor=TEST,
            person=make_person(university if i == 0 else make_org(district="450107"), name=f"评审专家{i + 1}", user=user),
            organisation=university if i == 0 else None,
            fields=["C3612"],
            keywords=["测试", "储能" if i == 0 else "电机"],
            user=user,
        )
    rnd = review.review_round_run(actor=world.officer, call=world.call, k=3, max_load=3)
    assert rnd.status == "assigned"
    first = ReviewAssignment.objects.filter(round=rnd, application=app).select_related("expert__user").order_by("id")[0]
    scorer = first.expert.user
    assert scorer is not None
    review.invitation_respond(actor=scorer, assignment=first, accept=True, statement="本人与该申报无利益冲突")
    review.score_submit(actor=scorer, assignment=first, points=POINTS, comment="技术路线清楚")

    sign_in(page, "officer")
    page.goto("/officer/ranking/")
    row = page.locator(f"tr[data-app='{app.pk}']")
    expect(row).to_contain_text("已评 1/3")
    expect(row).to_contain_text("评审未完成")
    expect(row).to_have_attribute("data-funded", "0")
    expect(row).not_to_contain_text("线上")
    expect(page.locator("table[data-ranked]")).to_have_count(0)  # nothing is ranked: no review is complete
    shot(page, "20-ranking-incomplete")
    axe(page, live_server)

    # 拟立项 on the application page is refused, saying how many have scored.
    page.goto(f"/applications/{app.pk}/")
    page.fill("#amount-fund", "800000")
    page.click("button[data-action=fund]")
    expect(page.locator(".messages")).to_contain_text("3 位专家中 1 位已评分")
    expect(page.locator(".state")).to_have_attribute("data-state", "expert_review")

    # The officer records why the decision cannot wait; then 拟立项 goes through and the timeline says why.
    page.goto("/officer/ranking/")
    page.fill(f"#waive-{app.pk}", "其余两位专家因故无法评审，经处务会研究决定")
    page.click(f"tr[data-app='{app.pk}'] button:has-text('记录理由')")
    expect(page.locator(".messages")).to_contain_text("理由已记录")
    expect(page.locator(f"tr[data-app='{app.pk}'] [data-waiver]")).to_contain_text("处务会研究决定")
    page.goto(f"/applications/{app.pk}/")
    page.fill("#amount-fund", "800000")
    page.click("button[data-action=fund]")
    expect(page.locator(".state")).to_have_attribute("data-state", "funded")
    expect(page.locator(".timeline")).to_contain_text("评审未完成即决定")
    expect(page.locator(".timeline")).to_contain_text("其余两位专家因故无法评审，经处务会研究决定")
    shot(page, "21-funded-with-reason")

    # The expert pool, searched from the menu.
    page.click("nav a[href='/officer/experts/']")
    expect(page).to_have_url(re.compile(r"/officer/experts/$"))
    expect(page.locator("#experts tbody tr")).to_have_count(3)
    page.fill("#x-q", "储能")
    page.click("#expert-search button[type=submit]")
    expect(page.locator("#experts tbody tr")).to_have_count(1)
    expect(page.locator("#experts tbody tr")).to_contain_text("广西浏览器测试大学")
    shot(page, "22-expert-pool")
    axe(page, live_server)
