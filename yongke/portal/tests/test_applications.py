"""The application page: the generated form, the live requirement panel, saving, submitting,
corrections answered in place, attachments; and the steps units and officers take on it."""

from __future__ import annotations

import io

import openpyxl

from yongke.applications.models import Application
from yongke.portal.tests.conftest import an_application
from yongke.testing import review_by_panel

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _draft(world, **facts):
    return an_application(world, facts=facts or {"kpi_invention_patent_applications": 3})


def _form(app, **over):
    data = {
        "lock_version": app.lock_version,
        "title": app.title,
        "summary": "",
        "requested_amount": "1000000",
        "self_raised_amount": "0",  # as the factory's budget (all 设备费, no 自筹): it must add up at submission
        "leader": app.leader_id or "",
        "leader_phone": app.leader_phone,
        "starts_on": app.starts_on.isoformat() if app.starts_on else "",
        "ends_on": app.ends_on.isoformat() if app.ends_on else "",
        "fact__kpi_invention_patent_applications": "3",
        "fact__kpi_ip_grants": "",
        "fact__kpi_region_platform": "",
        "fact__kpi_new_revenue": "50000000",
        "fact__leading_enterprise": "",
    }
    data.update(over)
    return data


def test_the_form_is_generated_from_the_directions_facts(client, world):
    app = _draft(world)
    client.force_login(world.applicant)
    body = client.get(f"/applications/{app.pk}/").content.decode()
    for name in ("kpi_invention_patent_applications", "kpi_ip_grants", "kpi_region_platform", "kpi_new_revenue"):
        assert f'name="fact__{name}"' in body
    assert 'aria-describedby="help-kpi_new_revenue"' in body
    assert "（2）实施期间，新增产值或新增销售收入达到5000万元以上。" in body  # the clause is the help text
    assert 'data-unit="元"' in body
    assert ">件<" in body


def test_the_live_panel_shows_the_failing_clause_while_typing(client, world):
    app = _draft(world)
    client.force_login(world.applicant)
    panel = client.post(
        f"/applications/{app.pk}/check/", _form(app, fact__kpi_new_revenue="49,999,999"), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-verdict="not_eligible"' in panel
    assert 'data-rule="1:revenue" data-result="fail"' in panel
    panel = client.post(
        f"/applications/{app.pk}/check/", _form(app, fact__kpi_new_revenue="50000000"), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-verdict="eligible"' in panel
    panel = client.post(f"/applications/{app.pk}/check/", _form(app, fact__kpi_new_revenue=""), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-rule="1:revenue" data-result="missing"' in panel
    app.refresh_from_db()
    assert "kpi_new_revenue" not in app.facts  # the panel saves nothing


def test_saving_keeps_the_facts_and_a_stale_edit_is_refused(client, world):
    app = _draft(world)
    client.force_login(world.applicant)
    stale = app.lock_version
    response = client.post(f"/applications/{app.pk}/", _form(app, fact__kpi_new_revenue="60,000,000"), follow=True)
    assert "已保存" in response.content.decode()
    app.refresh_from_db()
    assert app.facts["kpi_new_revenue"] == 60_000_000
    assert app.lock_version == stale + 1
    page = client.post(f"/applications/{app.pk}/", _form(app, lock_version=stale, fact__kpi_new_revenue="70000000"))
    assert page.status_code == 409
    assert "已被他人修改" in page.content.decode()
    assert 'value="70000000"' in page.content.decode()  # what was typed is not lost
    app.refresh_from_db()
    assert app.facts["kpi_new_revenue"] == 60_000_000


def test_submit_shows_a_summary_then_submits_once(client, world):
    app = _draft(world, kpi_invention_patent_applications=3, kpi_new_revenue=50_000_000)
    client.force_login(world.applicant)
    summary = client.get(f"/applications/{app.pk}/submit/").content.decode()
    assert "确认提交" in summary
    assert "50,000,000 元" in summary
    assert 'data-verdict="eligible"' in summary
    response = client.post(f"/applications/{app.pk}/submit/", {"lock_version": app.lock_version}, follow=True)
    assert "已提交" in response.content.decode()
    app.refresh_from_db()
    assert app.state == "submitted"
    assert app.submissions.count() == 1
    again = client.post(f"/applications/{app.pk}/submit/", {"lock_version": app.lock_version}, follow=True)
    assert "未重复提交" in again.content.decode()
    assert app.submissions.count() == 1


def test_an_application_without_a_leader_is_not_submitted(client, world):
    from yongke.testing import make_application

    app = make_application(call=world.call, org=world.org, user=world.applicant, complete=False)
    client.force_login(world.applicant)
    page = client.post(f"/applications/{app.pk}/submit/", {"lock_version": app.lock_version}, follow=True).content.decode()
    assert "请指定项目负责人" in page
    app.refresh_from_db()
    assert app.leader is None
    assert app.state == "draft"


def test_an_ineligible_submission_is_refused_with_the_clause(client, world):
    app = _draft(world, kpi_invention_patent_applications=3, kpi_new_revenue=49_999_999)
    client.force_login(world.applicant)
    page = client.post(f"/applications/{app.pk}/submit/", {"lock_version": app.lock_version}, follow=True).content.decode()
    assert "不符合申报要求" in page
    assert "5000万元" in page
    app.refresh_from_db()
    assert app.state == "draft"


def test_a_correction_request_is_answered_in_place(client, world):
    app = an_application(world, "recommended")
    client.force_login(world.officer)
    client.post(
        f"/applications/{app.pk}/transition/", {"action": "return", "comment": "请补充新增收入的测算依据", "lock_version": app.lock_version}
    )
    app.refresh_from_db()
    assert app.state == "returned"
    client.force_login(world.applicant)
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert "请补充新增收入的测算依据" in page
    assert 'id="app-form"' in page
    client.post(f"/applications/{app.pk}/", _form(app, fact__kpi_new_revenue="80000000", then="submit"))
    app.refresh_from_db()
    client.post(f"/applications/{app.pk}/submit/", {"lock_version": app.lock_version})
    app.refresh_from_db()
    assert app.state == "submitted"
    assert app.facts["kpi_new_revenue"] == 80_000_000
    assert app.submissions.count() == 2


def test_a_returned_application_is_a_form_only_for_its_organisation(client, world):
    app = an_application(world, "recommended")
    client.force_login(world.officer)
    client.post(f"/applications/{app.pk}/transition/", {"action": "return", "comment": "请补充材料", "lock_version": app.lock_version})
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert "退回补正" in page
    assert 'id="app-form"' not in page
    client.force_login(world.org_admin)
    assert 'id="app-form"' in client.get(f"/applications/{app.pk}/").content.decode()


def test_attachments_upload_and_download(client, world):
    app = _draft(world)
    client.force_login(world.applicant)
    from django.core.files.uploadedfile import SimpleUploadedFile

    part = client.post(
        f"/applications/{app.pk}/attachments/", {"kind": "申报书", "file": SimpleUploadedFile("申报书.pdf", PDF)}, HTTP_HX_REQUEST="true"
    )
    assert part.status_code == 200
    assert "申报书.pdf" in part.content.decode()
    refused = client.post(
        f"/applications/{app.pk}/attachments/",
        {"kind": "其他材料", "file": SimpleUploadedFile("a.pdf", b"MZ\x90\x00")},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 400
    assert "只接受" in refused.content.decode()
    att = app.attachments.get()
    download = client.get(f"/applications/{app.pk}/attachments/{att.pk}/")
    assert b"".join(download.streaming_content) == PDF


def test_other_organisations_applications_are_not_found(client, world):
    from yongke.testing import make_org, make_user

    other = make_org(district="450107")
    stranger = make_user("applicant", organisation=other)
    app = _draft(world)
    client.force_login(stranger)
    assert client.get(f"/applications/{app.pk}/").status_code == 404


def test_officer_sees_the_stored_verdicts_and_takes_each_step(client, world):
    app = an_application(world, "recommended")
    client.force_login(world.officer)
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert "第 1 次提交" in page
    assert 'data-rule="1:revenue"' in page
    assert "形式审查通过" in page
    for action, extra in (("accept", {}), ("start_review", {}), ("fund", {"amount": "900,000"}), ("publish", {"objection_days": "7"})):
        app.refresh_from_db()
        if action == "fund":
            review_by_panel(app)  # the experts have scored it
        client.post(f"/applications/{app.pk}/transition/", {"action": action, "lock_version": app.lock_version, **extra})
    app.refresh_from_db()
    assert app.state == "published"
    assert app.decided_amount == 900_000


def test_a_step_needing_a_comment_says_so(client, world):
    app = an_application(world, "recommended")
    client.force_login(world.officer)
    response = client.post(f"/applications/{app.pk}/transition/", {"action": "refuse", "comment": ""}, follow=True)
    assert "须填写意见或理由" in response.content.decode()
    app.refresh_from_db()
    assert app.state == "recommended"


def test_recommending_unit_recommends_in_batch(client, world):
    apps = [an_application(world, "submitted") for _ in range(3)]
    client.force_login(world.recommender)
    queue = client.get("/recommend/").content.decode()
    assert all(a.title in queue for a in apps)
    response = client.post("/batch/", {"action": "recommend", "ids": [apps[0].pk, apps[1].pk], "next": "/recommend/"}, follow=True)
    assert "已办理 2 项" in response.content.decode()
    refused = client.post("/batch/", {"action": "not_recommend", "ids": [apps[2].pk], "comment": "", "next": "/recommend/"}, follow=True)
    assert "须填写意见或理由" in refused.content.decode()
    assert sorted(Application.objects.values_list("state", flat=True)) == ["recommended", "recommended", "submitted"]


def test_officer_queue_filters(client, world):
    a = an_application(world, "recommended", title="氢燃料电池整车集成")
    b = an_application(
        world,
        "recommended",
        title="固态电池材料",
        direction="1.2",
        facts={"kpi_invention_patent_applications": 3, "kpi_new_revenue": 50_000_000},
    )
    client.force_login(world.officer)
    page = client.get("/officer/queue/", {"funding": "pre", "state": "recommended", "direction": "1.1"}).content.decode()
    assert a.title in page
    assert b.title not in page
    page = client.get("/officer/queue/", {"funding": "pre", "state": "recommended", "q": "固态"}).content.decode()
    assert b.title in page
    assert a.title not in page


def test_publicity_exports_to_excel(client, world):
    app = an_application(world, "published", title="导出测试项目")
    client.force_login(world.officer)
    response = client.get("/officer/publicity.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "南宁市科技计划拟支持项目公示名单"  # the title row, then the header (yongke/portal/tests/test_exports.py)
    assert rows[1][1] == "项目名称"
    assert rows[2][1] == app.title
    assert rows[2][8] == 80


def test_finance_audit_and_dashboard_pages(client, world):
    app = an_application(world, "funded", title="拨付测试项目")
    client.force_login(world.finance)
    assert app.title in client.get("/finance/").content.decode()
    client.force_login(world.auditor)
    log = client.get("/audit/", {"target_type": "application", "target_id": app.pk}).content.decode()
    assert "start_review" in log
    assert "fund" in log
    client.force_login(world.officer)
    dash = client.get("/dashboard/")
    assert dash.status_code == 200
    assert 'id="dash-data"' in dash.content.decode()
    assert dash.context["totals"]["decided"] == 800_000


def test_review_and_award_pages_answer(client, world):
    from django.urls import reverse

    client.force_login(world.officer)
    for name in ("officer_assignment", "officer_ranking", "award_claims"):
        assert client.get(reverse(f"portal:{name}")).status_code == 200
    client.force_login(world.expert)
    assert client.get(reverse("portal:expert_invitations")).status_code == 200
