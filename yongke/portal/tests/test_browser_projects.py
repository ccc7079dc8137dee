"""The projects journey in Chromium: the officer takes the step 立项 of a published application
whose 公示 window has closed and follows the link to its project; on the 任务书 the 考核指标 show
the guide's clause and the application's promise; the officer tries a target below the promise
(refused, naming the clause, nothing changed), raises it instead and sends the task book for
signing; the unit's admin sees the deadline, uploads the stamped PDF and records its bank
account (shown masked); the officer countersigns; finance pays the first tranche; the unit asks
for a six-month extension, the recommending unit agrees, the officer approves, and the task
book's versions show amendment 1 beside the original."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from yongke.applications import services as app_services
from yongke.core.workdays import format_deadline
from yongke.orgs.selectors import bank_account_of
from yongke.portal.tests.test_browser import axe, browser, page, shot, sign_in, sign_out  # noqa: F401 - the browser fixtures
from yongke.projects.models import ChangeRequest, Payment, Project
from yongke.testing import SIGN_IN_NAMES, build_world, make_application_in, make_person

TITLE = "纯电动物流车动力电池系统集成与示范"
CLAUSE = "（2）实施期间，新增产值或新增销售收入达到5000万元以上。"
BANK_NUMBER = "6222021234567890123"


def _months_later(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (the month's last day when it has fewer)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _yuan(text: str) -> int:
    """ "560,000 元" as a number."""
    return int(re.sub(r"[^\d]", "", text))


def test_a_project_from_its_step_to_an_approved_extension(page: Page, live_server, transactional_db, settings, tmp_path):  # noqa: F811
    # Deliveries and jobs run as each step commits, on every database: no background thread
    # outlives the test (and SQLite's shared in-memory test database cannot serve a second one).
    settings.YONGKE_JOB_BACKEND = "immediate"
    settings.YONGKE_NOTIFY_BACKEND = "immediate"
    # The officer holds programme 1 by name: an officer of every programme ("*", as portal_world's)
    # sees no project (projects_visible_to; see the xfail in test_projects_pages.py).
    world = build_world(
        directions=["1.1"],
        budgets={"1": 20_000_000},
        officer_programmes=("1",),
        org_name="南宁市测试新能源有限公司",
        usernames=SIGN_IN_NAMES,
    )
    app = make_application_in("funded", world=world, title=TITLE, leader=make_person(world.org), amount=800_000, comment="测试意见")
    # Published a month ago through the service itself (its `now`): the 5 working days of 公示 are over.
    app, _changed = app_services.application_transition(
        actor=world.officer, application=app, action="publish", objection_days=5, now=timezone.now() - dt.timedelta(days=30)
    )
    assert app.objection_ends_at is not None
    assert app.objection_ends_at < timezone.now()

    # --- 1. the officer takes the step 立项 on the application's page; it links to its project
    sign_in(page, world.officer.username)
    page.goto(f"/applications/{app.pk}/")
    expect(page.locator(".state").first).to_have_attribute("data-state", "published")
    page.click("button[data-action=contract]")
    expect(page.locator(".state").first).to_have_attribute("data-state", "contracted")
    p = Project.objects.get(application=app)
    link = page.locator("#project-link")
    expect(link).to_contain_text(p.number)
    expect(link).to_contain_text("任务书编制")
    shot(page, "projects-01-contracted")
    axe(page, live_server)

    # --- 2. the project: its 考核指标 with the guide's clause and the application's promise
    link.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/projects/{p.pk}/$"))
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("#project-state")).to_have_text("任务书编制")
    revenue = p.indicators.get(rule_id="1:revenue")
    row = page.locator(f"#indicators tr[data-indicator='{revenue.pk}'][data-fact='kpi_new_revenue']")
    expect(row.locator("blockquote.clause")).to_have_text(CLAUSE)
    expect(row.locator("td[data-target]")).to_have_text("50,000,000 元")
    expect(row.locator("td").last).to_have_text("50,000,000 元")  # 申报书承诺值
    expect(page.locator("#budget-fiscal")).to_have_text("800,000 元")
    shot(page, "projects-02-task-book")
    axe(page, live_server)

    # the officer edits it: a target below the promise first, refused under its box with the clause
    page.click("#edit-link")
    expect(page.locator("h1")).to_contain_text("编辑任务书")
    box = f"#id_target__{revenue.pk}__kpi_new_revenue"
    expect(page.locator(box)).to_have_value("50000000")
    expect(page.locator(f"#target-fields tr[data-indicator='{revenue.pk}'] blockquote.clause")).to_have_text(CLAUSE)
    page.fill(box, "4000万")
    page.click("#task-book-form button[type=submit]")
    refusal = page.locator(f"#id_target__{revenue.pk}__kpi_new_revenue-errors")
    expect(refusal).to_contain_text("的任务书规定值不能低于申报书的承诺")
    expect(refusal).to_contain_text(CLAUSE)
    expect(page.locator(box)).to_have_value("4000万")  # what was typed stays in the box
    shot(page, "projects-03-target-below-promise")
    axe(page, live_server)
    revenue.refresh_from_db()
    assert revenue.targets["kpi_new_revenue"] == 50_000_000
    assert Project.objects.get(pk=p.pk).lock_version == p.lock_version

    # raised above the promise instead
    page.fill(box, "6,000万")
    page.click("#task-book-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("任务书已保存")
    expect(row.locator("td[data-target]")).to_have_text("60,000,000 元")
    expect(row.locator("td").last).to_have_text("50,000,000 元")
    expect(page.locator("#project-timeline li[data-action=task_book_update]")).to_contain_text("60,000,000 元")

    # sent for signing
    page.click("button[data-action=send]")
    expect(page.locator(".messages")).to_contain_text("已办理「发送签订」")
    expect(page.locator("#project-state")).to_have_text("待签订")
    p.refresh_from_db()
    assert p.state == "signing"
    assert p.sign_by is not None
    deadline = format_deadline(p.sign_by)
    sign_out(page)

    # --- 3. the unit's admin: the deadline, the stamped PDF, the bank account
    sign_in(page, world.org_admin.username)
    page.goto("/my/projects/")
    page.locator(f"tr[data-project='{p.pk}'] a").click()
    expect(page).to_have_url(re.compile(rf"/projects/{p.pk}/$"))
    expect(page.locator("#signing")).to_contain_text(f"请承担单位在 {deadline}（北京时间）前签订任务书")
    expect(page.locator("#indicators")).to_contain_text("60,000,000 元")
    shot(page, "projects-04-signing")
    axe(page, live_server)
    stamped = tmp_path / "盖章任务书.pdf"
    stamped.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    sign_form = page.locator("form:has(button[data-action=sign])")
    sign_form.locator("input[type=file]").set_input_files(stamped)
    sign_form.locator("button[data-action=sign]").click()
    expect(page.locator(".messages")).to_contain_text("已办理「承担单位签订」")
    expect(page.locator("#signing")).to_contain_text("待主管部门签订")
    expect(page.locator("#signed-h + ul")).to_contain_text("盖章任务书.pdf")
    expect(page.locator("button[data-action=sign]")).to_have_count(0)

    bank = page.locator("form[action$='/bank-account/']")
    bank.locator("#id_bank").fill("广西北部湾银行南宁分行")
    bank.locator("#id_name").fill(world.org.name)
    bank.locator("#id_number").fill(BANK_NUMBER)
    bank.locator("button[type=submit]").click()
    account = bank_account_of(world.org)
    assert account is not None
    masked = account.number_masked
    expect(page.locator(".messages")).to_contain_text(f"已登记收款账户：广西北部湾银行南宁分行 {masked}")
    expect(page.locator("#bank-account [data-masked]")).to_have_text(masked)
    assert BANK_NUMBER not in page.content()
    shot(page, "projects-05-signed-and-account")
    sign_out(page)

    # --- 4. the officer countersigns: under way
    sign_in(page, world.officer.username)
    page.goto(f"/projects/{p.pk}/")
    page.click("button[data-action=countersign]")
    expect(page.locator(".messages")).to_contain_text("已办理「主管部门签订」")
    expect(page.locator("#project-state")).to_have_text("执行中")
    expect(page.locator("#versions th[data-version='0']")).to_contain_text("任务书原件")
    sign_out(page)

    # --- 5. finance pays the first tranche; paid and outstanding add up to the grant
    sign_in(page, world.finance.username)
    page.goto(f"/projects/{p.pk}/")
    page.click("#pay-link")
    expect(page.locator("h1")).to_contain_text("登记拨款")
    expect(page.locator("#bank-account")).to_contain_text(masked)
    first = p.tranches.get(order=1)
    page.select_option("#id_tranche", "1")
    page.fill("#id_amount", str(first.amount))
    page.fill("#id_paid_on", timezone.localdate().isoformat())
    page.fill("#id_voucher", "NN-2026-0001")
    shot(page, "projects-06-payment-form")
    axe(page, live_server)
    page.click("form[aria-labelledby=pay-h] button[type=submit]")
    expect(page.locator(".messages")).to_contain_text(f"已登记拨款 {first.amount:,} 元（凭证号 NN-2026-0001）")
    expect(page.locator("#payments tr[data-voucher='NN-2026-0001']")).to_contain_text(masked)
    ledger = page.locator("#ledger")
    granted, paid, outstanding = (_yuan(ledger.locator(f"[data-ledger={k}]").inner_text()) for k in ("granted", "paid", "outstanding"))
    assert (granted, paid) == (800_000, first.amount)
    assert paid + outstanding == granted
    shot(page, "projects-07-paid")
    sign_out(page)

    # --- 6. the unit asks for six more months
    p.refresh_from_db()
    new_end = _months_later(p.ends_on, 6)
    assert p.ends_on > _months_later(timezone.localdate(), 3)  # asked more than 3 months before the end
    sign_in(page, world.org_admin.username)
    page.goto(f"/projects/{p.pk}/")
    page.select_option("#new-kind", "extension")
    page.click("form[action$='/changes/new/'] button[type=submit]")
    expect(page.locator("#change-form h2")).to_have_text("项目延期")
    expect(page.locator("#change-form")).to_contain_text(f"现结束日期：{p.ends_on.isoformat()}")
    page.fill("#id_ends_on", new_end.isoformat())
    page.fill("#id_reasons", "关键设备到货延迟，示范运行需延长六个月。")
    shot(page, "projects-08-extension")
    axe(page, live_server)
    page.click("#change-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已提交变更申请第 1 号（项目延期）")
    cr = ChangeRequest.objects.get(project=p)
    expect(page.locator(f"article[data-change='{cr.pk}']")).to_contain_text(new_end.isoformat())
    sign_out(page)

    # the recommending unit agrees
    sign_in(page, world.recommender.username)
    page.goto("/recommend/projects/changes/")
    entry = page.locator(f"article[data-change='{cr.pk}']")
    expect(entry).to_contain_text("关键设备到货延迟")
    expect(entry).to_contain_text(new_end.isoformat())
    entry.get_by_label("同意", exact=True).check()
    entry.locator("textarea").fill("情况属实，同意延期。")
    shot(page, "projects-09-opinion")
    axe(page, live_server)
    entry.get_by_role("button", name="出具意见").click()
    expect(page.locator(".messages")).to_contain_text(f"已出具意见：{p.number} 变更申请第 1 号")
    sign_out(page)

    # the officer approves: amendment 1
    sign_in(page, world.officer.username)
    page.goto("/officer/projects/")
    page.click("#approvals-link")
    entry = page.locator(f"article[data-change='{cr.pk}']")
    expect(entry).to_contain_text("同意。情况属实，同意延期。")
    entry.get_by_label("批准", exact=True).check()
    axe(page, live_server)
    entry.get_by_role("button", name="提交审批结果").click()
    expect(page.locator(".messages")).to_contain_text(f"已批准 {p.number} 变更申请第 1 号：任务书第 1 号变更")

    # the project page: the new end date, and amendment 1 beside the original
    page.goto(f"/projects/{p.pk}/")
    expect(page.locator("#tb-h")).to_contain_text("第1号变更")
    expect(page.locator("#project-state")).to_have_text("执行中")
    expect(page.locator("main dl.facts").first).to_contain_text(f"— {new_end.isoformat()}")
    versions = page.locator("#versions")
    expect(versions.locator("th[data-version='0']")).to_contain_text("任务书原件")
    expect(versions.locator("th[data-version='1']")).to_contain_text("第1号变更")
    ends = versions.locator("tr[data-section='ends_on'] td")
    expect(ends).to_have_count(2)
    expect(ends.nth(0)).to_have_text(p.ends_on.isoformat())
    expect(ends.nth(1)).to_have_text(new_end.isoformat())
    shot(page, "projects-10-amended")
    axe(page, live_server)

    p.refresh_from_db()
    cr.refresh_from_db()
    assert (p.state, p.amendment, p.ends_on) == ("in_progress", 1, new_end)
    payment = Payment.objects.get(project=p)
    assert (payment.amount, payment.voucher, payment.account_masked) == (first.amount, "NN-2026-0001", masked)
    assert cr.state == ChangeRequest.State.APPROVED
    assert (cr.opinion_agrees, cr.kind) == (True, ChangeRequest.Kind.EXTENSION)
