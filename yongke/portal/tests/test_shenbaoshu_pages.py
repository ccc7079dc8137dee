"""The 申报书 on the application page: the period, the leader's phone, the budget, team and
partner tables of a 前资助 application (a budget that does not add up refused naming the line);
a 后补助 claim asks only its award's facts and is listed at its quote; documents by their
labels, deleted and replaced; the officer's marks; 撤回 confirmed; the PDF downloaded."""

from __future__ import annotations

import pytest

from yongke.applications.models import Attachment, BudgetLine, DocumentCheck
from yongke.portal.tests.conftest import an_application
from yongke.testing import ELIGIBLE, PDF_BYTES, advance, make_application, make_call, make_person


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def page_data(app, **over):
    """The application page's form as the browser sends it, the budget all on 设备费."""
    data = {
        "lock_version": app.lock_version,
        "title": app.title,
        "summary": "",
        "requested_amount": "100万",
        "self_raised_amount": "0",
        "leader": app.leader_id or "",
        "leader_phone": "13800138000",
        "starts_on": "2027-01-01",
        "ends_on": "2028-12-31",
        "fact__kpi_invention_patent_applications": "3",
        "fact__kpi_new_revenue": "50000000",
        "budget-equipment_fiscal": "1000000",
        "team-TOTAL_FORMS": "1",
        "team-INITIAL_FORMS": "0",
        "partner-TOTAL_FORMS": "1",
        "partner-INITIAL_FORMS": "0",
    }
    data.update(over)
    return data


def test_the_form_asks_for_the_period_phone_budget_team_and_partners(client, world):
    app = an_application(world)
    client.force_login(world.applicant)
    body = client.get(f"/applications/{app.pk}/").content.decode()
    for name in ("leader_phone", "starts_on", "ends_on", "budget-equipment_fiscal", "budget-other_self", "team-0-person", "partner-0-uscc"):
        assert f'name="{name}"' in body, name
    for label in ("设备费", "差旅/会议/国际合作与交流费", "出版/文献/信息传播/知识产权事务费", "专家咨询费", "测算依据"):
        assert label in body


def test_a_budget_line_that_does_not_add_up_is_refused_naming_it(client, world):
    app = an_application(world)
    client.force_login(world.applicant)
    response = client.post(
        f"/applications/{app.pk}/",
        page_data(app, **{"budget-equipment_fiscal": "600000", "budget-equipment_self": "0", "budget-equipment_total": "700000"}),
    )
    assert response.status_code == 400
    assert "经费预算「设备费」不平衡" in response.content.decode()
    assert list(BudgetLine.objects.filter(application=app).values_list("fiscal", flat=True)) == [1_000_000]  # unchanged


def test_a_budget_missing_the_request_is_refused_at_the_total_line(client, world):
    app = an_application(world)
    client.force_login(world.applicant)
    response = client.post(f"/applications/{app.pk}/", page_data(app, **{"budget-equipment_fiscal": "90万"}))
    assert response.status_code == 400
    assert "经费预算「合计」的财政资助 900,000 元，与申请财政资助 1,000,000 元不一致" in response.content.decode()


def test_the_page_saves_the_whole_form(client, world):
    app = an_application(world)
    member = make_person(world.org, name="周成员")
    client.force_login(world.applicant)
    data = page_data(
        app,
        **{
            "budget-equipment_fiscal": "60万",
            "budget-labour_fiscal": "40万",
            "budget-labour_basis": "研究生劳务",
            "team-0-person": str(member.pk),
            "team-0-role": "软件开发",
            "team-0-months": "12",
            "partner-0-name": world.other_org.name,
            "partner-0-uscc": world.other_org.uscc,
            "partner-0-tasks": "整车测试",
            "partner-0-budget": "10万",
        },
    )
    response = client.post(f"/applications/{app.pk}/", data, follow=True)
    assert "已保存" in response.content.decode()
    app.refresh_from_db()
    assert (app.leader_phone, str(app.starts_on), str(app.ends_on)) == ("13800138000", "2027-01-01", "2028-12-31")
    assert sorted(app.budget_lines.values_list("category", "fiscal")) == [("equipment", 600_000), ("labour", 400_000)]
    assert list(app.team.values_list("person__name", "role", "months")) == [("周成员", "软件开发", 12)]
    assert list(app.partners.values_list("uscc", "budget")) == [(world.other_org.uscc, 100_000)]


def test_a_wrong_phone_is_refused_in_chinese_under_its_field(client, world):
    app = an_application(world)
    client.force_login(world.applicant)
    response = client.post(f"/applications/{app.pk}/", page_data(app, leader_phone="12345"))
    assert response.status_code == 400
    assert "请填写11位手机号码" in response.content.decode()


def test_a_claim_asks_only_for_its_awards_facts(client, world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts={}, requested_amount=0)
    client.force_login(world.applicant)
    body = client.get(f"/applications/{app.pk}/").content.decode()
    for name in (
        "requested_amount",
        "self_raised_amount",
        "leader",
        "leader_phone",
        "starts_on",
        "budget-equipment_fiscal",
        "team-0-person",
    ):
        assert f'name="{name}"' not in body, name
    assert 'name="fact__hte_certified"' in body


def test_a_claim_is_listed_at_its_quote_not_at_zero(client, world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, requested_amount=0)
    client.force_login(world.applicant)
    row = _row(client.get("/my/applications/").content.decode(), app.pk)
    assert "10 万元" in row
    assert "0 万元" not in row.replace("10 万元", "")


def test_the_officers_queue_lists_a_claim_at_its_quote(client, world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, requested_amount=0)
    advance(app, world, "submit")
    client.force_login(world.officer)
    row = _row(client.get("/officer/queue/?funding=post&state=claimed").content.decode(), app.pk)
    assert "10 万元" in row


HTE = {"hte_certified": True, "above_scale": True, "first_time": True, "rd_in_statistics": True}


def _row(body: str, pk: int) -> str:
    start = body.index(f'<tr data-app="{pk}"')
    return body[start : body.index("</tr>", start)]


def test_documents_are_listed_by_label_with_what_each_needs(client, world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, complete=False)
    client.force_login(world.applicant)
    body = client.get(f"/applications/{app.pk}/").content.decode()
    assert "高新技术企业证书（或认定公告）" in body
    assert "提交时必交" in body
    assert '<option value="hte_certificate">高新技术企业证书（或认定公告）</option>' in body
    assert ">hte_certificate<" not in body


def test_the_submit_page_refuses_naming_the_missing_document(client, world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, complete=False)
    client.force_login(world.applicant)
    response = client.post(f"/applications/{app.pk}/submit/", {"lock_version": app.lock_version}, follow=True)
    assert "缺少提交时必须上传的证明材料：「高新技术企业证书（或认定公告）」" in response.content.decode()
    app.refresh_from_db()
    assert app.state == "draft"


def test_an_attachment_is_deleted_and_replaced_from_the_page(client, world):
    app = an_application(world)
    client.force_login(world.applicant)
    client.post(f"/applications/{app.pk}/attachments/", {"kind": "other", "file": _upload("说明.pdf", PDF_BYTES)})
    att = app.attachments.current().get()
    client.post(f"/applications/{app.pk}/attachments/{att.pk}/replace/", {"file": _upload("说明v2.pdf", PDF_BYTES + b"2")})
    new = app.attachments.current().get()
    assert (new.filename, new.kind) == ("说明v2.pdf", "other")
    response = client.post(f"/applications/{app.pk}/attachments/{new.pk}/remove/", follow=True)
    assert "已删除附件：说明v2.pdf" in response.content.decode()
    assert not app.attachments.current().exists()
    assert Attachment.objects.filter(application=app).count() == 2  # both kept for the audit trail


def test_a_stranger_cannot_delete_an_attachment(client, world):
    app = an_application(world)
    att = Attachment.objects.create(
        application=app, kind="other", file="attachments/x", filename="x.pdf", content_type="application/pdf", size=1, sha256="0" * 64
    )
    client.force_login(world.stranger)
    response = client.post(f"/applications/{app.pk}/attachments/{att.pk}/remove/")
    assert response.status_code == 404
    att.refresh_from_db()
    assert att.removed_at is None


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_the_officer_marks_documents_in_formal_review(client, world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, requested_amount=0)
    app = advance(app, world, "submit")
    client.force_login(world.officer)
    body = client.get(f"/applications/{app.pk}/").content.decode()
    assert 'data-verify="hte_certificate"' in body
    response = client.post(f"/applications/{app.pk}/documents/", {"evidence": "hte_certificate", "verified": "yes"}, follow=True)
    assert "已记录材料核验结果" in response.content.decode()
    assert 'data-check="verified"' in response.content.decode()
    assert DocumentCheck.objects.get(application=app).verified is True


def test_the_applicant_sees_no_marking_buttons(client, world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, requested_amount=0)
    app = advance(app, world, "submit")
    client.force_login(world.applicant)
    assert 'data-verify="hte_certificate"' not in client.get(f"/applications/{app.pk}/").content.decode()


def test_a_draft_offers_no_withdrawal(client, world):
    app = an_application(world)
    client.force_login(world.applicant)
    assert 'data-action="withdraw"' not in client.get(f"/applications/{app.pk}/").content.decode()


def test_withdrawal_needs_its_confirmation(client, world):
    app = an_application(world, "submitted")
    client.force_login(world.applicant)
    body = client.get(f"/applications/{app.pk}/").content.decode()
    assert "data-withdraw-confirm" in body
    response = client.post(f"/applications/{app.pk}/transition/", {"action": "withdraw", "lock_version": app.lock_version}, follow=True)
    assert "请勾选“确认撤回”" in response.content.decode()
    app.refresh_from_db()
    assert app.state == "submitted"
    client.post(f"/applications/{app.pk}/transition/", {"action": "withdraw", "lock_version": app.lock_version, "confirm": "yes"})
    app.refresh_from_db()
    assert app.state == "withdrawn"


def test_the_pdf_is_downloaded_by_the_applicant_and_the_officer(client, world):
    app = an_application(world, "recommended")
    for user in (world.applicant, world.officer):
        client.force_login(user)
        response = client.get(f"/applications/{app.pk}/pdf/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")


def test_a_stranger_cannot_download_the_pdf(client, world):
    app = an_application(world, "recommended")
    client.force_login(world.stranger)
    assert client.get(f"/applications/{app.pk}/pdf/").status_code == 404


def test_a_claims_page_shows_its_quote(client, world):
    call = make_call(directions=["35.1"])
    app = make_application(call=call, org=world.org, user=world.applicant, direction="35.1", facts=ELIGIBLE["35.1"], requested_amount=0)
    app = advance(app, world, "submit")
    client.force_login(world.officer)
    body = client.get(f"/applications/{app.pk}/").content.decode()
    assert "测算补助金额" in body
    assert "300,000 元" in body
