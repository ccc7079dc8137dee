"""The 公示 journey in Chromium: a visitor reads the 公示 (its start, its end at 24:00 of the last
working day, the contact), lodges an objection online — first with nothing filled, seeing every
problem at once — then named, with a contact and reasons; the officer finds it on the 公示 page,
records how it was handled; the public result lists it. The officer also opens a call."""

from __future__ import annotations

import re

from django.db import connection
from playwright.sync_api import Page, expect

from yongke.applications.models import Call
from yongke.core.workdays import format_deadline
from yongke.portal.tests.conftest import an_application, portal_world
from yongke.portal.tests.test_browser import axe, browser, page, shot, sign_in, sign_out  # noqa: F401 - the browser fixtures
from yongke.publicity.models import Objection


def test_an_objection_is_lodged_online_and_handled_by_the_officer(page: Page, live_server, transactional_db, settings):  # noqa: F811
    if connection.vendor == "sqlite":
        settings.YONGKE_JOB_BACKEND = "immediate"  # as the other journeys (see test_browser.py)
    world = portal_world()
    app = an_application(world, "published", title="智能网联公交示范线")

    # --- a visitor reads the 公示 and opens the objection form
    page.goto("/publicity/")
    row = page.locator(f"tr[data-app='{app.pk}']")
    expect(row).to_contain_text("异议期内")
    expect(row.locator("[data-period]")).to_contain_text(f"至 {format_deadline(app.objection_ends_at)}")
    expect(row.locator("[data-period]")).to_contain_text("5 个工作日")
    expect(page.locator("[data-contact]").first).to_contain_text("南宁市科学技术局")
    axe(page, live_server)
    row.get_by_role("link", name=re.compile("提出异议")).click()
    expect(page).to_have_url(re.compile(rf"/publicity/{app.pk}/objection/$"))

    # --- nothing filled: every problem at once, each named by its label
    page.click("#objection-form button[type=submit]")
    errors = page.locator("#form-errors")
    expect(errors).to_contain_text("请填写「异议人（姓名或单位名称）」")
    expect(errors).to_contain_text("请填写「联系方式」")
    expect(errors).to_contain_text("请填写「异议内容及理由」")
    axe(page, live_server)

    # --- named, with a contact and reasons
    page.fill("#id_name", "孙七")
    page.fill("#id_contact", "13912345678")
    page.fill("#id_reasons", "项目负责人同期主持另一项市级科技计划项目，超出限项规定。")
    shot(page, "publicity-objection-form")
    page.click("#objection-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("您的异议已受理")
    objection = Objection.objects.get(application=app)
    assert (objection.name, objection.contact, objection.outcome) == ("孙七", "13912345678", "pending")

    # --- the officer finds it and records how it was handled
    sign_in(page, world.officer.username)
    page.goto("/officer/publicity/")
    entry = page.locator(f"#obj-{objection.pk}")
    expect(entry).to_contain_text("孙七")
    expect(entry).to_contain_text("13912345678")
    expect(entry).to_contain_text("超出限项规定")
    expect(page.locator(f"tr[data-app='{app.pk}']")).to_contain_text("1 件待处理")
    axe(page, live_server)
    entry.locator("select").select_option("dismissed")
    entry.locator("textarea").fill("经核查，该负责人另一项目已于2025年结题验收，不超出限项。")
    entry.get_by_role("button", name="记录处理情况").click()
    expect(page.locator(".messages")).to_contain_text("处理情况已记录")
    expect(page.locator(f"#obj-{objection.pk}")).to_contain_text("异议不成立")
    shot(page, "officer-publicity")
    sign_out(page)

    # --- the public result lists it, without who objected
    page.goto("/publicity/")
    result = page.locator(f"tr[data-app='{app.pk}'] [data-result]")
    expect(result).to_contain_text("收到异议 1 件")
    expect(result).to_contain_text("异议不成立：经核查，该负责人另一项目已于2025年结题验收，不超出限项。")
    expect(page.locator("main")).not_to_contain_text("孙七")
    objection.refresh_from_db()
    assert objection.outcome == "dismissed"
    assert objection.handled_by == world.officer


def test_an_officer_opens_a_call_in_the_portal(page: Page, live_server, transactional_db, settings):  # noqa: F811
    if connection.vendor == "sqlite":
        settings.YONGKE_JOB_BACKEND = "immediate"
    world = portal_world()
    sign_in(page, world.officer.username)
    page.goto("/officer/calls/")
    page.click("#call-new")
    page.fill("#id_name", "")
    page.click("#call-form button[type=submit]")
    expect(page.locator("#form-errors")).to_contain_text("请填写「批次名称」")
    expect(page.locator("#form-errors")).to_contain_text("至少选择一个方向")
    page.fill("#id_name", "浏览器发布的批次")
    page.click("details[data-programme='1'] summary")  # the programmes are folded until one is chosen
    page.check("#dir-1\\.1")
    page.fill("[name='budget__1.1']", "1200")
    shot(page, "officer-call-form")
    axe(page, live_server)
    page.click("#call-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已发布")
    expect(page.locator("tbody")).to_contain_text("浏览器发布的批次")
    call = Call.objects.get(name="浏览器发布的批次")
    assert call.directions == ["1.1"]
    assert call.budgets == {"1.1": 12_000_000}
