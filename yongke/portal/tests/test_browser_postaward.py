"""The journey after signing, in Chromium: from a countersigned task book, the unit's admin writes
the mid-term report from the project's page (its 报告与验收 section) and submits it; the officer
finds it in the queue and concludes 合格; the unit writes the final report, an actual per target
fact beside the guide's clause, uploads evidence for every indicator and submits it, asking for
acceptance; the officer opens an expert panel of two, drawn from the pool clear of conflicts;
each expert sees only the title, the direction and the conflict question, accepts with the
no-conflict declaration and gives the acceptance form; the officer decides 通过 per indicator
(prefilled from the verification) and the project is 结题; the unit downloads the 验收证书.
The database is checked at every step. Runs as test_browser.py does (Debian's Chromium driven
by Playwright against the live server; screenshots and axe-core)."""

from __future__ import annotations

import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from yongke.portal.tests.test_browser import PDF, axe, browser, page, shot, sign_in, sign_out  # noqa: F401 - the fixtures and helpers
from yongke.projects import acceptance_selectors as sel
from yongke.projects.models import Acceptance, PanelMember, Project, ProjectFile, Report
from yongke.projects.tests.acceptance_helpers import PATENTS, REVENUE, expert_for, running
from yongke.projects.tests.helpers import with_account
from yongke.testing import SIGN_IN_NAMES, build_world, make_user


def test_from_a_signed_task_book_to_the_acceptance_certificate(page: Page, live_server, transactional_db, settings, tmp_path):  # noqa: F811
    settings.YONGKE_JOB_BACKEND = "immediate"
    settings.YONGKE_NOTIFY_BACKEND = "immediate"
    world = build_world(directions=["1.1"], budgets={"1": 20_000_000}, officer_programmes=("1",), usernames=SIGN_IN_NAMES)
    with_account(world)
    second = make_user("expert")
    experts = [expert_for(world.expert), expert_for(second)]
    p = running(world)  # countersigned: 执行中, two years from next month, 50万 granted, a mid-term check due
    assert p.state == "in_progress"
    schedule = sel.schedule_of(p)
    assert schedule.midterm_required
    assert schedule.acceptance_mode == "panel"
    revenue = p.indicators.get(rule_id="1:revenue")
    commitments = list(p.indicators.filter(source="commitment"))

    # --- 1. the unit's admin: the project's page loads its 报告与验收; the mid-term report
    sign_in(page, world.org_admin.username)
    page.goto(f"/projects/{p.pk}/")
    section = page.locator("#postaward")
    expect(section.locator("#report-schedule")).to_be_visible()
    expect(section.locator("#schedule-facts")).to_contain_text(schedule.final_report_due.isoformat())
    shot(page, "postaward-01-project")
    axe(page, live_server)
    section.locator("a[data-fill=midterm]").click()
    expect(page.locator("h1")).to_contain_text("中期报告")
    expect(page.locator(f"#report-indicators tr[data-indicator='{revenue.pk}'] blockquote.clause")).to_have_text(revenue.clause)
    page.fill(f"#id_actual__{PATENTS}", "1")
    page.fill(f"#id_actual__{REVENUE}", "2000万")
    page.fill("#id_spent__equipment__fiscal", "10万")
    page.fill("#id_narrative", "样机已完成，按计划推进。")
    page.click("#save-report")
    expect(page.locator(".messages")).to_contain_text("已保存中期报告草稿")
    midterm = Report.objects.get(project=p, kind="midterm")
    assert (midterm.state, midterm.actuals) == ("draft", {PATENTS: 1, REVENUE: 20_000_000})
    expect(page.locator("#milestone-checks")).to_contain_text("完成样机")
    shot(page, "postaward-02-midterm-draft")
    axe(page, live_server)
    page.check("#id_confirm")
    page.click("#submit-report")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "submitted")
    midterm.refresh_from_db()
    assert midterm.state == "submitted"
    sign_out(page)

    # --- 2. the officer: the queue, the mid-term check 合格
    sign_in(page, world.officer.username)
    page.goto("/officer/reports/")
    row = page.locator(f"#to-check tr[data-report='{midterm.pk}']")
    expect(row).to_contain_text("中期报告")
    axe(page, live_server)
    row.get_by_role("link", name="中期检查").click()
    form = page.locator("#midterm-form")
    form.get_by_label("合格", exact=True).check()
    form.locator("textarea").fill("阶段目标已完成。")
    shot(page, "postaward-03-midterm-check")
    axe(page, live_server)
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("中期检查结论：合格")
    midterm.refresh_from_db()
    assert (midterm.state, midterm.outcome) == ("checked", "qualified")
    assert Project.objects.get(pk=p.pk).midterm_passed_at is not None
    sign_out(page)

    # --- 3. the unit: the final report with evidence for every indicator, submitted
    sign_in(page, world.org_admin.username)
    page.goto(f"/projects/{p.pk}/postaward/")
    page.locator("a[data-fill=final]").click()
    expect(page.locator("h1")).to_contain_text("结题报告")
    page.fill(f"#id_actual__{PATENTS}", "3")
    page.fill(f"#id_actual__{REVENUE}", "5,000万")
    page.fill("#id_spent__equipment__fiscal", "30万")
    page.fill("#id_narrative", "全面完成任务书规定的研究内容和考核指标。")
    page.click("#save-report")
    expect(page.locator(".messages")).to_contain_text("已保存结题报告草稿")
    final = Report.objects.get(project=p, kind="final")
    assert final.actuals == {PATENTS: 3, REVENUE: 50_000_000}
    expect(page.locator("#checks-verdict")).to_have_attribute("data-verdict", "pass")
    expect(page.locator("#completion-rate")).to_have_text("100%")
    for i, ind in enumerate(commitments):
        evidence = tmp_path / f"佐证{i}.pdf"
        evidence.write_bytes(PDF + f"%{i}".encode())
        page.set_input_files(f"#evidence-file-{ind.pk}", evidence)
        page.click(f"button[data-upload='{ind.pk}']")
        expect(page.locator(".messages")).to_contain_text(f"已上传佐证材料：佐证{i}.pdf")
    assert set(ProjectFile.objects.filter(report=final).values_list("indicator_id", flat=True)) == {i.pk for i in commitments}
    expect(page.locator(f"#evidence-cell-{revenue.pk}")).to_contain_text("佐证")
    shot(page, "postaward-04-final-report")
    axe(page, live_server)
    page.check("#id_confirm")
    page.click("#submit-report")
    expect(page.locator(".messages")).to_contain_text("已提交结题报告：验收中")
    assert Project.objects.get(pk=p.pk).state == "acceptance"
    sign_out(page)

    # --- 4. the officer opens an expert panel of two
    sign_in(page, world.officer.username)
    page.goto(f"/reports/{final.pk}/")
    opening = page.locator("#open-form")
    opening.get_by_label("专家验收", exact=True).check()
    opening.locator("#id_experts_wanted").fill("2")
    shot(page, "postaward-05-open-panel")
    axe(page, live_server)
    opening.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("已组织专家验收，邀请了 2 位专家")
    a = Acceptance.objects.get(project=p)
    assert (a.mode, a.state, a.members.count()) == ("panel", "open", 2)
    assert set(a.members.values_list("expert_id", flat=True)) == {e.pk for e in experts}
    expect(page.locator("#panel-progress")).to_contain_text("待答复 2")
    sign_out(page)

    # --- 5. each expert: the conflict question first, then the acceptance form
    for user in (world.expert, second):
        member = a.members.get(expert__user=user)
        sign_in(page, user.username)
        page.goto("/expert/acceptances/")
        page.locator(f"tr[data-member='{member.pk}'] a").first.click()
        expect(page.locator("h1")).to_have_text(p.title)
        expect(page.locator("#conflict-question")).to_contain_text(p.organisation.name)
        expect(page.locator("#panel-indicators")).to_have_count(0)  # the material waits for the answer
        if user == world.expert:
            shot(page, "postaward-06-invitation")
            axe(page, live_server)
        page.check("#id_no_conflict")
        page.click("#accept")
        expect(page.locator(".messages")).to_contain_text("已接受验收邀请")
        expect(page.locator("#panel-indicators")).to_contain_text("50,000,000 元")
        opinion = page.locator("#opinion-form")
        for ind in commitments:
            expect(opinion.locator(f"input[name=result__{ind.pk}][value=pass]")).to_be_checked()  # as the verification found
        opinion.get_by_label("通过", exact=True).check()
        opinion.locator("#id_comment").fill("考核指标全部完成，佐证充分，同意通过验收。")
        if user == world.expert:
            shot(page, "postaward-07-opinion")
            axe(page, live_server)
        page.click("#submit-opinion")
        expect(page.locator(".messages")).to_contain_text("验收意见已提交")
        expect(page.locator("#member-state")).to_have_attribute("data-state", "submitted")
        assert PanelMember.objects.get(pk=member.pk).state == "submitted"
        sign_out(page)

    # --- 6. the officer decides 通过: the project is 结题
    sign_in(page, world.officer.username)
    page.goto(f"/acceptances/{a.pk}/")
    expect(page.locator("#panel-progress")).to_contain_text("已提交意见 2")
    for m in a.members.all():
        expect(page.locator(f"article[data-member='{m.pk}']")).to_contain_text("同意通过验收")
    decide = page.locator("#decide-form")
    expect(decide.locator("input[name=verdict][value=passed]")).to_be_checked()
    decide.locator("#id_comment").fill("经专家验收，项目完成任务书规定的全部考核指标，同意通过验收。")
    shot(page, "postaward-08-decision")
    axe(page, live_server)
    page.click("#decide")
    expect(page.locator(".messages")).to_contain_text("验收结论：通过。项目已结题")
    a.refresh_from_db()
    assert (a.state, a.verdict) == ("decided", "passed")
    assert a.certificate_number
    assert set(a.reasons) == {str(i.pk) for i in p.indicators.all()}
    closed = Project.objects.get(pk=p.pk)
    assert (closed.state, closed.accepted_at is not None) == ("closed", True)
    sign_out(page)

    # --- 7. the unit: 结题 and the 验收证书
    sign_in(page, world.org_admin.username)
    page.goto(f"/projects/{p.pk}/")
    expect(page.locator("#project-state")).to_have_text("已结题")
    link = page.locator("#postaward #certificate-link")
    expect(link).to_be_visible()
    expect(page.locator("#postaward [data-verdict=passed]")).to_have_text("通过")
    shot(page, "postaward-09-closed")
    axe(page, live_server)
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "certificate.pdf"
    info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert re.match(r"yanshou-.+\.pdf", info.value.suggested_filename)
    assert timezone.localdate(closed.accepted_at) == timezone.localdate()
