"""The API of reports, mid-term checks, acceptance and panels: its permission matrix over every
operation × every role × own / other project, and the journeys through it (a report written,
evidenced and submitted; an expert who sees the material only after accepting; refusals with
their codes).

"Own" is the world's organisation's project (direction 1.1, programme 1, the officer's), "other"
the other organisation's (14.1, programme 2: the officer of another programme sees it not). An
expert's own task is a panel they are invited to; the other side's panel has another expert.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from yongke import testing as t
from yongke.api.acceptance import router
from yongke.api.tests.conftest import PDF, ROLES
from yongke.projects import acceptance as acc
from yongke.projects import certificate
from yongke.projects import services as ps
from yongke.projects.models import Acceptance, PanelMember, Project, Report
from yongke.review import services as review_services

A = "/api/v1"
_n = itertools.count(1)


@dataclass
class Side:
    running: Project  # in progress: a submitted mid-term report, a complete final draft
    midterm: Report
    final_draft: Report
    draft_file: Any
    awaiting: Project  # asking for acceptance on a submitted final report
    awaiting_report: Report
    invited: PanelMember  # an open panel, its expert invited
    accepted: PanelMember  # an open panel, its expert accepted
    accepted_file: Any
    documents: Acceptance  # an open acceptance by documents
    closed: Project  # passed and closed
    call: Any  # a call opening only this side's direction


def _expert(user: Any = None) -> Any:
    org = t.make_org(district="450105", name=f"验收接口专家单位{next(_n)}")
    return review_services.expert_add(actor=t.TEST, person=t.make_person(org), organisation=org, user=user or t.make_user("expert"))


def _met(project: Project) -> dict[str, Any]:
    """Actuals at every target the task book fixes: every indicator passes."""
    out: dict[str, Any] = {}
    for ind in project.indicators.filter(source="commitment"):
        out.update({k: v for k, v in ind.targets.items() if v is not None})
    return out


def _side(world: Any, side: str, expert: Any) -> Side:
    if side == "a":
        where: dict[str, Any] = {}
        officer, admin, member, direction = world.officer, world.org_admin, world.applicant, "1.1"
    else:
        where = {"org": world.other_org, "direction": "14.1"}
        officer, admin, member, direction = world.other_officer, t.TEST, world.stranger, "14.1"

    def running() -> Project:
        p = t.make_application_in("contracted", world=world, **where).project
        p = ps.project_transition(actor=officer, project=p, action="send")
        p = ps.project_transition(actor=admin, project=p, action="sign", filename="任务书.pdf", content=PDF + side.encode())
        return ps.project_transition(actor=officer, project=p, action="countersign")

    def final(p: Project) -> Report:
        r = acc.report_save(
            actor=member, project=p, kind="final", narrative="完成", actuals=_met(p), spent=[{"category": "equipment", "fiscal": 100_000}]
        )
        for ind in p.indicators.filter(source="commitment"):
            acc.report_attach(
                actor=member, report=r, filename=f"证明{ind.pk}.pdf", content=PDF + f"{p.pk}:{ind.pk}".encode(), indicator=ind.pk
            )
        return Report.objects.get(pk=r.pk)

    def awaiting() -> Report:
        return acc.report_submit(actor=admin, report=final(running()))

    def panel(who: Any) -> Acceptance:
        r = awaiting()
        return acc.acceptance_open(actor=officer, project=r.project, mode="panel", experts=[who.pk])

    p = running()
    mid = acc.report_submit(actor=admin, report=acc.report_save(actor=member, project=p, kind="midterm", narrative="中期进展"))
    draft = final(p)
    waiting = awaiting()
    invited = panel(expert).members.get()
    accepted = panel(expert).members.get()
    accepted = acc.panel_respond(actor=expert.user, member=accepted, accept=True, no_conflict=True)
    documents = acc.acceptance_open(actor=officer, project=awaiting().project, mode="documents")
    done = acc.acceptance_open(actor=officer, project=awaiting().project, mode="documents")
    done = acc.acceptance_decide(
        actor=officer,
        acceptance=done,
        verdict="passed",
        reasons={str(i.pk): {"result": "pass", "reason": ""} for i in done.project.indicators.all()},
        comment="通过",
    )
    return Side(
        running=p,
        midterm=mid,
        final_draft=draft,
        draft_file=draft.files.first(),
        awaiting=waiting.project,
        awaiting_report=waiting,
        invited=invited,
        accepted=accepted,
        accepted_file=accepted.acceptance.report.files.first(),
        documents=documents,
        closed=done.project,
        call=t.make_call(days=30, directions=[direction]),
    )


@dataclass
class AcceptanceApiWorld:
    world: Any
    a: Side
    b: Side


@pytest.fixture(scope="module")
def aw(world, django_db_blocker):
    """The API world with each side's projects in every state an operation starts from; made once
    for the module in a savepoint of the package's transaction, rolled back after its last test."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            mine = _expert(world.users["expert"])
            theirs = _expert()
            for _ in range(2):  # the pool's spares, for a panel that invites more
                _expert()
            yield AcceptanceApiWorld(world=world, a=_side(world, "a", mine), b=_side(world, "b", theirs))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _s(w: AcceptanceApiWorld, side: str) -> Side:
    return w.a if side == "own" else w.b


def _reasons(project: Project) -> dict[str, Any]:
    return {str(i.pk): {"result": "pass", "reason": ""} for i in project.indicators.all()}


def _opinion(project: Project) -> dict[str, Any]:
    return {str(i.pk): {"result": "pass", "comment": ""} for i in project.indicators.all()}


# operation -> (world, side) -> (method, path, json, multipart data)
OPS = {
    "schedule": lambda w, s: ("GET", f"{A}/projects/{_s(w, s).running.pk}/schedule", None, None),
    "reports_list": lambda w, s: ("GET", f"{A}/projects/{_s(w, s).running.pk}/reports", None, None),
    "report_get": lambda w, s: ("GET", f"{A}/reports/{_s(w, s).midterm.pk}", None, None),
    "report_save": lambda w, s: ("PUT", f"{A}/projects/{_s(w, s).running.pk}/reports/final", {"narrative": "补充执行情况"}, None),
    "evidence_upload": lambda w, s: (
        "POST",
        f"{A}/reports/{_s(w, s).final_draft.pk}/evidence",
        None,
        {"file": SimpleUploadedFile("佐证.pdf", PDF + b"%upload", content_type="application/pdf")},
    ),
    "evidence_remove": lambda w, s: ("DELETE", f"{A}/reports/{_s(w, s).final_draft.pk}/evidence/{_s(w, s).draft_file.pk}", None, None),
    "report_submit": lambda w, s: ("POST", f"{A}/reports/{_s(w, s).final_draft.pk}/submit", {}, None),
    "report_return": lambda w, s: ("POST", f"{A}/reports/{_s(w, s).midterm.pk}/return", {"comment": "请补充"}, None),
    "midterm_check": lambda w, s: ("POST", f"{A}/reports/{_s(w, s).midterm.pk}/midterm-check", {"outcome": "qualified"}, None),
    "report_pdf": lambda w, s: ("GET", f"{A}/reports/{_s(w, s).awaiting_report.pk}/pdf", None, None),
    "reports_overdue": lambda w, s: ("GET", f"{A}/reports/overdue", None, None),
    "report_reminders": lambda w, s: ("POST", f"{A}/reports/reminders", None, None),
    "acceptances_list": lambda w, s: ("GET", f"{A}/projects/{_s(w, s).documents.project_id}/acceptances", None, None),
    "acceptance_open": lambda w, s: ("POST", f"{A}/projects/{_s(w, s).awaiting.pk}/acceptances", {"mode": "documents"}, None),
    "acceptance_get": lambda w, s: ("GET", f"{A}/acceptances/{_s(w, s).documents.pk}", None, None),
    "acceptance_invite": lambda w, s: ("POST", f"{A}/acceptances/{_s(w, s).accepted.acceptance_id}/invitations", {"k": 1}, None),
    "acceptance_decide": lambda w, s: (
        "POST",
        f"{A}/acceptances/{_s(w, s).documents.pk}/decision",
        {"verdict": "passed", "reasons": _reasons(_s(w, s).documents.project), "comment": "通过"},
        None,
    ),
    "certificate": lambda w, s: ("GET", f"{A}/projects/{_s(w, s).closed.pk}/certificate", None, None),
    "panel_tasks": lambda w, s: ("GET", f"{A}/panel-tasks", None, None),
    "panel_task_get": lambda w, s: ("GET", f"{A}/panel-tasks/{_s(w, s).invited.pk}", None, None),
    "panel_respond": lambda w, s: ("POST", f"{A}/panel-tasks/{_s(w, s).invited.pk}/response", {"accept": True, "no_conflict": True}, None),
    "panel_opinion": lambda w, s: (
        "POST",
        f"{A}/panel-tasks/{_s(w, s).accepted.pk}/opinion",
        {"opinion": _opinion(_s(w, s).accepted.acceptance.project), "recommendation": "passed", "comment": "同意"},
        None,
    ),
    "panel_file_download": lambda w, s: (
        "GET",
        f"{A}/panel-tasks/{_s(w, s).accepted.pk}/files/{_s(w, s).accepted_file.pk}/download",
        None,
        None,
    ),
    "postaward_settings_get": lambda w, s: ("GET", f"{A}/calls/{_s(w, s).call.pk}/postaward-settings", None, None),
    "postaward_settings_set": lambda w, s: ("PUT", f"{A}/calls/{_s(w, s).call.pk}/postaward-settings", {"documents_below": 600_000}, None),
}

# Expected status per role, in the order of ROLES; "own/other" where they differ. The auditor and the
# sysadmin read no project and take no step (三权分立, docs/duties.md): 404 for a project, 403 for a role-gated list.
#                        anonymous org_admin  applicant  recommender officer    finance expert     auditor sysadmin
EXPECT = {
    "schedule": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "reports_list": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "report_get": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "report_save": ("401", "200/404", "200/404", "403/404", "403/404", "403", "404", "404", "404"),
    "evidence_upload": ("401", "201/404", "201/404", "403/404", "403/404", "403", "404", "404", "404"),
    "evidence_remove": ("401", "200/404", "200/404", "403/404", "403/404", "403", "404", "404", "404"),
    "report_submit": ("401", "200/404", "403/404", "403/404", "403/404", "403", "404", "404", "404"),
    "report_return": ("401", "403/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "midterm_check": ("401", "403/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "report_pdf": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "reports_overdue": ("401", "403", "403", "403", "200", "403", "403", "403", "403"),
    "report_reminders": ("401", "403", "403", "403", "200", "403", "403", "403", "403"),
    "acceptances_list": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "acceptance_open": ("401", "403/404", "403/404", "403/404", "201/404", "403", "404", "404", "404"),
    "acceptance_get": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "acceptance_invite": ("401", "403/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "acceptance_decide": ("401", "403/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "certificate": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "panel_tasks": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "panel_task_get": ("401", "404", "404", "404", "404", "404", "200/404", "404", "404"),
    "panel_respond": ("401", "404", "404", "404", "404", "404", "200/404", "404", "404"),
    "panel_opinion": ("401", "404", "404", "404", "404", "404", "200/404", "404", "404"),
    "panel_file_download": ("401", "404", "404", "404", "404", "404", "200/404", "404", "404"),
    "postaward_settings_get": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "postaward_settings_set": ("401", "403", "403", "403", "200/403", "403", "403", "403", "403"),
}
CODES = {401: "unauthenticated", 403: "permission_denied", 404: "not_found"}


def _cases():
    for op, row in EXPECT.items():
        assert len(row) == len(ROLES), op
        for role, cell in zip(ROLES, row, strict=True):
            own, _, other = cell.partition("/")
            for side, status in (("own", own), ("other", other or own)):
                yield pytest.param(op, role, side, int(status), id=f"{op}-{role}-{side}")


def _send(api, role: str, method: str, path: str, json: Any, data: Any):
    client = api.as_(role)
    if method == "GET":
        return client.get(path)
    if method == "POST":
        return client.post(path, json, data=data)
    return client.request(method, path, json=json)


def test_every_operation_of_the_router_is_in_the_matrix():
    operations = [
        (method, op.view_func.__name__) for view in router.path_operations.values() for op in view.operations for method in op.methods
    ]
    assert len(operations) == len(OPS)
    assert set(OPS) == set(EXPECT)


@pytest.mark.parametrize(("op", "role", "side", "status"), list(_cases()))
def test_permission_matrix(api, aw, monkeypatch, op, role, side, status):
    # Who may is decided before the PDF is laid out (test_certificate.py reads the real ones back).
    monkeypatch.setattr(certificate, "_pdf", lambda template, context: PDF)
    method, path, json, data = OPS[op](aw, side)
    response = _send(api, role, method, path, json, data)
    assert response.status_code == status, response.content[:500]
    if status >= 400:
        body = response.json()
        assert set(body) == {"code", "message", "detail"}
        assert body["message"]
        assert body["code"] == CODES[status]


# --------------------------------------------------------------------------- journeys


def test_a_report_written_evidenced_and_submitted_over_the_api(api, aw):
    p = aw.a.running
    unit = api.as_("applicant")
    body = unit.request(
        "PUT", f"{A}/projects/{p.pk}/reports/final", json={"narrative": "全部完成", "actuals": _met(p), "lock_version": 999}
    )
    assert (body.status_code, body.json()["code"]) == (409, "conflict")
    body = unit.request("PUT", f"{A}/projects/{p.pk}/reports/final", json={"actuals": {"kpi_new_revenue": "很多"}})
    assert (body.status_code, body.json()["detail"]["field"]) == (400, "actuals.kpi_new_revenue")
    draft = unit.request("PUT", f"{A}/projects/{p.pk}/reports/final", json={"narrative": "全部完成", "actuals": _met(p)}).json()
    assert (draft["state"], draft["narrative"]) == ("draft", "全部完成")
    assert len(draft["files"]) == len(p.indicators.filter(source="commitment"))
    ind = p.indicators.first()
    up = unit.post(
        f"{A}/reports/{draft['id']}/evidence",
        data={"file": SimpleUploadedFile("专利.pdf", PDF + b"%j", content_type="application/pdf"), "indicator": str(ind.pk)},
    )
    assert (up.status_code, up.json()["indicator"], up.json()["filename"]) == (201, ind.pk, "专利.pdf")
    done = api.as_("org_admin").post(f"{A}/reports/{draft['id']}/submit", {"lock_version": draft["lock_version"]})
    assert done.status_code == 200, done.content
    assert (done.json()["state"], done.json()["checks"]["verdict"]) == ("submitted", "pass")
    assert api.as_("org_admin").get(f"{A}/projects/{p.pk}").json()["state"] == "acceptance"


def test_an_incomplete_report_is_a_422_naming_what_is_missing(api, aw):
    p = aw.a.running
    draft = api.as_("applicant").request("PUT", f"{A}/projects/{p.pk}/reports/final", json={"actuals": {}}).json()
    r = api.as_("org_admin").post(f"{A}/reports/{draft['id']}/submit", {})
    assert (r.status_code, r.json()["code"]) == (422, "report_incomplete")
    assert r.json()["detail"]["field"].startswith("actuals.")


def test_the_expert_sees_the_material_only_after_accepting(api, aw):
    expert = api.as_("expert")
    m = aw.a.invited
    before = expert.get(f"{A}/panel-tasks/{m.pk}").json()
    assert (before["material"], before["project"]) == (None, None)
    assert aw.a.invited.acceptance.project.organisation.name in before["conflict"]["question"]
    refused = expert.post(f"{A}/panel-tasks/{m.pk}/response", {"accept": True})
    assert (refused.status_code, refused.json()["detail"]["field"]) == (400, "no_conflict")
    after = expert.post(f"{A}/panel-tasks/{m.pk}/response", {"accept": True, "no_conflict": True}).json()
    assert after["state"] == "accepted"
    assert after["material"]["narrative"] == "完成"
    assert after["project"]["number"] == m.acceptance.project.number
    listed = expert.get(f"{A}/panel-tasks").json()
    assert {row["id"] for row in listed["items"]} == {aw.a.invited.pk, aw.a.accepted.pk}


def test_the_unit_sees_an_acceptance_without_its_panel(api, aw):
    a = aw.a.accepted.acceptance
    unit = api.as_("org_admin").get(f"{A}/acceptances/{a.pk}").json()
    officer = api.as_("officer").get(f"{A}/acceptances/{a.pk}").json()
    assert (unit["members"], len(officer["members"])) == ([], 1)
    assert unit["progress"] == officer["progress"] == {"invited": 1, "pending": 0, "accepted": 1, "submitted": 0, "declined": 0}


def test_no_decision_on_an_incomplete_panel_over_the_api(api, aw):
    a = aw.a.accepted.acceptance
    r = api.as_("officer").post(
        f"{A}/acceptances/{a.pk}/decision", {"verdict": "passed", "reasons": _reasons(a.project), "comment": "通过"}
    )
    assert (r.status_code, r.json()["code"]) == (422, "review_incomplete")


def test_the_postaward_settings_over_the_api(api, aw):
    call = aw.a.call
    officer = api.as_("officer")
    r = officer.request(
        "PUT",
        f"{A}/calls/{call.pk}/postaward-settings",
        json={"rectify_months": 2, "consequences": {"acceptance_failed": {"subject": "leader", "years": 2, "source": "本批次规定"}}},
    )
    assert r.status_code == 200, r.content
    assert (r.json()["rectify_months"], r.json()["consequences"]["acceptance_failed"]["years"]) == (2, 2)
    bad = officer.request(
        "PUT", f"{A}/calls/{call.pk}/postaward-settings", json={"consequences": {"acceptance_failed": {"subject": "team"}}}
    )
    assert (bad.status_code, bad.json()["detail"]["field"]) == (400, "consequences.acceptance_failed")
    back = officer.request("PUT", f"{A}/calls/{call.pk}/postaward-settings", json={"rectify_months": None}).json()
    assert "rectify_months" not in back["overridden"]


def test_the_pdfs_are_pdfs(api, aw):
    cert = api.as_("org_admin").get(f"{A}/projects/{aw.a.closed.pk}/certificate")
    assert (cert.status_code, cert["Content-Type"]) == (200, "application/pdf")
    assert cert.content.startswith(b"%PDF")
    not_yet = api.as_("org_admin").get(f"{A}/projects/{aw.a.running.pk}/certificate")
    assert (not_yet.status_code, not_yet.json()["code"]) == (422, "not_accepted")
