"""The pages after signing: a project's 报告与验收 with its schedule (the overdue marked), the
unit's report (an actual per target fact beside the clause, spending per budget line, evidence
per indicator, the verification, submission), the officer's queue, mid-term check, acceptance
(opened, decided per indicator against the verification), termination and rescission with the
money shown first, the expert's panel (the conflict question before accepting), finance's
recoveries, a call's settings and the public list of accepted projects. Each page for those
who may see it (else 403 or 404), each form's happy path and a bad input shown beside its
field with nothing changed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from yongke.orgs.models import CreditRecord
from yongke.projects import acceptance as acc
from yongke.projects import acceptance_selectors as sel
from yongke.projects.models import Acceptance, PanelMember, Project, ProjectCallSettings, ProjectFile, Recovery, RecoveryReceipt, Report
from yongke.projects.tests.acceptance_helpers import (
    FIRST,
    PATENTS,
    REVENUE,
    commitments,
    final_draft,
    fresh,
    module_world,
    opinion_all,
    pay,
    pdf,
    reasons_all,
    running,
    submitted_final,
)
from yongke.testing import TEST, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory)


@pytest.fixture(scope="module")
def project(world, django_db_blocker):
    """One project in progress for the module (each test's changes are rolled back)."""
    with django_db_blocker.unblock():
        return running(world)


def _as(client, user):
    client.force_login(user)
    return client


def _revenue(p: Project):
    return p.indicators.get(rule_id="1:revenue")


def _report_post(p: Project, **overrides: str) -> dict[str, str]:
    """The report form as the unit fills it in: the targets met, money spent on equipment, a narrative."""
    data = {
        f"actual__{PATENTS}": "3",
        f"actual__{REVENUE}": "5000万",
        "spent__equipment__fiscal": "30万",
        "spent__equipment__self_raised": "",
        "narrative": "全面完成任务书规定的研究内容。",
    }
    for line in p.budget_lines.exclude(category="equipment"):
        data[f"spent__{line.category}__fiscal"] = ""
        data[f"spent__{line.category}__self_raised"] = ""
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- 报告与验收 of a project


def test_the_projects_section_shows_its_schedule_to_those_who_see_the_project(client, world, project):
    url = f"/projects/{project.pk}/postaward/"
    schedule = sel.schedule_of(project)
    for who in ("org_admin", "applicant", "officer", "finance", "recommender"):
        page = _as(client, getattr(world, who)).get(url)
        assert page.status_code == 200, who
        body = page.content.decode()
        assert schedule.final_report_due.isoformat() in body
        assert 'data-kind="final"' in body
        assert 'data-kind="midterm"' in body
    for who in ("stranger", "other_officer", "other_recommender", "expert", "auditor", "sysadmin"):
        assert _as(client, getattr(world, who)).get(url).status_code == 404, who
    # the unit is offered the forms; the officer is not
    assert f'href="/projects/{project.pk}/reports/final/"' in _as(client, world.applicant).get(url).content.decode()
    assert f'href="/projects/{project.pk}/reports/final/"' not in _as(client, world.officer).get(url).content.decode()
    # the project's page loads the section
    detail = _as(client, world.applicant).get(f"/projects/{project.pk}/").content.decode()
    assert f'hx-get="/projects/{project.pk}/postaward/?part=1"' in detail


def test_a_report_past_its_due_date_is_marked_overdue(client, world, project):
    due = sel.schedule_of(project).midterm_due
    assert due is not None
    url = f"/projects/{project.pk}/postaward/?part=1"
    before = _as(client, world.applicant).get(url).content.decode()
    assert not re.search(r'data-kind="midterm"[^>]*data-overdue', before)
    with time_machine.travel(dt.datetime.combine(due + dt.timedelta(days=3), dt.time(12)), tick=False):
        client.force_login(world.applicant)
        after = client.get(url).content.decode()
        assert re.search(r'data-kind="midterm" data-number="1" data-overdue="1"', after)
        assert "已逾期" in after
        client.force_login(world.officer)
        queue = client.get("/officer/reports/").content.decode()
        assert f'data-project="{project.pk}" data-kind="midterm"' in queue


# --------------------------------------------------------------------------- the unit's report


def test_the_report_form_has_a_box_per_target_fact_beside_the_clause(client, world, project):
    page = _as(client, world.applicant).get(f"/projects/{project.pk}/reports/final/")
    assert page.status_code == 200
    body = page.content.decode()
    revenue = _revenue(project)
    assert revenue.clause in body
    assert f'name="actual__{REVENUE}"' in body
    assert f'name="actual__{PATENTS}"' in body
    assert 'name="spent__equipment__fiscal"' in body
    assert 'name="narrative"' in body
    assert re.search(rf'data-indicator="{revenue.pk}" data-fact="{REVENUE}">.*?50,000,000 元', body, re.S)
    # who may not see the project finds nothing; an officer reads it without the form
    assert _as(client, world.stranger).get(f"/projects/{project.pk}/reports/final/").status_code == 404
    officer = _as(client, world.officer).get(f"/projects/{project.pk}/reports/final/").content.decode()
    assert 'name="actual__' not in officer
    assert _as(client, world.applicant).get(f"/projects/{project.pk}/reports/nonsense/").status_code == 404


def test_the_unit_saves_its_report_and_sees_the_verification(client, world, project):
    response = _as(client, world.applicant).post(f"/projects/{project.pk}/reports/final/", _report_post(project))
    r = Report.objects.get(project=project, kind="final")
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{r.pk}/"
    assert (r.state, r.actuals) == ("draft", {PATENTS: 3, REVENUE: 50_000_000})
    assert {"category": "equipment", "fiscal": 300_000, "self_raised": 0} in r.spent
    page = client.get(f"/reports/{r.pk}/").content.decode()
    assert 'data-verdict="pass"' in page
    assert 'id="completion-rate">100%' in page
    assert 'value="5000万"' not in page
    assert 'value="50000000"' in page


def test_a_bad_actual_is_shown_beside_its_box_and_nothing_is_saved(client, world, project):
    response = _as(client, world.applicant).post(
        f"/projects/{project.pk}/reports/final/", _report_post(project, **{f"actual__{REVENUE}": "很多"})
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(rf'id="id_actual__{REVENUE}-errors"', body)
    assert 'value="很多"' in body  # what was typed stays
    assert not Report.objects.filter(project=project).exists()


def test_a_refusal_of_the_service_keeps_what_was_typed(client, world, project):
    too_much = _report_post(project, spent__equipment__fiscal="900万")
    response = _as(client, world.applicant).post(f"/projects/{project.pk}/reports/final/", too_much)
    assert response.status_code == 400
    body = response.content.decode()
    assert "超过立项金额" in body
    assert 'value="900万"' in body
    assert not Report.objects.filter(project=project).exists()


def test_evidence_is_uploaded_per_indicator(client, world, project):
    r = final_draft(world, project, evidence=False)
    ind = commitments(project)[0]
    _as(client, world.applicant)
    response = client.post(
        f"/reports/{r.pk}/evidence/", {"indicator": str(ind.pk), "file": SimpleUploadedFile("专利受理通知书.pdf", pdf("a"))}
    )
    assert response.status_code == 302
    f = ProjectFile.objects.get(report=r)
    assert (f.indicator_id, f.filename, f.kind) == (ind.pk, "专利受理通知书.pdf", "evidence")
    page = client.get(f"/reports/{r.pk}/").content.decode()
    assert f'href="/reports/{r.pk}/files/{f.pk}/"' in page
    assert client.get(f"/reports/{r.pk}/files/{f.pk}/").status_code == 200
    # no file: the error under the box, nothing added
    bad = client.post(f"/reports/{r.pk}/evidence/", {"indicator": str(ind.pk)})
    assert bad.status_code == 400
    assert ProjectFile.objects.filter(report=r).count() == 1
    assert 'class="errorlist"' in bad.content.decode()
    # removed
    assert client.post(f"/reports/{r.pk}/files/{f.pk}/remove/").status_code == 302
    assert not ProjectFile.objects.filter(report=r).exists()
    assert _as(client, world.stranger).get(f"/reports/{r.pk}/").status_code == 404


def test_an_incomplete_report_is_refused_beside_the_indicator_lacking_evidence(client, world, project):
    r = final_draft(world, project, evidence=False)
    response = _as(client, world.org_admin).post(f"/reports/{r.pk}/submit/", {"confirm": "on", "lock_version": str(r.lock_version)})
    assert response.status_code == 422
    body = response.content.decode()
    ind = commitments(project)[0]
    assert f'id="evidence-{ind.pk}-errors"' in body
    assert "尚无佐证材料" in body
    assert (fresh(r).state, fresh(project).state) == ("draft", "in_progress")


def test_the_admin_submits_the_final_report_asking_for_acceptance(client, world, project):
    r = final_draft(world, project)
    assert _as(client, world.applicant).post(f"/reports/{r.pk}/submit/", {"confirm": "on"}).status_code == 403  # the admin's
    unticked = _as(client, world.org_admin).post(f"/reports/{r.pk}/submit/", {})
    assert unticked.status_code == 400
    assert fresh(r).state == "draft"
    response = client.post(f"/reports/{r.pk}/submit/", {"confirm": "on", "lock_version": str(fresh(r).lock_version)})
    assert response.status_code == 302
    assert (fresh(r).state, fresh(project).state) == ("submitted", "acceptance")
    page = client.get(f"/reports/{r.pk}/").content.decode()
    assert 'name="actual__' not in page
    assert 'id="report-pdf"' in page


# --------------------------------------------------------------------------- the officer


def test_the_queue_lists_the_reports_to_check_for_officers_only(client, world, project):
    r = submitted_final(world, project)
    page = _as(client, world.officer).get("/officer/reports/")
    assert page.status_code == 200
    assert f'data-report="{r.pk}"' in page.content.decode()
    assert _as(client, world.applicant).get("/officer/reports/").status_code == 403
    assert f'data-report="{r.pk}"' not in _as(client, world.other_officer).get("/officer/reports/").content.decode()


def _midterm_submitted(world, project) -> Report:
    r = acc.report_save(
        actor=world.applicant, project=project, kind="midterm", narrative="按计划推进。", actuals={PATENTS: 1, REVENUE: 20_000_000}
    )
    return acc.report_submit(actor=world.org_admin, report=r)


def test_the_officer_checks_a_midterm_report(client, world, project):
    r = _midterm_submitted(world, project)
    page = _as(client, world.officer).get(f"/reports/{r.pk}/").content.decode()
    assert 'id="midterm-form"' in page
    assert 'id="milestone-checks"' in page
    # 限期整改 without a date: the error beside the date, nothing changed
    bad = client.post(f"/reports/{r.pk}/check/", {"outcome": "rectify", "comment": "进度滞后"})
    assert bad.status_code == 400
    assert 'id="id_rectify_by-errors"' in bad.content.decode()
    assert fresh(r).state == "submitted"
    ok = client.post(f"/reports/{r.pk}/check/", {"outcome": "qualified", "comment": ""})
    assert ok.status_code == 302
    assert (fresh(r).state, fresh(r).outcome) == ("checked", "qualified")
    assert fresh(project).midterm_passed_at is not None
    assert _as(client, world.applicant).post(f"/reports/{r.pk}/check/", {"outcome": "qualified"}).status_code == 403
    assert _as(client, world.other_officer).post(f"/reports/{r.pk}/check/", {"outcome": "qualified"}).status_code == 404


def test_the_officer_returns_a_final_report(client, world, project):
    r = submitted_final(world, project)
    _as(client, world.officer)
    assert client.post(f"/reports/{r.pk}/return/", {"comment": ""}).status_code == 400
    assert fresh(r).state == "submitted"
    assert client.post(f"/reports/{r.pk}/return/", {"comment": "审计报告不清晰"}).status_code == 302
    assert (fresh(r).state, fresh(project).state) == ("returned", "in_progress")
    assert "审计报告不清晰" in _as(client, world.applicant).get(f"/reports/{r.pk}/").content.decode()


def test_the_officer_opens_an_acceptance_by_documents_and_decides_per_indicator(client, world, project):
    r = submitted_final(world, project)
    _as(client, world.officer)
    too_many = client.post(f"/reports/{r.pk}/acceptance/", {"mode": "panel", "experts_wanted": "12"})
    assert too_many.status_code == 422
    assert "可邀请的验收专家只有" in too_many.content.decode()
    assert not Acceptance.objects.filter(project=project).exists()
    response = client.post(f"/reports/{r.pk}/acceptance/", {"mode": "documents"})
    a = Acceptance.objects.get(project=project)
    assert response.status_code == 302
    assert response["Location"] == f"/acceptances/{a.pk}/"
    page = client.get(f"/acceptances/{a.pk}/").content.decode()
    ind = commitments(project)[0]
    assert re.search(rf'name="result__{ind.pk}" value="pass"[^>]*checked', page)  # prefilled from the verification
    data = {f"result__{k}": v["result"] for k, v in reasons_all(project).items()}
    data.update({f"reason__{k}": "" for k in reasons_all(project)})
    data.update({"verdict": "passed", "comment": "各项指标均已完成。"})
    # 通过 with an indicator judged not achieved: refused beside that indicator, nothing decided
    refused = client.post(f"/acceptances/{a.pk}/decide/", {**data, f"result__{ind.pk}": "fail", f"reason__{ind.pk}": "证明不足"})
    assert refused.status_code == 422
    assert re.search(
        rf'<fieldset class="plain" data-indicator="{ind.pk}">(?:(?!</fieldset>).)*class="errorlist"><li>[^<]*验收结论不能为通过',
        refused.content.decode(),
        re.S,
    )
    assert fresh(a).state == "open"
    assert fresh(project).state == "acceptance"
    done = client.post(f"/acceptances/{a.pk}/decide/", data)
    assert done.status_code == 302
    assert (fresh(a).verdict, fresh(project).state) == ("passed", "closed")
    unit_page = _as(client, world.applicant).get(f"/projects/{project.pk}/postaward/").content.decode()
    assert 'data-verdict="passed"' in unit_page
    assert 'id="certificate-link"' in unit_page
    assert _as(client, world.applicant).post(f"/acceptances/{a.pk}/decide/", data).status_code == 403
    assert _as(client, world.stranger).get(f"/acceptances/{a.pk}/").status_code == 404


def test_the_certificate_is_downloaded_once_the_project_is_closed(client, world, project):
    assert _as(client, world.applicant).get(f"/projects/{project.pk}/certificate.pdf").status_code == 302  # none yet: back with the reason
    a = acc.acceptance_open(actor=world.officer, project=submitted_final(world, project).project, mode="documents")
    acc.acceptance_decide(actor=world.officer, acceptance=a, verdict="passed", reasons=reasons_all(project), comment="通过")
    response = client.get(f"/projects/{project.pk}/certificate.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert _as(client, world.stranger).get(f"/projects/{project.pk}/certificate.pdf").status_code == 404


# --------------------------------------------------------------------------- the expert


def test_an_expert_answers_and_gives_the_acceptance_form(client, world, project):
    r = submitted_final(world, project)
    a = acc.acceptance_open(actor=world.officer, project=r.project, mode="panel", experts=[world.experts[0].pk, world.experts[1].pk])
    m = a.members.get(expert=world.experts[0])
    _as(client, world.expert)
    listing = client.get("/expert/acceptances/").content.decode()
    assert f'data-member="{m.pk}"' in listing
    before = client.get(f"/expert/acceptances/{m.pk}/").content.decode()
    assert project.title in before
    assert 'id="conflict-question"' in before
    assert project.organisation.name in before  # the conflict question names the unit
    assert r.narrative not in before
    assert "panel-indicators" not in before
    # accepting without the declaration: refused beside the box
    bad = client.post(f"/expert/acceptances/{m.pk}/respond/", {"answer": "accept"})
    assert bad.status_code == 400
    assert re.search(r'id="accept-form".*?class="errorlist"', bad.content.decode(), re.S)
    assert fresh(m).state == "invited"
    assert client.post(f"/expert/acceptances/{m.pk}/respond/", {"answer": "accept", "no_conflict": "on"}).status_code == 302
    assert fresh(m).state == "accepted"
    after = client.get(f"/expert/acceptances/{m.pk}/").content.decode()
    assert r.narrative in after
    assert 'id="opinion-form"' in after
    ind = commitments(project)[0]
    opinion = {f"result__{k}": v["result"] for k, v in opinion_all(project).items()}
    opinion.update({"recommendation": "passed", "comment": "同意通过验收。"})
    # a 未达到 without a word: refused beside its comment
    failing = client.post(f"/expert/acceptances/{m.pk}/opinion/", {**opinion, f"result__{ind.pk}": "fail"})
    assert failing.status_code == 400
    assert f'id="id_comment__{ind.pk}-errors"' in failing.content.decode()
    assert fresh(m).state == "accepted"
    assert client.post(f"/expert/acceptances/{m.pk}/opinion/", opinion).status_code == 302
    m = fresh(m)
    assert (m.state, m.recommendation) == ("submitted", "passed")
    assert m.opinion[str(ind.pk)]["result"] == "pass"
    # the officer sees the opinion on the acceptance page; the unit does not see the panel
    officer_page = _as(client, world.officer).get(f"/acceptances/{a.pk}/").content.decode()
    assert f'data-member="{m.pk}" data-state="submitted"' in officer_page
    assert "同意通过验收。" in officer_page
    assert f'data-member="{m.pk}"' not in _as(client, world.applicant).get(f"/acceptances/{a.pk}/").content.decode()
    # another expert's task is not found; a non-expert is refused the page
    other = a.members.get(expert=world.experts[1])
    assert _as(client, world.expert).get(f"/expert/acceptances/{other.pk}/").status_code == 404
    assert _as(client, world.applicant).get("/expert/acceptances/").status_code == 403


def test_an_expert_declines_with_a_reason(client, world, project):
    r = submitted_final(world, project)
    a = acc.acceptance_open(actor=world.officer, project=r.project, mode="panel", experts=[world.experts[0].pk])
    m = a.members.get()
    _as(client, world.expert)
    bad = client.post(f"/expert/acceptances/{m.pk}/respond/", {"answer": "decline", "reason": ""})
    assert bad.status_code == 400
    assert 'id="id_reason-errors"' in bad.content.decode()
    assert fresh(m).state == "invited"
    assert client.post(f"/expert/acceptances/{m.pk}/respond/", {"answer": "decline", "reason": "与承担单位有合作关系"}).status_code == 302
    assert fresh(m).state == "declined"


# --------------------------------------------------------------------------- ending a project, the money first


def test_termination_shows_the_money_before_it_is_confirmed(client, world, project):
    pay(world, project, FIRST)
    url = f"/projects/{project.pk}/terminate/"
    assert _as(client, world.applicant).get(url).status_code == 403
    assert _as(client, world.other_officer).get(url).status_code == 404
    _as(client, world.officer)
    assert client.get(url).status_code == 200
    blank = client.post(url, {"comment": "", "misused": "", "lock_version": str(project.lock_version)})
    assert blank.status_code == 400
    assert 'id="id_comment-errors"' in blank.content.decode()
    preview = client.post(url, {"comment": "技术路线无法实现", "misused": "", "lock_version": str(project.lock_version)})
    assert preview.status_code == 200
    body = preview.content.decode()
    assert re.search(r'data-preview="due"><strong>350,000 元', body)  # nothing reported spent: all paid is unused
    assert 'name="confirm"' in body
    assert fresh(project).state == "in_progress"
    assert not Recovery.objects.filter(project=project).exists()
    done = client.post(url, {"comment": "技术路线无法实现", "misused": "", "confirm": "on", "lock_version": str(project.lock_version)})
    assert done.status_code == 302
    assert fresh(project).state == "terminated"
    assert Recovery.objects.get(project=project).amount_due == FIRST


def test_rescission_for_misconduct_shows_the_credit_consequences(client, world, project):
    pay(world, project, FIRST)
    url = f"/projects/{project.pk}/rescind/"
    _as(client, world.officer)
    data = {"comment": "弄虚作假", "misconduct": "on", "lock_version": str(project.lock_version)}
    preview = client.post(url, data).content.decode()
    assert 'data-consequence="revoked_misconduct"' in preview
    assert client.post(url, {**data, "confirm": "on"}).status_code == 302
    assert fresh(project).state == "revoked"
    assert CreditRecord.objects.filter(origin=f"project:{project.number}", consequence="revoked_misconduct").exists()
    unit = _as(client, world.applicant).get(f"/projects/{project.pk}/postaward/").content.decode()
    assert 'data-credit="revoked_misconduct"' in unit
    assert 'id="project-recoveries"' in unit


# --------------------------------------------------------------------------- finance


def test_finance_records_money_returned(client, world, project):
    pay(world, project, FIRST)
    from yongke.projects import services as svc

    svc.project_terminate(actor=world.officer, project=fresh(project), comment="无法继续")
    recovery = Recovery.objects.get(project=project)
    assert _as(client, world.applicant).get("/finance/recoveries/").status_code == 403
    page = _as(client, world.finance).get("/finance/recoveries/").content.decode()
    assert f'data-recovery="{recovery.pk}"' in page
    url = f"/finance/recoveries/{recovery.pk}/receive/"
    assert client.get(url).status_code == 200
    today = dt.date.today().isoformat()
    too_much = client.post(url, {"amount": "40万", "received_on": today, "voucher": "TH-0001"})
    assert too_much.status_code == 422
    assert 'id="id_amount-errors"' in too_much.content.decode()
    assert 'value="40万"' in too_much.content.decode()
    assert not RecoveryReceipt.objects.exists()
    assert client.post(url, {"amount": "10万", "received_on": today, "voucher": "TH-0001"}).status_code == 302
    assert fresh(recovery).received == 100_000
    assert _as(client, world.officer).get(url).status_code == 403  # finance's own form


# --------------------------------------------------------------------------- settings and the public list


def test_the_officer_sets_a_calls_postaward_settings(client, world):
    url = f"/officer/calls/{world.call.pk}/postaward/"
    assert _as(client, world.applicant).get(url).status_code == 403
    _as(client, world.officer)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"rectify_months": "0"})
    assert bad.status_code == 400
    assert 'id="id_rectify_months-errors"' in bad.content.decode()
    assert not ProjectCallSettings.objects.filter(call=world.call, publish_results=True).exists()
    # the call opens directions of a programme this officer does not hold: refused, and said why
    refused = client.post(url, {"publish_results": "on", "rectify_months": "2"})
    assert refused.status_code == 403
    assert "其他专项" in refused.content.decode()
    assert not ProjectCallSettings.objects.filter(call=world.call, publish_results=True).exists()
    every = make_user("officer", programme="*")  # an officer of every programme the call opens
    assert _as(client, every).post(url, {"publish_results": "on", "rectify_months": "2"}).status_code == 302
    s = ProjectCallSettings.objects.get(call=world.call)
    assert (s.publish_results, s.rectify_months) == (True, 2)


def test_the_public_list_shows_accepted_projects_of_calls_that_publish_them(client, world, project):
    a = acc.acceptance_open(actor=world.officer, project=submitted_final(world, project).project, mode="documents")
    acc.acceptance_decide(actor=world.officer, acceptance=a, verdict="passed", reasons=reasons_all(project), comment="通过")
    client.logout()
    assert project.title not in client.get("/accepted/").content.decode()  # the call does not publish them
    acc.postaward_settings_set(actor=TEST, call=world.call, publish_results=True)
    page = client.get("/accepted/")
    assert page.status_code == 200
    body = page.content.decode()
    assert project.title in body
    assert project.organisation.name in body
    assert "50,000,000 元" in body  # the revenue achieved
    assert project.leader.name not in body  # as the 公示 pages: no person named


def test_panel_members_states_are_shown_to_the_officer(client, world, project):
    r = submitted_final(world, project)
    a = acc.acceptance_open(actor=world.officer, project=r.project, mode="panel", experts=[e.pk for e in world.experts[:3]])
    members = list(a.members.order_by("pk"))
    acc.panel_respond(actor=world.expert_users[0], member=members[0], accept=True, no_conflict=True)
    acc.panel_respond(actor=world.expert_users[1], member=members[1], accept=False, comment="出差")
    page = _as(client, world.officer).get(f"/acceptances/{a.pk}/").content.decode()
    assert f'data-member="{members[0].pk}" data-state="accepted"' in page
    assert f'data-member="{members[1].pk}" data-state="declined"' in page
    assert f'data-member="{members[2].pk}" data-state="invited"' in page
    # deciding before the panel is done is refused, and said so
    data = {f"result__{k}": "pass" for k in reasons_all(project)}
    refused = client.post(f"/acceptances/{a.pk}/decide/", {**data, "verdict": "passed", "comment": "通过"})
    assert refused.status_code == 422
    assert "专家验收尚未完成" in refused.content.decode()
    assert fresh(a).state == "open"
    assert PanelMember.objects.filter(acceptance=a).count() == 3


def test_the_other_pages_refuse_who_may_not_use_them(client, world, project):
    r = submitted_final(world, project)
    a = acc.acceptance_open(actor=world.officer, project=r.project, mode="panel", experts=[world.experts[0].pk])
    m = a.members.get()
    f = r.files.first()
    assert f is not None
    refused = {
        (f"/reports/{r.pk}/return/", "post"): {"applicant": 403, "other_officer": 404},
        (f"/reports/{r.pk}/acceptance/", "post"): {"org_admin": 403, "other_officer": 404},
        (f"/acceptances/{a.pk}/invite/", "post"): {"applicant": 403, "other_officer": 404},
        (f"/projects/{project.pk}/rescind/", "get"): {"applicant": 403, "other_officer": 404},
        (f"/reports/{r.pk}/report.pdf", "get"): {"stranger": 404, "other_officer": 404},
        (f"/reports/{r.pk}/files/{f.pk}/", "get"): {"stranger": 404},
        (f"/expert/acceptances/{m.pk}/files/{f.pk}/", "get"): {"applicant": 403},
        (f"/expert/acceptances/{m.pk}/report.pdf", "get"): {"officer": 403},
        (f"/officer/calls/{world.call.pk}/postaward/", "get"): {"finance": 403},
    }
    for (url, method), who in refused.items():
        for name, status in who.items():
            client.force_login(getattr(world, name))
            assert getattr(client, method)(url).status_code == status, (url, name)
    # the invited expert sees no evidence before accepting; once accepted, the file and the report
    client.force_login(world.expert)
    assert client.get(f"/expert/acceptances/{m.pk}/files/{f.pk}/").status_code == 404
    acc.panel_respond(actor=world.expert, member=m, accept=True, no_conflict=True)
    assert client.get(f"/expert/acceptances/{m.pk}/files/{f.pk}/").status_code == 200
    # another expert, not on the panel, finds nothing
    client.force_login(world.expert_users[1])
    assert client.get(f"/expert/acceptances/{m.pk}/").status_code == 404
