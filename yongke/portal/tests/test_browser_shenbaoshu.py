"""The 申报书 and its documents in a real browser (Debian's Chromium, Playwright).

An applicant fills a 前资助 application's 申报书: the leader, phone and period, a budget whose
设备费 line does not add up (refused, the line named), then one that does; downloads the
申报书 PDF and reads its text back; submits. Then a 后补助 claim (24.1) without its 高企证书:
submission refused naming the certificate; the certificate uploaded, replaced, deleted and
uploaded again; the claim submitted; the officer marks the certificate verified.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from django.db import connection
from playwright.sync_api import FilePayload, Page, expect

from yongke.applications.models import Application, Attachment, DocumentCheck
from yongke.portal.tests.conftest import portal_world
from yongke.portal.tests.test_browser import axe, browser, page, shot, sign_in, sign_out  # noqa: F401 - the browser fixtures
from yongke.testing import ELIGIBLE_1_1, PDF_BYTES, make_application, make_person

HTE = {"hte_certified": True, "above_scale": True, "first_time": True, "rd_in_statistics": True}


def _pdf_text(path: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext is not installed: run `make browser` (make test does)"
    return re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout)


def test_the_shenbaoshu_budget_pdf_and_documents(page: Page, live_server, transactional_db, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = str(tmp_path / "media")
    if connection.vendor == "sqlite":
        settings.YONGKE_JOB_BACKEND = "immediate"  # see test_browser.test_public_pages_dashboard_and_background_import
    world = portal_world()
    leader = make_person(world.org, name="李负责")
    app = make_application(
        call=world.call, org=world.org, user=world.applicant, title="城市物流车电驱系统研发", facts=ELIGIBLE_1_1, complete=False
    )
    sign_in(page, "applicant")

    # --- the 申报书: leader, phone, period, and a budget whose 设备费 line does not add up
    page.goto(f"/applications/{app.pk}/")
    page.fill("#id_requested_amount", "100万")
    page.select_option("#id_leader", str(leader.pk))
    page.fill("#id_leader_phone", "138 0013 8000")
    page.fill("#id_starts_on", "2027-01-01")
    page.fill("#id_ends_on", "2028-12-31")
    page.fill("#id_budget-equipment_fiscal", "60万")
    page.fill("#id_budget-equipment_total", "70万")
    page.fill("#id_budget-labour_fiscal", "40万")
    page.fill("#id_budget-labour_basis", "研究生劳务 4人×12月")
    shot(page, "s01-shenbaoshu-form")
    axe(page, live_server)
    page.click("button[name=then][value=save]")
    expect(page.locator(".messages")).to_contain_text("经费预算「设备费」不平衡")
    assert not Application.objects.get(pk=app.pk).budget_lines.exists()

    # --- what was typed is still there; the line fixed, the form saves
    expect(page.locator("#id_budget-labour_fiscal")).to_have_value("40万")
    page.fill("#id_budget-equipment_total", "")
    page.click("button[name=then][value=save]")
    expect(page.locator(".messages")).to_contain_text("已保存")
    app.refresh_from_db()
    assert sorted(app.budget_lines.values_list("category", "fiscal")) == [("equipment", 600_000), ("labour", 400_000)]
    assert app.leader_phone == "13800138000"

    # --- the 申报书 PDF, read back
    with page.expect_download() as download:
        page.click("#pdf-link")
    saved = tmp_path / "shenbaoshu.pdf"
    download.value.save_as(saved)
    text = _pdf_text(saved)
    for expected in (
        "南宁市科技计划项目申报书",
        world.org.name,
        "城市物流车电驱系统研发",
        "设备费",
        "600,000元",
        "李负责",
        "承诺书",
        "申报单位（公章）",
    ):
        assert expected in text, expected

    # --- submits
    page.click("button[name=then][value=submit]")
    expect(page.locator("h1")).to_contain_text("确认提交")
    page.click("#confirm-submit")
    expect(page.locator(".state")).to_have_attribute("data-state", "submitted")

    # --- a 24.1 claim without its certificate: refused, the certificate named by its label
    claim = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, complete=False)
    page.goto(f"/applications/{claim.pk}/")
    expect(page.locator("#id_requested_amount")).to_have_count(0)  # a claim asks only its award's facts
    row = page.locator("tr[data-document=hte_certificate]")
    expect(row).to_contain_text("高新技术企业证书（或认定公告）")
    expect(row).to_have_attribute("data-uploaded", "no")
    page.click("button[name=then][value=submit]")
    expect(page.locator("main")).to_contain_text("未上传（提交时必交）")
    page.click("#confirm-submit")
    expect(page.locator(".messages")).to_contain_text("缺少提交时必须上传的证明材料：「高新技术企业证书（或认定公告）」")
    claim.refresh_from_db()
    assert claim.state == "draft"

    # --- uploads the certificate (chosen by its label), replaces it, deletes it, uploads it again
    page.goto(f"/applications/{claim.pk}/")
    page.select_option("#att-kind", label="高新技术企业证书（或认定公告）")
    page.set_input_files("#att-file", files=[FilePayload(name="高企证书.pdf", mimeType="application/pdf", buffer=PDF_BYTES)])
    page.click("form[data-upload] button[type=submit]")
    expect(row).to_have_attribute("data-uploaded", "yes")
    expect(row).to_contain_text("高企证书.pdf")
    first = Attachment.objects.get(application=claim)
    page.set_input_files(
        f"#replace-{first.pk}", files=[FilePayload(name="高企证书（新）.pdf", mimeType="application/pdf", buffer=PDF_BYTES + b"2")]
    )
    page.click(f"button[data-replace='{first.pk}']")
    expect(page.locator(".messages")).to_contain_text("已替换附件")
    expect(row).to_contain_text("高企证书（新）.pdf")
    second = claim.attachments.current().get()
    shot(page, "s02-documents")
    axe(page, live_server)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"button[data-remove='{second.pk}']")
    expect(page.locator(".messages")).to_contain_text("已删除附件")
    expect(row).to_have_attribute("data-uploaded", "no")
    assert Attachment.objects.filter(application=claim).count() == 2  # the files stay for the audit trail
    page.set_input_files("#att-file", files=[FilePayload(name="高企证书.pdf", mimeType="application/pdf", buffer=PDF_BYTES + b"3")])
    page.click("form[data-upload] button[type=submit]")
    expect(row).to_have_attribute("data-uploaded", "yes")
    page.click("button[name=then][value=submit]")
    page.click("#confirm-submit")
    expect(page.locator(".state")).to_have_attribute("data-state", "claimed")
    sign_out(page)

    # --- the officer marks the certificate verified in the claim's check
    sign_in(page, "officer")
    page.goto(f"/applications/{claim.pk}/")
    page.click("button[data-verify=hte_certificate]")
    expect(page.locator("tr[data-document=hte_certificate] td[data-check]")).to_have_attribute("data-check", "verified")
    shot(page, "s03-officer-documents")
    axe(page, live_server)
    assert DocumentCheck.objects.get(application=claim, evidence="hte_certificate").verified
