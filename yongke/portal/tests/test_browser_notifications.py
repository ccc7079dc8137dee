"""The notifications journey in Chromium: an officer returns an application for 补正 on its
page; the applicant signs in, sees the unread count in the header, finds the request in the
inbox (and in the email outbox), marks it read and switches email off for that kind."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import Page, expect

from yongke.notifications.models import Notification, Preference
from yongke.notifications.services import notifications_mark_all_read
from yongke.orgs.services import person_create
from yongke.orgs.validators import id_with_check
from yongke.portal.tests.conftest import an_application, portal_world
from yongke.portal.tests.test_browser import axe, browser, page, shot, sign_in, sign_out  # noqa: F401 - the browser fixtures
from yongke.testing import TEST


def test_a_correction_request_reaches_the_inbox_and_the_email_outbox(page: Page, live_server, transactional_db, settings):  # noqa: F811
    # Deliveries run as each step commits: the set-up's own news must be in the inbox before it is
    # marked read (on the thread backend they could land after, on PostgreSQL); and SQLite's shared
    # in-memory test database cannot serve a second thread.
    settings.YONGKE_JOB_BACKEND = "immediate"
    world = portal_world()
    person_create(
        actor=TEST,
        name="王五",
        id_number=id_with_check("45010319900101234"),
        organisation=world.org,
        email="wangwu@example.cn",
        phone="13800001111",
        user=world.applicant,
    )
    app = an_application(world, "recommended")
    notifications_mark_all_read(actor=world.applicant)  # the set-up's own news (推荐) is read already
    mail.outbox.clear()

    # --- the officer returns it for correction on its page
    sign_in(page, world.officer.username)
    page.goto(f"/applications/{app.pk}/")
    form = page.locator("form[aria-label='退回补正']")
    form.locator("textarea[name=comment]").fill("请补充近三年的审计报告")
    form.locator("button[data-action=return]").click()
    expect(page.locator(".messages")).to_contain_text("已办理")
    sign_out(page)

    # --- the applicant sees one unread in the header and the request in the inbox
    sign_in(page, world.applicant.username)
    expect(page.locator("#unread-count")).to_have_text("1")
    page.click("#inbox-link")
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    entry = page.locator("#inbox li").first
    expect(entry).to_contain_text(f"申报需补正：{app.title}")
    expect(entry).to_contain_text("补正要求：请补充近三年的审计报告")
    shot(page, "notifications-inbox")
    axe(page, live_server)
    assert [(m.to, m.subject) for m in mail.outbox] == [(["wangwu@example.cn"], f"申报需补正：{app.title}")]

    # --- marking it read clears the count
    entry.get_by_role("button", name=re.compile("标为已读")).click()
    expect(page.locator("#unread-count")).to_have_count(0)
    assert not Notification.objects.filter(user=world.applicant, read_at__isnull=True).exists()

    # --- the entry links to the application
    page.locator("#inbox li h3 a").first.click()
    expect(page).to_have_url(re.compile(rf"/applications/{app.pk}/$"))

    # --- email off for 补正 requests, on the settings page
    page.goto("/notifications/preferences/")
    axe(page, live_server)
    page.uncheck("#returned-email")
    page.click("main form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("通知设置已保存")
    expect(page.locator("#returned-email")).not_to_be_checked()
    assert Preference.objects.get(user=world.applicant, kind="returned").email is False
