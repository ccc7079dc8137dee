"""The project pages: the unit's project with its task book, signing with the stamped PDF, the
officer's editor within the application's promises, every change in the unit's timeline,
payments by finance, change requests through the recommending unit to an amendment, in
Chinese and English, each page for its roles only and without N+1 queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yongke.orgs.selectors import bank_account_of
from yongke.projects import services
from yongke.projects.models import ChangeRequest, Indicator, Payment, Project, TaskBookVersion
from yongke.testing import PDF_BYTES, build_world, make_application_in, make_person

BANK_NUMBER = "6222021234567890123"


@pytest.fixture
def pw(db):
    """A world whose officer holds programme 1 (direction 1.1's) by name."""
    return build_world(directions=["1.1"], budgets={"1": 20_000_000}, officer_programmes=("1",))


def _project(w) -> Project:
    """A project just opened at 立项 (the signal opens it), 80万 granted."""
    app = make_application_in("contracted", world=w, leader=make_person(w.org), amount=800_000)
    return Project.objects.get(application=app)


def _sent(w) -> Project:
    p = _project(w)
    return services.project_transition(actor=w.officer, project=p, action="send")


def _in_progress(w) -> Project:
    p = _sent(w)
    p = services.project_transition(actor=w.org_admin, project=p, action="sign", filename="任务书.pdf", content=PDF_BYTES)
    return services.project_transition(actor=w.officer, project=p, action="countersign")


def _revenue(p: Project) -> Indicator:
    return p.indicators.get(rule_id="1:revenue")


def _edit_form(client, p: Project) -> dict[str, str]:
    """The editor's form as the page renders it (every field's current value), to post back changed."""
    from yongke.portal.forms_projects import TaskBookEditor
    from yongke.projects.selectors import task_book_content

    editor = TaskBookEditor(None, project=p, content=task_book_content(p))
    data: dict[str, str] = {}
    forms = [editor.main, editor.budget]
    for formset in (editor.extra, editor.milestones, editor.partners, editor.tranches):
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for field in form:
            value = field.value()
            data[field.html_name] = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
    return data


# --------------------------------------------------------------------------- who sees what


def test_the_units_project_is_listed_and_shown_to_those_who_may_see_it(client, pw):
    p = _project(pw)
    client.force_login(pw.applicant)
    listing = client.get("/my/projects/").content.decode()
    assert p.number in listing
    assert f'href="/projects/{p.pk}/"' in listing
    for who in ("org_admin", "applicant", "officer", "recommender", "finance"):
        client.force_login(getattr(pw, who))
        assert client.get(f"/projects/{p.pk}/").status_code == 200, who
    for who in ("stranger", "other_officer", "other_recommender", "expert", "auditor", "sysadmin"):
        client.force_login(getattr(pw, who))
        assert client.get(f"/projects/{p.pk}/").status_code == 404, who


def test_each_page_is_for_its_roles(client, pw):
    p = _project(pw)
    pages = {
        "/my/projects/": ("applicant", "officer"),
        "/officer/projects/": ("officer", "applicant"),
        "/officer/projects/changes/": ("officer", "recommender"),
        "/recommend/projects/changes/": ("recommender", "officer"),
        "/finance/projects/": ("finance", "applicant"),
        f"/projects/{p.pk}/payments/": ("finance", "officer"),
        f"/projects/{p.pk}/edit/": ("officer", "org_admin"),
        f"/projects/{p.pk}/changes/new/?kind=extension": ("org_admin", "officer"),
    }
    for url, (allowed, refused) in pages.items():
        client.force_login(getattr(pw, allowed))
        assert client.get(url).status_code == 200, (url, allowed)
        client.force_login(getattr(pw, refused))
        assert client.get(url).status_code == 403, (url, refused)
    client.force_login(pw.other_officer)  # an officer, not of this programme: the project is not found
    assert client.get(f"/projects/{p.pk}/edit/").status_code == 404
    client.force_login(pw.stranger)
    assert client.get(f"/projects/{p.pk}/changes/new/").status_code == 404


def test_the_menu_leads_each_role_to_its_project_pages(client, pw):
    for who, url in (("applicant", "/my/projects/"), ("officer", "/officer/projects/"), ("recommender", "/recommend/projects/changes/")):
        client.force_login(getattr(pw, who))
        assert f'href="{url}"' in client.get("/notifications/").content.decode(), who
    client.force_login(pw.finance)
    assert 'href="/finance/projects/"' in client.get("/finance/").content.decode()


def test_an_officer_of_every_programme_sees_the_project(client, world):
    app = make_application_in("contracted", world=world, leader=make_person(world.org), amount=800_000)
    client.force_login(world.officer)  # the portal world's officer holds "*"
    assert client.get(f"/projects/{app.project.pk}/").status_code == 200


# --------------------------------------------------------------------------- the task book


def test_the_task_book_shows_indicators_with_their_clause_budget_and_plan(client, pw):
    p = _project(pw)
    client.force_login(pw.org_admin)
    body = client.get(f"/projects/{p.pk}/").content.decode()
    assert "（2）实施期间，新增产值或新增销售收入达到5000万元以上。" in body  # the clause, verbatim
    assert 'data-fact="kpi_new_revenue"' in body
    assert 'data-target="50000000"' in body
    assert "承诺项目（课题）实施期间（项目相关的）新增产值或新增销售收入（元）" in body
    assert '<td class="num" id="budget-fiscal">800,000 元</td>' in body
    assert '<td class="num" id="budget-self">0 元</td>' in body
    assert "首次拨款" in body
    assert "560,000 元" in body
    assert "任务书签订后" in body
    assert 'data-ledger="paid">0 元' in body
    assert "任务书编制" in body


def test_the_officer_sends_the_unit_signs_with_a_pdf_and_the_officer_countersigns(client, pw):
    p = _project(pw)
    client.force_login(pw.officer)
    assert 'data-action="send"' in client.get(f"/projects/{p.pk}/").content.decode()
    response = client.post(f"/projects/{p.pk}/step/", {"action": "send", "send-lock_version": p.lock_version}, follow=True)
    assert "已办理「发送签订」" in response.content.decode()
    p.refresh_from_db()
    assert p.state == "signing"
    assert p.sign_by is not None
    client.force_login(pw.applicant)  # a member, not the admin: no signature
    assert 'name="sign-file"' not in client.get(f"/projects/{p.pk}/").content.decode()
    client.force_login(pw.org_admin)
    page = client.get(f"/projects/{p.pk}/").content.decode()
    assert 'name="sign-file"' in page
    assert 'enctype="multipart/form-data"' in page
    from django.core.files.uploadedfile import SimpleUploadedFile

    refused = client.post(
        f"/projects/{p.pk}/step/",
        {"action": "sign", "sign-lock_version": p.lock_version, "sign-file": SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)},
    )
    assert refused.status_code == 400
    assert "只接受 PDF 文件" in refused.content.decode()
    p.refresh_from_db()
    assert p.unit_signed_at is None
    signed = client.post(
        f"/projects/{p.pk}/step/",
        {"action": "sign", "sign-lock_version": p.lock_version, "sign-file": SimpleUploadedFile("盖章任务书.pdf", PDF_BYTES)},
        follow=True,
    )
    assert "已办理「承担单位签订」" in signed.content.decode()
    p.refresh_from_db()
    assert p.unit_signed_at is not None
    assert p.state == "signing"
    f = p.files.get(kind="signed_task_book")
    assert f"/projects/{p.pk}/files/{f.pk}/" in signed.content.decode()
    client.force_login(pw.officer)
    download = client.get(f"/projects/{p.pk}/files/{f.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    client.post(f"/projects/{p.pk}/step/", {"action": "countersign", "countersign-lock_version": p.lock_version})
    p.refresh_from_db()
    assert p.state == "in_progress"
    assert TaskBookVersion.objects.filter(project=p, number=0).exists()
    client.force_login(pw.stranger)
    assert client.get(f"/projects/{p.pk}/files/{f.pk}/").status_code == 404


def test_a_return_needs_its_reasons_and_keeps_them(client, pw):
    p = _sent(pw)
    client.force_login(pw.org_admin)
    page = client.post(f"/projects/{p.pk}/step/", {"action": "reopen", "reopen-lock_version": p.lock_version, "reopen-comment": ""})
    assert page.status_code == 400
    p.refresh_from_db()
    assert p.state == "signing"
    client.post(f"/projects/{p.pk}/step/", {"action": "reopen", "reopen-lock_version": p.lock_version, "reopen-comment": "预算科目需调整"})
    p.refresh_from_db()
    assert p.state == "drafting"
    assert "预算科目需调整" in client.get(f"/projects/{p.pk}/").content.decode()


def test_a_target_below_the_promise_is_refused_with_the_clause_and_nothing_changes(client, pw):
    p = _project(pw)
    ind = _revenue(p)
    client.force_login(pw.officer)
    data = _edit_form(client, p)
    data[f"target__{ind.pk}__kpi_new_revenue"] = "4000万"
    page = client.post(f"/projects/{p.pk}/edit/", data)
    assert page.status_code == 422
    body = page.content.decode()
    assert "的任务书规定值不能低于申报书的承诺（50,000,000元）" in body
    assert "（2）实施期间，新增产值或新增销售收入达到5000万元以上。" in body
    assert 'value="4000万"' in body  # what was typed stays in the box
    ind.refresh_from_db()
    assert ind.targets["kpi_new_revenue"] == 50_000_000
    assert Project.objects.get(pk=p.pk).lock_version == p.lock_version


def test_a_raised_target_shows_in_the_units_timeline(client, pw):
    p = _project(pw)
    ind = _revenue(p)
    client.force_login(pw.officer)
    data = _edit_form(client, p)
    data[f"target__{ind.pk}__kpi_new_revenue"] = "6,000万"
    response = client.post(f"/projects/{p.pk}/edit/", data, follow=True)
    assert "任务书已保存" in response.content.decode()
    ind.refresh_from_db()
    assert ind.targets["kpi_new_revenue"] == 60_000_000
    client.force_login(pw.applicant)
    body = client.get(f"/projects/{p.pk}/").content.decode()
    timeline = body[body.index('id="project-timeline"') :]
    assert 'data-action="task_book_update"' in timeline
    assert "<del>承诺项目（课题）实施期间（项目相关的）新增产值或新增销售收入（元）：50,000,000 元" in timeline
    assert "<ins>承诺项目（课题）实施期间（项目相关的）新增产值或新增销售收入（元）：60,000,000 元" in timeline


def test_the_editor_adds_an_indicator_and_a_stage_and_refuses_a_plan_that_does_not_add_up(client, pw):
    p = _project(pw)
    client.force_login(pw.officer)
    data = _edit_form(client, p)
    data.update({"extra-0-label": "培养研究生", "extra-0-unit": "人", "extra-0-target_value": "2"})
    data.update({"ms-2-due_on": p.starts_on.replace(month=6, day=30).isoformat(), "ms-2-title": "中期目标"})
    client.post(f"/projects/{p.pk}/edit/", data)
    assert p.indicators.filter(source="extra", label="培养研究生").exists()
    assert p.milestones.filter(title="中期目标").exists()
    p.refresh_from_db()
    data = _edit_form(client, p)
    data["tranche-0-amount"] = "50万"
    page = client.post(f"/projects/{p.pk}/edit/", data)
    assert page.status_code == 400
    assert "各期金额合计 740,000 元，应等于立项金额 800,000 元" in page.content.decode()
    assert p.tranches.get(order=1).amount == 560_000


# --------------------------------------------------------------------------- money


def test_finance_records_a_payment_to_the_units_account(client, pw):
    p = _in_progress(pw)
    client.force_login(pw.finance)
    today = timezone.localdate().isoformat()
    form = {"tranche": "1", "amount": "56万", "paid_on": today, "voucher": "NN-2026-001"}
    refused = client.post(f"/projects/{p.pk}/payments/", form)
    assert refused.status_code == 422
    assert "尚未登记收款账户" in refused.content.decode()
    client.force_login(pw.org_admin)
    response = client.post(
        f"/projects/{p.pk}/bank-account/", {"bank": "广西北部湾银行南宁分行", "name": pw.org.name, "number": BANK_NUMBER}, follow=True
    )
    body = response.content.decode()
    masked = bank_account_of(pw.org).number_masked
    assert masked in body
    assert BANK_NUMBER not in body
    client.force_login(pw.finance)
    over = client.post(f"/projects/{p.pk}/payments/", {**form, "amount": "60万"})
    assert over.status_code == 422
    assert "本次最多 560,000 元" in over.content.decode()
    response = client.post(f"/projects/{p.pk}/payments/", form, follow=True)
    assert "已登记拨款 560,000 元" in response.content.decode()
    payment = Payment.objects.get(project=p)
    assert (payment.amount, payment.voucher, payment.account_masked) == (560_000, "NN-2026-001", masked)
    ledger = client.get(f"/finance/projects/?call={p.call_id}").content.decode()
    assert f'data-project="{p.pk}"' in ledger
    assert "560,000 元" in ledger
    assert "240,000 元" in ledger
    client.force_login(pw.org_admin)
    assert 'data-paid="560000"' in client.get(f"/projects/{p.pk}/").content.decode()


# --------------------------------------------------------------------------- changes


def test_a_change_goes_through_the_recommending_unit_to_an_amendment(client, pw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    p = _in_progress(pw)
    new_end = p.ends_on + dt.timedelta(days=180)
    client.force_login(pw.applicant)
    assert 'name="ends_on"' in client.get(f"/projects/{p.pk}/changes/new/?kind=extension").content.decode()
    response = client.post(
        f"/projects/{p.pk}/changes/new/",
        {
            "kind": "extension",
            "ends_on": new_end.isoformat(),
            "reasons": "设备到货延迟",
            "attachments": [SimpleUploadedFile("说明.pdf", PDF_BYTES)],
        },
        follow=True,
    )
    assert "已提交变更申请第 1 号（项目延期）" in response.content.decode()
    cr = ChangeRequest.objects.get(project=p)
    assert cr.files.count() == 1
    client.force_login(pw.recommender)
    queue = client.get("/recommend/projects/changes/").content.decode()
    assert f'data-change="{cr.pk}"' in queue
    assert "设备到货延迟" in queue
    client.post(f"/projects/changes/{cr.pk}/opinion/", {f"c{cr.pk}-agrees": "yes", f"c{cr.pk}-opinion": "情况属实，同意延期"})
    cr.refresh_from_db()
    assert cr.state == "reviewed"
    client.force_login(pw.officer)
    assert f'data-change="{cr.pk}"' in client.get("/officer/projects/changes/").content.decode()
    response = client.post(f"/projects/changes/{cr.pk}/decide/", {f"c{cr.pk}-approve": "yes", f"c{cr.pk}-comment": ""}, follow=True)
    assert "任务书第 1 号变更" in response.content.decode()
    p.refresh_from_db()
    assert (p.amendment, p.ends_on) == (1, new_end)
    client.force_login(pw.org_admin)
    body = client.get(f"/projects/{p.pk}/").content.decode()
    versions = body[body.index('id="versions"') :]
    assert 'data-version="0"' in versions
    assert 'data-version="1"' in versions
    assert "第1号变更" in versions
    assert 'data-section="ends_on"' in versions
    assert new_end.isoformat() in versions


def test_a_change_the_rules_refuse_is_shown_under_its_field_and_nothing_is_asked(client, pw):
    p = _in_progress(pw)
    client.force_login(pw.org_admin)
    too_late = p.ends_on + dt.timedelta(days=500)
    page = client.post(f"/projects/{p.pk}/changes/new/", {"kind": "extension", "ends_on": too_late.isoformat(), "reasons": "需要更多时间"})
    assert page.status_code == 422
    body = page.content.decode()
    assert "延期不能超过 12 个月" in body
    assert "延期时间不超过一年" in body
    assert too_late.isoformat() in body
    assert "需要更多时间" in body
    assert not ChangeRequest.objects.filter(project=p).exists()


def test_the_unit_withdraws_its_change_and_a_refusal_needs_a_reason(client, pw):
    p = _in_progress(pw)
    cr = services.change_request_create(actor=pw.org_admin, project=p, kind="termination", reasons="技术路线无法实现")
    services.change_request_opinion(actor=pw.recommender, change=cr, agrees=False, opinion="不同意")
    client.force_login(pw.officer)
    page = client.post(f"/projects/changes/{cr.pk}/decide/", {f"c{cr.pk}-approve": "no", f"c{cr.pk}-comment": ""})
    assert page.status_code == 400
    assert "不予批准须填写理由" in page.content.decode()
    cr2 = services.change_request_create(
        actor=pw.org_admin,
        project=p,
        kind="extension",
        reasons="延期",
        payload={"ends_on": (p.ends_on + dt.timedelta(days=30)).isoformat()},
    )
    client.force_login(pw.applicant)
    client.post(f"/projects/changes/{cr2.pk}/withdraw/", {"confirm": "on"})
    cr2.refresh_from_db()
    assert cr2.state == "withdrawn"


# --------------------------------------------------------------------------- English, queries


def test_an_english_page_shows_english_states(client, pw):
    p = _project(pw)
    client.force_login(pw.org_admin)
    assert "Task book in preparation" in client.get(f"/projects/{p.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    p = services.project_transition(actor=pw.officer, project=p, action="send")
    client.force_login(pw.officer)
    body = client.get("/officer/projects/?state=signing", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Awaiting signature" in body
    assert "Under way" in body


def _count(client, url: str) -> int:
    client.get(url)  # warm the per-process caches (the compiled guide)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len(ctx.captured_queries)


def _changes_waiting(w, n: int) -> None:
    for _i in range(n):
        p = _in_progress(w)
        cr = services.change_request_create(actor=w.org_admin, project=p, kind="termination", reasons="无法继续实施")
        p2 = _in_progress(w)
        cr2 = services.change_request_create(actor=w.org_admin, project=p2, kind="termination", reasons="无法继续实施")
        services.change_request_opinion(actor=w.recommender, change=cr2, agrees=True, opinion="同意")
        assert cr.state == "requested"


def test_list_pages_do_not_grow_with_rows(client, pw):
    pages = [
        ("applicant", "/my/projects/"),
        ("officer", "/officer/projects/?state=in_progress"),
        ("officer", "/officer/projects/changes/"),
        ("recommender", "/recommend/projects/changes/"),
        ("finance", "/finance/projects/"),
    ]

    def counts() -> dict[str, int]:
        out = {}
        for who, url in pages:
            client.force_login(getattr(pw, who))
            out[url] = _count(client, url)
        return out

    _changes_waiting(pw, 1)
    few = counts()
    _changes_waiting(pw, 2)
    assert Project.objects.count() == 6
    many = counts()
    assert many == few, {url: (few[url], many[url]) for url in few if few[url] != many[url]}


# --------------------------------------------------------------------------- downloads


def test_the_task_book_pdf_and_the_calls_workbook_download(client, pw):
    import io

    import openpyxl

    p = _project(pw)
    client.force_login(pw.org_admin)
    assert f'href="/projects/{p.pk}/task-book.pdf"' in client.get(f"/projects/{p.pk}/").content.decode()
    pdf = client.get(f"/projects/{p.pk}/task-book.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    client.force_login(pw.stranger)
    assert client.get(f"/projects/{p.pk}/task-book.pdf").status_code == 404
    client.force_login(pw.finance)
    assert f"/finance/projects/calls/{p.call_id}.xlsx" in client.get("/finance/projects/").content.decode()
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/finance/projects/calls/{p.call_id}.xlsx").content))
    assert book.sheetnames == ["项目", "考核指标", "拨款", "合计"]
    assert any(p.number in [str(c.value) for c in row] for row in book["项目"].iter_rows())
    client.force_login(pw.applicant)
    assert client.get(f"/finance/projects/calls/{p.call_id}.xlsx").status_code == 403


def test_a_stale_task_book_edit_is_refused_and_what_was_typed_stays(client, pw):
    p = _project(pw)
    ind = _revenue(p)
    client.force_login(pw.officer)
    stale = _edit_form(client, p)
    services.task_book_update(actor=pw.officer, project=p, lock_version=p.lock_version, changes={"content": "另一位业务人员的修改"})
    stale[f"target__{ind.pk}__kpi_new_revenue"] = "7000万"
    page = client.post(f"/projects/{p.pk}/edit/", stale)
    assert page.status_code == 409
    assert "项目已被他人修改" in page.content.decode()
    assert 'value="7000万"' in page.content.decode()
    ind.refresh_from_db()
    assert ind.targets["kpi_new_revenue"] == 50_000_000
