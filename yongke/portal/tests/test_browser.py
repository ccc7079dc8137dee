"""The main journeys in a real browser: Debian's Chromium driven by Playwright against the
live server. Screenshots of each key page go to test-artifacts/; axe-core checks them.

An applicant registers its organisation, applies to direction 1.1, sees the 5000万 clause
fail in the live panel, fixes it, uploads an attachment and submits; the district unit
recommends; the officer accepts it in formal review, starts the review and runs the expert
assignment; an expert accepts the invitation and scores it; the officer sees the ranking,
decides to fund it and publishes it; the 公示 page shows it.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, FilePayload, Page, expect, sync_playwright

from yongke.applications.models import Application
from yongke.orgs.models import Organisation
from yongke.orgs.registration import registration_approve
from yongke.orgs.validators import id_with_check, uscc_with_check
from yongke.portal.tests.conftest import an_application, portal_world
from yongke.review.services import expert_add
from yongke.testing import PASSWORD, PDF_BYTES, TEST, make_org, make_person, make_user

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # `make test` installs Debian's Chromium first; without it this is a failure, never a skip.
    assert shutil.which(CHROMIUM), "Debian's chromium is not installed: run `make browser` (make test does)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    # Generous: under `make test` the suite runs on two processes of a two-core machine, so a
    # PDF or a page may take longer than on an idle one; a passing step never waits for it.
    context.set_default_timeout(30_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def axe(page: Page, live_server) -> None:
    """No serious or critical accessibility violations on the page as it stands."""
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(url=f"{live_server.url}/static/vendor/axe.min.js")
    violations = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}: {bad}"


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main form button[type=submit]")
    # Wait for the signed-in page: a navigation started before the sign-in's answer has come
    # back races it, and an anonymous answer's cookie can then replace the signed-in one.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def sign_out(page: Page) -> None:
    page.click("form[action='/accounts/logout/'] button")
    expect(page.locator("header")).to_contain_text("登录")


def test_apply_recommend_review_decide_publish(page: Page, live_server, transactional_db, settings):
    settings.YONGKE_JOB_BACKEND = "immediate"  # see test_public_pages_dashboard_and_background_import
    world = portal_world()
    # The expert pool: the world's expert account and two more, as many as the call asks per application.
    for user in (world.expert, make_user("expert"), make_user("expert")):
        org = make_org(district="450107")
        expert_add(
            actor=TEST, person=make_person(org, user=user), organisation=org, fields=["C3612"], keywords=["电动", "物流车"], user=user
        )

    # --- the applicant registers its organisation and its admin account
    page.goto("/register/")
    axe(page, live_server)
    page.fill("#id_name", "南宁市浏览器测试汽车有限公司")
    code = uscc_with_check("91450103MA5B00010")
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    page.locator("#id_uscc").press_sequentially(wrong, delay=5)
    expect(page.locator("#uscc-check .badge")).to_have_text("无效")
    expect(page.locator("#uscc-check")).to_contain_text("校验码错误")
    page.fill("#id_uscc", code)
    expect(page.locator("#uscc-check")).to_contain_text("格式和校验码正确")
    page.select_option("#id_district", "450103")
    page.fill("#id_username", "browser_admin")
    page.fill("#id_full_name", "张三")
    page.fill("#id_password1", "Browser-pass-1")
    page.fill("#id_password2", "Browser-pass-1")
    page.set_input_files("#id_licence", FilePayload(name="licence.pdf", mimeType="application/pdf", buffer=PDF_BYTES))
    shot(page, "01-register")
    page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(r"/my/applications/$"))
    expect(page.locator(".messages")).to_contain_text("注册成功")
    # the recommending unit checks the licence (yongke/orgs/registration.py) before the unit may apply
    registration_approve(actor=TEST, organisation=Organisation.objects.get(uscc=code))

    # --- the admin opens an account for the project leader (registered as a person who may lead)
    page.goto("/org/members/")
    page.fill("#id_username", "browser_leader")
    page.fill("#id_full_name", "李四")
    page.fill("#id_password", "Leader-pass-1")
    page.fill("#id_id_number", id_with_check("45010319850601123"))
    page.fill("#id_title", "高级工程师")
    page.click("main form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已创建成员账户 browser_leader")
    shot(page, "02-org-members")
    axe(page, live_server)

    # --- applies to direction 1.1
    page.goto("/calls/")
    page.click(f"a[href='/calls/{world.call.pk}/apply/1.1/']")
    page.fill("#id_title", "纯电动城市物流车整车集成与示范")
    page.click("main button[type=submit]")
    expect(page.locator("#app-form")).to_be_visible()
    page.fill("#id_requested_amount", "1000000")
    page.select_option("#id_leader", page.locator("#id_leader option", has_text="李四").get_attribute("value"))
    # the 申报书 a submission needs besides the facts: the leader's phone, the period, a budget adding up
    page.fill("#id_leader_phone", "13800138000")
    page.fill("#id_starts_on", "2027-01-01")
    page.fill("#id_ends_on", "2028-12-31")
    page.fill("#id_budget-equipment_fiscal", "1000000")
    page.fill("#id_fact__kpi_invention_patent_applications", "3")
    page.fill("#id_fact__kpi_new_revenue", "49999999")
    panel = page.locator("#live-panel")
    expect(panel.locator("[data-rule='1:revenue']")).to_have_attribute("data-result", "fail")
    expect(panel.locator("[data-verdict]")).to_have_attribute("data-verdict", "not_eligible")
    expect(page.locator("#id_fact__kpi_new_revenue-wan")).to_contain_text("4,999.9999 万元")
    shot(page, "03-application-requirement-fails")
    axe(page, live_server)

    # --- fixes it: the panel turns green
    page.fill("#id_fact__kpi_new_revenue", "50000000")
    expect(panel.locator("[data-rule='1:revenue']")).to_have_attribute("data-result", "pass")
    expect(panel.locator("[data-verdict]")).to_have_attribute("data-verdict", "eligible")

    # --- an attachment, with its progress bar
    page.set_input_files("#att-file", files=[FilePayload(name="可行性研究报告.pdf", mimeType="application/pdf", buffer=PDF)])
    page.click("form[data-upload] button[type=submit]")
    expect(page.locator("#attachments")).to_contain_text("可行性研究报告.pdf")
    expect(page.locator("form[data-upload] progress")).to_have_attribute("value", "100")
    shot(page, "04-application-fixed")

    # --- saves, checks the summary, submits
    page.click("button[name=then][value=submit]")
    expect(page.locator("h1")).to_contain_text("确认提交")
    expect(page.locator("main")).to_contain_text("50,000,000 元")
    shot(page, "05-submit-confirmation")
    axe(page, live_server)
    page.click("#confirm-submit")
    expect(page.locator(".state")).to_have_attribute("data-state", "submitted")
    expect(page.locator(".timeline")).to_contain_text("提交")
    shot(page, "06-submitted-timeline")
    app = Application.objects.get(title="纯电动城市物流车整车集成与示范")
    sign_out(page)

    # --- the district unit recommends it (a batch of one)
    sign_in(page, "qingxiu")
    expect(page).to_have_url(re.compile(r"/recommend/$"))
    page.check(f"input[name=ids][value='{app.pk}']")
    page.select_option("#b-action", "recommend")
    page.fill("#b-comment", "同意推荐")
    shot(page, "07-recommend-queue")
    axe(page, live_server)
    page.click("fieldset button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已办理 1 项")
    sign_out(page)

    # --- the officer: formal review, expert review, decision, 公示
    sign_in(page, "officer")
    expect(page).to_have_url(re.compile(r"/officer/$"))
    shot(page, "08-officer-queues")
    page.click("a[data-queue=recommended]")
    expect(page.locator(f"tr[data-app='{app.pk}']")).to_be_visible()
    shot(page, "09-officer-queue-recommended")
    axe(page, live_server)
    page.click(f"tr[data-app='{app.pk}'] a")
    expect(page.locator("[data-rule='1:revenue']").first).to_contain_text("通过")
    shot(page, "10-formal-review")
    axe(page, live_server)
    page.click("button[data-action=accept]")
    expect(page.locator(".state")).to_have_attribute("data-state", "accepted")
    page.click("button[data-action=start_review]")
    expect(page.locator(".state")).to_have_attribute("data-state", "expert_review")

    # --- the officer runs the expert assignment: the call's three experts are invited
    page.goto("/officer/assignment/")
    page.fill("#due_at", "2099-01-01T12:00")
    page.click("#run-form button[type=submit]")
    # The run is background work: its progress page links to the round when it is done.
    page.locator("#job-result").click(timeout=60_000)
    expect(page.locator("#round")).to_have_attribute("data-status", "assigned")
    expect(page.locator(f"#assignments tr[data-app='{app.pk}'] li")).to_have_count(3)
    shot(page, "10a-assignment")
    axe(page, live_server)
    sign_out(page)

    # --- an expert accepts the invitation, declaring no conflict, and scores the application
    sign_in(page, "expert")
    expect(page).to_have_url(re.compile(r"/expert/$"))
    expect(page.locator("[data-group=invited]")).to_contain_text("纯电动城市物流车整车集成与示范")
    shot(page, "10b-expert-tasks")
    axe(page, live_server)
    page.click("[data-group=invited] a")
    # before accepting: the title, the direction and the conflict questions, not the application
    expect(page.locator("main")).to_contain_text("利益冲突确认")
    expect(page.locator("main")).not_to_contain_text("可行性研究报告.pdf")
    page.click("button:has-text('声明无冲突并接受')")
    expect(page.locator(".state")).to_have_attribute("data-state", "accepted")
    expect(page.locator("main")).to_contain_text("附件：申报书")  # the content opens once accepted, files named by their category
    for key, points in (("innovation", "80"), ("feasibility", "70"), ("benefit", "90"), ("team", "60")):
        page.fill(f"#points-{key}", points)
    page.fill("#comment", "技术路线清楚，示范场景明确。")
    shot(page, "10c-expert-scoring")
    axe(page, live_server)
    page.click("button:has-text('提交评分')")
    expect(page.locator(".state")).to_have_attribute("data-state", "submitted")
    expect(page.locator("[data-total]")).to_contain_text("76.00")
    sign_out(page)

    # --- the officer sees the ranking, then decides and publishes
    sign_in(page, "officer")
    page.goto("/officer/ranking/")
    expect(page.locator(f"tr[data-app='{app.pk}']")).to_contain_text("76.0")
    shot(page, "10d-ranking")
    axe(page, live_server)
    # One of three experts has scored: the officer records why the decision does not wait for the others.
    expect(page.locator(f"tr[data-app='{app.pk}']")).to_contain_text("已评 1/3")
    page.fill(f"#waive-{app.pk}", "另两位专家未能按期评审，处务会已研究")
    page.click(f"tr[data-app='{app.pk}'] button:has-text('记录理由')")
    expect(page.locator(".messages")).to_contain_text("理由已记录")
    page.goto(f"/applications/{app.pk}/")
    page.fill("#amount-fund", "800000")
    page.click("button[data-action=fund]")
    expect(page.locator(".state")).to_have_attribute("data-state", "funded")
    page.fill("#days-publish", "7")
    page.click("button[data-action=publish]")
    expect(page.locator(".state")).to_have_attribute("data-state", "published")
    shot(page, "11-published")
    sign_out(page)

    # --- the 公示 page shows it
    page.goto("/publicity/")
    row = page.locator("tr", has_text="纯电动城市物流车整车集成与示范")
    expect(row).to_contain_text("南宁市浏览器测试汽车有限公司")
    expect(row).to_contain_text("80 万元")
    expect(row).to_contain_text("异议期内")
    shot(page, "12-publicity")
    axe(page, live_server)
    app.refresh_from_db()
    assert app.state == "published"
    assert app.decided_amount == 800_000


def test_public_pages_dashboard_and_background_import(page: Page, live_server, transactional_db, settings):
    # The job runs in the request here: no worker runs beside the live server. A worker taking
    # jobs off the queue is tested with real processes in yongke/tests/test_serving.py, and the
    # progress page of a job still queued in yongke/portal/tests/test_jobs.py.
    settings.YONGKE_JOB_BACKEND = "immediate"
    world = portal_world()
    # Something for the dashboard to show: applications at several stages.
    for state in ("draft", "submitted", "recommended", "funded", "published"):
        an_application(world, state)
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("申报指南")
    shot(page, "13-guide")
    axe(page, live_server)
    page.goto("/match/")
    page.check("input[name=registered_in_nanning][value=false]")
    expect(page.locator("#match-results")).to_contain_text("不符合")
    expect(page.locator("#match-results")).to_contain_text("（1）在南宁市注册且具备独立法人资格的机构。")
    shot(page, "14-match")
    axe(page, live_server)

    sign_in(page, "officer")  # the dashboard is the officers' (the system administrator lands in /admin/)
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("#chart-programme canvas")).to_be_visible()
    shot(page, "15-dashboard")
    axe(page, live_server)

    # Long work: the import runs on the background thread and the page follows its progress.
    page.goto("/org/import/")
    rows = "\n".join(f"{uscc_with_check(f'91450107MA5K{i:05d}')},浏览器导入单位{i},企业,西乡塘区" for i in range(40))
    page.set_input_files(
        "#id_file",
        files=[FilePayload(name="orgs.csv", mimeType="text/csv", buffer=("统一社会信用代码,单位名称,单位类型,注册地\n" + rows).encode())],
    )
    page.click("main button[type=submit]")
    expect(page.locator("#job-progress")).to_have_attribute("data-status", "done", timeout=20_000)
    expect(page.locator("#job-progress")).to_contain_text("新增 40 个")
    shot(page, "16-import-job")
    axe(page, live_server)
