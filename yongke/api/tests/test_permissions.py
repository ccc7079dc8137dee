"""The permission matrix: every operation × every role × own / other object.

"Own" is the caller's organisation's object, the recommender's jurisdiction (青秀区 450103)
or the officer's programme (专项1); "other" is the other organisation's (西乡塘区 450107,
专项2). Reads of objects one cannot see are 404; writes one may not make are 403; no
credentials is 401. Drafts are invisible to everyone but their organisation, auditors and
admins, so writes to them by recommenders or officers are 404.

Projects (`project_world`): each step is tried on a project in a state the step starts from,
so that only who asks decides; a call's project settings are tried on a call opening only the
officer's programme (own) and on one opening only programme 2 (other). A project is seen by its unit, its recommending unit, the
officers of its programme and finance; the task book is the officer's, the
signature the unit's org admin's, payments finance's, a change request the unit's, its opinion
the recommending unit's and its decision the officer's (the services decide).

三权分立 (docs/duties.md): the system administrator manages accounts and reference data (it may
register organisations, not read people's records) and takes no workflow step nor reads an application, a review
or a project; the auditor reads the audit log only; the security administrator neither. Calls
are their programme's officers': side "own" opens direction 1.1 (programme 1), "other" 14.1
(programme 2). The officer of programme 2 (`other_officer`) is the officer's mirror.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yongke.api.tests.conftest import PDF, ROLES, fresh_id_number
from yongke.orgs.validators import uscc_with_check

_n = itertools.count(1)
A = "/api/v1"


def _side(w, side, own, other):
    return own if side == "own" else other


def _p(w, side):
    """The side's projects (conftest.ProjectSide)."""
    return _side(w, side, w.project_a, w.project_b)


def _project(w, side, state, tail=""):
    return f"{A}/projects/{getattr(_p(w, side), state).pk}{tail}"


def _step(w, side, state, action, **extra):
    return ("POST", _project(w, side, state, "/transitions"), {"action": action, **extra}, None)


def _receipt(w, sender):
    """A received 提交 of `sender`'s (own: the world's applicant; other: another organisation's)."""
    from yongke.jobs.models import Job

    draft = w.draft_a if sender == w.applicant else w.draft_b
    return Job.objects.create(
        kind=Job.Kind.TRANSITION,
        created_by=sender,
        params={"application": draft.pk, "action": "submit", "received_at": timezone.now().isoformat()},
    )


TRANCHES = [{"label": "首次拨款", "share_pct": 60, "condition": "signing"}, {"label": "余款", "share_pct": 40, "condition": "acceptance"}]


# operation -> (world, side) -> (method, path, json, multipart data)
OPS = {
    "me": lambda w, s: ("GET", f"{A}/me", None, None),
    "token": lambda w, s: ("POST", f"{A}/auth/token", {"username": w.users["applicant"].username, "password": "pw-Test-1234"}, None),
    "calls_list": lambda w, s: ("GET", f"{A}/calls", None, None),
    "calls_get": lambda w, s: ("GET", f"{A}/calls/{w.call.pk}", None, None),
    "calls_create": lambda w, s: (
        "POST",
        f"{A}/calls",
        {"name": "新批次", "closes_at": (timezone.now() + dt.timedelta(days=9)).isoformat(), "directions": [_side(w, s, "1.1", "14.1")]},
        None,
    ),
    "calls_close": lambda w, s: ("POST", f"{A}/calls/{_side(w, s, w.call_a, w.call_b).pk}/close", None, None),
    "guide": lambda w, s: ("GET", f"{A}/guide", None, None),
    "validate_uscc": lambda w, s: ("GET", f"{A}/organisations/validate-uscc?code={w.org.uscc}", None, None),
    "orgs_list": lambda w, s: ("GET", f"{A}/organisations", None, None),
    "orgs_create": lambda w, s: (
        "POST",
        f"{A}/organisations",
        {
            "uscc": uscc_with_check(f"914501{5000 + next(_n):04d}MB7K{next(_n) % 1000:03d}"),
            "name": "新登记单位",
            "kind": "enterprise",
            "district": "450105",
        },
        None,
    ),
    "orgs_get": lambda w, s: ("GET", f"{A}/organisations/{_side(w, s, w.org, w.other_org).pk}", None, None),
    "orgs_update": lambda w, s: ("PATCH", f"{A}/organisations/{_side(w, s, w.org, w.other_org).pk}", {"address": "民族大道1号"}, None),
    "people_list": lambda w, s: ("GET", f"{A}/people", None, None),
    "people_get": lambda w, s: ("GET", f"{A}/people/{_side(w, s, w.person_a, w.person_b).pk}", None, None),
    "people_create": lambda w, s: (
        "POST",
        f"{A}/people",
        {"name": "新成员", "id_number": fresh_id_number(), "organisation": _side(w, s, w.org, w.other_org).pk},
        None,
    ),
    "apps_list": lambda w, s: ("GET", f"{A}/applications", None, None),
    "apps_create": lambda w, s: (
        "POST",
        f"{A}/applications",
        {
            "call": w.call.pk,
            "direction": "1.1",
            "organisation": _side(w, s, w.org, w.other_org).pk,
            "title": f"新项目{next(_n)}",
            "requested_amount": 500_000,
            "facts": {"kpi_invention_patent_applications": 3},
        },
        None,
    ),
    "apps_get": lambda w, s: ("GET", f"{A}/applications/{_side(w, s, w.submitted_a, w.submitted_b).pk}", None, None),
    "apps_pdf": lambda w, s: ("GET", f"{A}/applications/{_side(w, s, w.submitted_a, w.submitted_b).pk}/pdf", None, None),
    "apps_check": lambda w, s: ("POST", f"{A}/applications/{_side(w, s, w.submitted_a, w.submitted_b).pk}/check", None, None),
    "apps_timeline": lambda w, s: ("GET", f"{A}/applications/{_side(w, s, w.submitted_a, w.submitted_b).pk}/timeline", None, None),
    "apps_submissions": lambda w, s: ("GET", f"{A}/applications/{_side(w, s, w.submitted_a, w.submitted_b).pk}/submissions", None, None),
    "attachments_list": lambda w, s: ("GET", f"{A}/applications/{_side(w, s, w.submitted_a, w.submitted_b).pk}/attachments", None, None),
    "attachments_download": lambda w, s: (
        "GET",
        f"{A}/applications/{_side(w, s, w.submitted_a, w.submitted_b).pk}/attachments/"
        f"{_side(w, s, w.attachment_a, w.attachment_b).pk}/download",
        None,
        None,
    ),
    "apps_update": lambda w, s: (
        "PATCH",
        f"{A}/applications/{_side(w, s, w.draft_a, w.draft_b).pk}",
        {"lock_version": _side(w, s, w.draft_a, w.draft_b).lock_version, "summary": "改过的摘要"},
        None,
    ),
    "attachments_upload": lambda w, s: (
        "POST",
        f"{A}/applications/{_side(w, s, w.draft_a, w.draft_b).pk}/attachments",
        None,
        {"kind": "营业执照", "file": SimpleUploadedFile("执照.pdf", PDF, content_type="application/pdf")},
    ),
    "submit": lambda w, s: ("POST", f"{A}/applications/{_side(w, s, w.draft_a, w.draft_b).pk}/transitions", {"action": "submit"}, None),
    # Received at once, taken by the worker (Prefer: respond-async): the same people may send it.
    "submit_received": lambda w, s: (
        "POST",
        f"{A}/applications/{_side(w, s, w.draft_a, w.draft_b).pk}/transitions",
        {"action": "submit"},
        None,
        {"HTTP_PREFER": "respond-async"},
    ),
    "jobs_get": lambda w, s: ("GET", f"{A}/jobs/{_receipt(w, _side(w, s, w.applicant, w.stranger)).pk}", None, None),
    "recommend": lambda w, s: (
        "POST",
        f"{A}/applications/{_side(w, s, w.submitted_a, w.submitted_b).pk}/transitions",
        {"action": "recommend"},
        None,
    ),
    "return": lambda w, s: (
        "POST",
        f"{A}/applications/{_side(w, s, w.submitted_a, w.submitted_b).pk}/transitions",
        {"action": "return", "comment": "请补充财务报表"},
        None,
    ),
    "audit_list": lambda w, s: ("GET", f"{A}/audit", None, None),
    # Operations whose only check used to be the API's own: now the service's or the selector's.
    "experts_list": lambda w, s: ("GET", f"{A}/experts", None, None),
    "experts_create": lambda w, s: ("POST", f"{A}/experts", {"person": _side(w, s, w.person_a, w.person_b).pk, "fields": ["C3976"]}, None),
    "awards_screen": lambda w, s: (
        "POST",
        f"{A}/awards/screen",
        {"orgs": [{"name": "甲", "uscc": "91450103MA5L123454", "points": 75, "region_award_received": True}], "directions": ["26.1"]},
        None,
    ),
    # Projects: reads
    "projects_list": lambda w, s: ("GET", f"{A}/projects", None, None),
    "projects_get": lambda w, s: ("GET", _project(w, s, "drafting"), None, None),
    "task_book_get": lambda w, s: ("GET", _project(w, s, "drafting", "/task-book"), None, None),
    "projects_timeline": lambda w, s: ("GET", _project(w, s, "running", "/timeline"), None, None),
    "projects_versions": lambda w, s: ("GET", _project(w, s, "running", "/versions"), None, None),
    "projects_pdf": lambda w, s: ("GET", _project(w, s, "running", "/pdf"), None, None),
    "project_file_download": lambda w, s: (
        "GET",
        _project(w, s, "running", f"/files/{_p(w, s).signed_file.pk}/download"),
        None,
        None,
    ),
    "payments_list": lambda w, s: ("GET", _project(w, s, "running", "/payments"), None, None),
    "calls_ledger": lambda w, s: ("GET", f"{A}/calls/{w.call.pk}/ledger", None, None),
    "calls_projects_xlsx": lambda w, s: ("GET", f"{A}/calls/{w.call.pk}/projects.xlsx", None, None),
    "portfolio": lambda w, s: ("GET", f"{A}/portfolio?programme={_side(w, s, '1', '2')}", None, None),
    "portfolio_xlsx": lambda w, s: ("GET", f"{A}/portfolio.xlsx?programme={_side(w, s, '1', '2')}", None, None),
    "changes_list": lambda w, s: ("GET", _project(w, s, "running", "/changes"), None, None),
    "changes_get": lambda w, s: ("GET", f"{A}/changes/{_p(w, s).requested.pk}", None, None),
    "project_settings_get": lambda w, s: ("GET", f"{A}/calls/{w.call.pk}/project-settings", None, None),
    "bank_account_get": lambda w, s: ("GET", f"{A}/organisations/{_side(w, s, w.org, w.other_org).pk}/bank-account", None, None),
    # Projects: writes, each from a state it may start from
    "task_book_update": lambda w, s: (
        "PATCH",
        _project(w, s, "drafting", "/task-book"),
        {"lock_version": _p(w, s).drafting.lock_version, "content": "补充后的研究内容"},
        None,
    ),
    "project_send": lambda w, s: _step(w, s, "drafting", "send"),
    "project_revoke": lambda w, s: _step(w, s, "drafting", "revoke", comment="承担单位放弃立项"),
    "project_sign": lambda w, s: (
        "POST",
        _project(w, s, "signing", "/transitions"),
        None,
        {"action": "sign", "file": SimpleUploadedFile("任务书.pdf", PDF + b"%sign", content_type="application/pdf")},
    ),
    "project_reopen": lambda w, s: _step(w, s, "signing", "reopen", comment="考核指标需调整"),
    "project_countersign": lambda w, s: _step(w, s, "signed", "countersign"),
    "payments_record": lambda w, s: (
        "POST",
        _project(w, s, "running", "/payments"),
        {"tranche": 1, "amount": 100_000, "paid_on": timezone.localdate().isoformat(), "voucher": f"PZ-{next(_n)}"},
        None,
    ),
    "changes_create": lambda w, s: (
        "POST",
        _project(w, s, "running", "/changes"),
        {"kind": "targets", "reasons": "研究方向调整", "payload": {"content": "调整后的研究内容"}},
        None,
    ),
    "changes_opinion": lambda w, s: ("POST", f"{A}/changes/{_p(w, s).requested.pk}/opinion", {"agrees": True, "opinion": "同意"}, None),
    "changes_decision": lambda w, s: ("POST", f"{A}/changes/{_p(w, s).reviewed.pk}/decision", {"approve": True}, None),
    "changes_withdraw": lambda w, s: ("POST", f"{A}/changes/{_p(w, s).requested.pk}/withdraw", None, None),
    "project_settings_set": lambda w, s: (
        "PUT",
        f"{A}/calls/{_side(w, s, w.call_a, w.call_b).pk}/project-settings",
        {"sign_days": 20, "tranches": TRANCHES},
        None,
    ),
    "bank_account_set": lambda w, s: (
        "POST",
        f"{A}/organisations/{_side(w, s, w.org, w.other_org).pk}/bank-account",
        {"bank": "广西北部湾银行南宁分行", "name": "收款户", "number": "6214830100223344"},
        None,
    ),
}

# Expected status per role, in the order of ROLES; "own/other" where they differ.
#                        anonymous org_admin  applicant  recommender officer    finance expert     auditor sysadmin
EXPECT = {
    "me": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "token": ("200", "200", "200", "200", "200", "200", "200", "200", "200"),
    "calls_list": ("200", "200", "200", "200", "200", "200", "200", "200", "200"),
    "calls_get": ("200", "200", "200", "200", "200", "200", "200", "200", "200"),
    "calls_create": ("401", "403", "403", "403", "201/403", "403", "403", "403", "403"),
    "calls_close": ("401", "403", "403", "403", "200/403", "403", "403", "403", "403"),
    "guide": ("200", "200", "200", "200", "200", "200", "200", "200", "200"),
    "validate_uscc": ("200", "200", "200", "200", "200", "200", "200", "200", "200"),
    "orgs_list": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "orgs_create": ("401", "403", "403", "403", "201", "403", "403", "403", "201"),
    "orgs_get": ("401", "200/404", "200/404", "200/404", "200", "200", "404", "404", "404"),
    "orgs_update": ("401", "403/404", "403/404", "403/404", "200", "403", "404", "404", "404"),
    "people_list": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "people_get": ("401", "200/404", "200/404", "200/404", "200", "200", "404", "404", "404"),
    "people_create": ("401", "201/403", "201/403", "403", "201", "403", "403", "403", "403"),
    "apps_list": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "apps_create": ("401", "201/403", "201/403", "403", "403", "403", "403", "403", "403"),
    "apps_get": ("401", "200/404", "200/404", "200/404", "200/404", "404", "200/404", "404", "404"),
    "apps_pdf": ("401", "200/404", "200/404", "200/404", "200/404", "404", "200/404", "404", "404"),
    "apps_check": ("401", "200/404", "200/404", "200/404", "200/404", "404", "200/404", "404", "404"),
    "apps_timeline": ("401", "200/404", "200/404", "200/404", "200/404", "404", "200/404", "404", "404"),
    "apps_submissions": ("401", "200/404", "200/404", "200/404", "200/404", "404", "200/404", "404", "404"),
    "attachments_list": ("401", "200/404", "200/404", "200/404", "200/404", "404", "200/404", "404", "404"),
    "attachments_download": ("401", "200/404", "200/404", "200/404", "200/404", "404", "200/404", "404", "404"),
    "apps_update": ("401", "200/404", "200/404", "404", "404", "404", "404", "404", "404"),
    "attachments_upload": ("401", "201/404", "201/404", "404", "404", "404", "404", "404", "404"),
    "submit": ("401", "200/404", "200/404", "404", "404", "404", "404", "404", "404"),
    "submit_received": ("401", "202/404", "202/404", "404", "404", "404", "404", "404", "404"),
    "jobs_get": ("401", "404", "200/404", "404", "404", "404", "404", "404", "404"),  # its sender's only
    "recommend": ("401", "403/404", "403/404", "200/404", "403/404", "404", "403/404", "404", "404"),
    "return": ("401", "403/404", "403/404", "403/404", "200/404", "404", "403/404", "404", "404"),
    "audit_list": ("401", "403", "403", "403", "403", "403", "403", "200", "403"),
    "experts_list": ("401", "403", "403", "403", "200", "403", "403", "403", "403"),
    "experts_create": ("401", "403", "403", "403", "201", "403", "403", "403", "403"),
    "awards_screen": ("401", "403", "403", "403", "200", "403", "403", "403", "403"),
    # Projects
    #                        anonymous org_admin  applicant  recommender officer    finance expert     auditor sysadmin
    "projects_list": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "projects_get": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "task_book_get": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "projects_timeline": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "projects_versions": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "projects_pdf": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "project_file_download": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "payments_list": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "calls_ledger": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "calls_projects_xlsx": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "portfolio": ("401", "403", "403", "403", "200", "200", "403", "403", "403"),
    "portfolio_xlsx": ("401", "403", "403", "403", "200", "200", "403", "403", "403"),
    "changes_list": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "changes_get": ("401", "200/404", "200/404", "200/404", "200/404", "200", "404", "404", "404"),
    "project_settings_get": ("401", "200", "200", "200", "200", "200", "200", "200", "200"),
    "bank_account_get": ("401", "200/404", "200/404", "200/404", "200", "200", "404", "404", "404"),
    "task_book_update": ("401", "403/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "project_send": ("401", "403/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "project_revoke": ("401", "403/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "project_sign": ("401", "200/404", "403/404", "403/404", "403/404", "403", "404", "404", "404"),
    "project_reopen": ("401", "200/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "project_countersign": ("401", "403/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "payments_record": ("401", "403/404", "403/404", "403/404", "403/404", "201", "404", "404", "404"),
    "changes_create": ("401", "201/404", "201/404", "403/404", "403/404", "403", "404", "404", "404"),
    "changes_opinion": ("401", "403/404", "403/404", "200/404", "403/404", "403", "404", "404", "404"),
    "changes_decision": ("401", "403/404", "403/404", "403/404", "200/404", "403", "404", "404", "404"),
    "changes_withdraw": ("401", "200/404", "200/404", "403/404", "403/404", "403", "404", "404", "404"),
    "project_settings_set": ("401", "403", "403", "403", "200/403", "403", "403", "403", "403"),
    "bank_account_set": ("401", "201/404", "403/404", "403/404", "403", "403", "404", "404", "404"),
}


CODES = {401: "unauthenticated", 403: "permission_denied", 404: "not_found"}


def _mirrored(cell: str) -> str:
    """The officer of programme 2 (the world's `other_officer`): "own" is programme 1's, so they
    are refused or shown nothing where the officer of programme 1 may act, and act on programme 2's."""
    own, _, other = cell.partition("/")
    return f"{other}/{own}" if other else own


# Two more callers (三权分立 and programme scope): the officer of another programme, the mirror
# of the officer's column; and the security administrator, who manages second factors and
# lockouts only — the auditor's column without the audit log.
CALLERS = (*ROLES, "other_officer", "security")


def _row(op: str) -> tuple[str, ...]:
    row = EXPECT[op]
    auditor = row[ROLES.index("auditor")]
    return (*row, _mirrored(row[ROLES.index("officer")]), "403" if op == "audit_list" else auditor)


def _cases():
    for op, row in EXPECT.items():
        assert len(row) == len(ROLES), op
        for role, cell in zip(CALLERS, _row(op), strict=True):
            own, _, other = cell.partition("/")
            for side, status in (("own", own), ("other", other or own)):
                yield pytest.param(op, role, side, int(status), id=f"{op}-{role}-{side}")


def test_no_administrator_writes_in_the_workflow():
    """The sysadmin's writes are accounts and reference data (registering organisations); the auditor and
    the security administrator write nothing."""
    for op, row in EXPECT.items():
        sysadmin, auditor = row[ROLES.index("sysadmin")], row[ROLES.index("auditor")]
        if any(c.startswith(("201", "200")) for c in row[1:7]) and op.endswith(WRITES):
            assert not auditor.startswith("20"), op
            assert op == "orgs_create" or not sysadmin.startswith("20"), op


WRITES = (
    "_create",
    "_update",
    "_close",
    "_upload",
    "submit",
    "_received",
    "recommend",
    "return",
    "_send",
    "_revoke",
    "_sign",
    "_reopen",
    "_countersign",
    "_record",
    "_opinion",
    "_decision",
    "_withdraw",
    "_set",
    "_screen",
)


@pytest.fixture(scope="module")
def security_token(project_world, django_db_blocker):
    """A security administrator with a bearer token, for this module's matrix."""
    from yongke.accounts.services import token_create
    from yongke.testing import make_user

    with django_db_blocker.unblock():
        user = make_user("security")
        project_world.tokens["security"] = token_create(actor=user, user=user, name="tests")
    yield
    project_world.tokens.pop("security", None)


def test_every_operation_is_in_the_matrix():
    assert set(OPS) == set(EXPECT)


@pytest.mark.parametrize(("op", "role", "side", "status"), list(_cases()))
def test_permission_matrix(api, project_world, security_token, expert_assigned, op, role, side, status):
    method, path, json, data, *more = OPS[op](project_world, side)
    headers = more[0] if more else {}
    client = api.as_(role)
    if method == "GET":
        response = client.get(path, **headers)
    elif method == "PATCH":
        response = client.patch(path, json, **headers)
    elif method == "PUT":
        response = client.request("PUT", path, json=json, **headers)
    else:
        response = client.post(path, json, data=data, **headers)
    assert response.status_code == status, response.content[:500]
    if status >= 400:
        body = response.json()
        assert set(body) == {"code", "message", "detail"}
        assert body["message"]
        assert body["code"] == CODES[status]
