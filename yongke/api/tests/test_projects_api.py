"""The projects over the API: from 立项 to an amendment of the 任务书, with what the services
refuse turned into the API's statuses, and bodies equal to what the selectors return."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any, get_args

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yongke import testing as t
from yongke.accounts.services import token_create
from yongke.api import projects as api_projects
from yongke.api.tests.conftest import PDF
from yongke.orgs.models import BankAccount
from yongke.projects import selectors
from yongke.projects.models import ChangeRequest, Indicator, Payment, Project, ProjectCallSettings, TaskBookVersion, TrancheCondition
from yongke.projects.rules import add_months

A = "/api/v1"
ACCOUNT = "6222021234567890123"


def wire(value: Any) -> Any:
    """What a value looks like once sent as JSON."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:600]
    return response.json()


def refused(response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:600]
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    if field is not None:
        assert body["detail"]["field"] == field
    return body


def pdf_upload(name: str = "任务书（盖章）.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# --------------------------------------------------------------------------- the whole path


def test_from_the_decision_to_an_amendment(api, world):
    app = t.make_application_in("published", world=world, title="智能装备关键技术研发")
    officer, unit, member, recommender, finance = (api.as_(r) for r in ("officer", "org_admin", "applicant", "recommender", "finance"))
    with time_machine.travel(app.objection_ends_at + dt.timedelta(minutes=1), tick=False):
        # 立项 opens the project with its 任务书 drafted from the 申报书
        assert ok(officer.post(f"{A}/applications/{app.pk}/transitions", {"action": "contract"}))["state"] == "contracted"
        project = Project.objects.get(application=app)
        url = f"{A}/projects/{project.pk}"
        book = ok(officer.get(f"{url}/task-book"))
        assert (book["state"], book["editable"], book["approved_amount"]) == ("drafting", True, 500_000)
        assert [i["rule"] for i in book["indicators"]] == ["1:ip", "1:revenue"]
        assert sum(tr["amount"] for tr in book["tranches"]) == 500_000

        # the officer raises a target, adds an indicator and a stage, within the period
        stage = book["milestones"][0]
        edited = ok(
            officer.patch(
                f"{url}/task-book",
                {
                    "lock_version": book["lock_version"],
                    "content": "研制智能装备控制系统",
                    "indicators": {"1:ip": {"kpi_invention_patent_applications": 5}},
                    "extra_indicators": [{"label": "培养研究生", "unit": "人", "target_value": 2}],
                    "milestones": [
                        {"due_on": stage["due_on"], "title": "完成样机", "targets": {"kpi_invention_patent_applications": 2}},
                        {"due_on": project.ends_on.isoformat(), "title": "完成全部考核指标"},
                    ],
                },
            )
        )
        assert edited["lock_version"] == book["lock_version"] + 1
        assert Indicator.objects.get(project=project, rule_id="1:ip").targets["kpi_invention_patent_applications"] == 5
        extra = [i for i in edited["indicators"] if i["source"] == "extra"]
        assert [(i["label"], i["target_value"]) for i in extra] == [("培养研究生", "2.00")]
        assert "target_value" not in edited["indicators"][0]  # only an added indicator carries one
        assert [m["title"] for m in edited["milestones"]] == ["完成样机", "完成全部考核指标"]

        # send → sign with the stamped PDF (multipart) → countersign
        sent = ok(officer.post(f"{url}/transitions", {"action": "send", "lock_version": edited["lock_version"]}))
        assert sent["state"] == "signing"
        assert sent["project"]["sign_by"] is not None
        assert [a["action"] for a in ok(unit.get(url))["actions"]] == ["reopen", "sign"]
        signed = ok(
            unit.post(f"{url}/transitions", data={"action": "sign", "lock_version": str(sent["lock_version"]), "file": pdf_upload()})
        )
        assert signed["state"] == "signing"
        assert signed["project"]["unit_signed_at"] is not None
        (stamped,) = signed["project"]["files"]
        assert (stamped["kind"], stamped["content_type"], stamped["filename"]) == (
            "signed_task_book",
            "application/pdf",
            "任务书（盖章）.pdf",
        )
        down = officer.get(stamped["download_url"])
        assert down.status_code == 200
        assert b"".join(down.streaming_content) == PDF
        running = ok(officer.post(f"{url}/transitions", {"action": "countersign"}))
        assert running["state"] == "in_progress"
        assert running["state_label"] == "执行中"
        assert [v.number for v in TaskBookVersion.objects.filter(project=project)] == [0]

        # the unit's account, then finance pays the first tranche into it
        account = ok(
            unit.post(
                f"{A}/organisations/{world.org.pk}/bank-account", {"bank": "中国银行南宁分行", "name": world.org.name, "number": ACCOUNT}
            ),
            201,
        )
        assert ACCOUNT not in json.dumps(account)
        paid = ok(
            finance.post(
                f"{url}/payments",
                {"tranche": 1, "amount": 350_000, "paid_on": timezone.localdate().isoformat(), "voucher": "NNKJ-2027-001"},
            ),
            201,
        )
        assert (paid["amount"], paid["account_masked"], paid["tranche_label"]) == (350_000, account["number_masked"], "首次拨款")
        assert ok(unit.get(url))["ledger"] == {
            "granted": 500_000,
            "paid": 350_000,
            "outstanding": 150_000,
            "stopped": 0,
            "due_back": 0,
            "recovered": 0,
            "net": 350_000,
        }

        # an extension: the unit asks (with an attachment), the recommending unit agrees, the officer approves
        new_end = add_months(project.ends_on, 6)
        asked = ok(
            member.post(
                f"{url}/changes",
                data={
                    "kind": "extension",
                    "reasons": "关键设备到货延迟",
                    "payload": json.dumps({"ends_on": new_end.isoformat()}),
                    "files": [pdf_upload("延期说明.pdf", PDF + b"%ext")],
                },
            ),
            201,
        )
        assert (asked["state"], asked["payload"], asked["before"]) == (
            "requested",
            {"ends_on": new_end.isoformat()},
            {"ends_on": project.ends_on.isoformat()},
        )
        assert [f["kind"] for f in asked["files"]] == ["change"]
        reviewed = ok(recommender.post(f"{A}/changes/{asked['id']}/opinion", {"agrees": True, "opinion": "情况属实，同意延期"}))
        assert (reviewed["state"], reviewed["opinion_agrees"]) == ("reviewed", True)
        approved = ok(officer.post(f"{A}/changes/{asked['id']}/decision", {"approve": True, "comment": "同意延期半年"}))
        assert (approved["state"], approved["amendment"]) == ("approved", 1)

        # the amendment is version 1, with what changed from version 0
        versions = ok(unit.get(f"{url}/versions"))
        assert versions["count"] == 2
        original, amended = versions["items"]
        assert (original["label"], original["changes"]) == ("任务书原件", [])
        assert amended["label"] == "第1号变更"
        assert amended["change"] == asked["id"]
        ends, stages = amended["changes"]  # the end date, and the last stage (due at the old end) with it
        assert ends == {"section": "ends_on", "before": project.ends_on.isoformat(), "after": new_end.isoformat()}
        assert stages["section"] == "milestones"
        assert stages["before"][-1]["due_on"] == project.ends_on.isoformat()
        assert stages["after"][-1]["due_on"] == new_end.isoformat()
        assert amended["content"]["ends_on"] == new_end.isoformat()
        project.refresh_from_db()
        assert (project.ends_on, project.amendment) == (new_end, 1)
        actions = [e["action"] for e in ok(unit.get(f"{url}/timeline?page_size=100"))["items"]]
        assert actions == [
            "project_open",
            "task_book_update",
            "send",
            "sign",
            "countersign",
            "payment_record",
            "change_request",
            "change_opinion",
            "change_approve",
        ]


# --------------------------------------------------------------------------- reads


def test_the_list_is_what_the_caller_may_see_filtered_and_paged(api, project_world):
    w = project_world
    mine = ok(api.as_("applicant").get(f"{A}/projects?page_size=2"))
    assert (mine["count"], len(mine["items"]), mine["page"], mine["page_size"]) == (4, 2, 1, 2)
    assert {p["organisation"]["id"] for p in ok(api.as_("applicant").get(f"{A}/projects"))["items"]} == {w.org.pk}
    admin = api.as_("finance")  # finance sees every project (it pays them); no administrator does
    assert ok(admin.get(f"{A}/projects"))["count"] == 8
    assert ok(admin.get(f"{A}/projects?state=signing"))["count"] == 4
    assert {p["id"] for p in ok(admin.get(f"{A}/projects?programme=2&state=in_progress"))["items"]} == {w.project_b.running.pk}
    assert ok(admin.get(f"{A}/projects?direction=14.1"))["count"] == 4
    assert ok(admin.get(f"{A}/projects?organisation={w.other_org.pk}"))["count"] == 4
    assert ok(admin.get(f"{A}/projects?call={w.spare_call.pk}"))["count"] == 0
    assert ok(api.as_("expert").get(f"{A}/projects"))["count"] == 0
    refused(admin.get(f"{A}/projects?state=%00"), 400, "bad_input", "state")


def test_the_list_costs_the_same_number_of_queries_for_more_rows(api, project_world):
    def queries(size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert len(ok(api.as_("finance").get(f"{A}/projects?page_size={size}"))["items"]) == size
        return len(ctx.captured_queries)

    queries(1)  # the token's first use is audited (once in ten minutes), not part of the list's cost
    assert queries(1) == queries(8)


def test_the_detail_shows_the_steps_the_caller_may_take(api, project_world):
    a = project_world.project_a
    assert [s["action"] for s in ok(api.as_("officer").get(f"{A}/projects/{a.drafting.pk}"))["actions"]] == ["send", "revoke"]
    assert ok(api.as_("applicant").get(f"{A}/projects/{a.drafting.pk}"))["actions"] == []
    assert [s["action"] for s in ok(api.as_("org_admin").get(f"{A}/projects/{a.signing.pk}"))["actions"]] == ["reopen", "sign"]
    running = ok(api.as_("finance").get(f"{A}/projects/{a.running.pk}"))
    assert running["ledger"] == wire(selectors.project_ledger(a.running).as_dict())
    assert [f["id"] for f in running["files"]] == [a.signed_file.pk]
    assert (running["number"], running["state_label"], running["amendment"]) == (a.running.number, "执行中", 0)


def test_bodies_are_what_the_selectors_return(api, project_world):
    a = project_world.project_a
    book = ok(api.as_("org_admin").get(f"{A}/projects/{a.drafting.pk}/task-book"))
    own = {k: book.pop(k) for k in ("project", "state", "state_label", "editable", "lock_version")}
    assert own == {"project": a.drafting.pk, "state": "drafting", "state_label": "任务书编制", "editable": True, "lock_version": 1}
    assert book == wire(selectors.task_book_content(a.drafting))
    versions = ok(api.as_("org_admin").get(f"{A}/projects/{a.running.pk}/versions"))["items"]
    assert [v["content"] for v in versions] == [v.content for v in selectors.versions_of(a.running)]
    timeline = ok(api.as_("recommender").get(f"{A}/projects/{a.running.pk}/timeline?page_size=100"))["items"]
    assert [(e["id"], e["action"]) for e in timeline] == [(e.pk, e.action) for e in selectors.project_timeline(t.TEST, a.running)]
    ledger = ok(api.as_("finance").get(f"{A}/calls/{project_world.call.pk}/ledger"))
    expected = selectors.call_ledger(project_world.finance, project_world.call)
    assert [r["project"]["id"] for r in ledger["rows"]] == [r["project"].pk for r in expected["rows"]]
    assert ledger["total"] == wire(expected["total"].as_dict())
    assert ledger["budgets"] == wire(expected["budgets"])
    settings = ok(api.as_("applicant").get(f"{A}/calls/{project_world.call.pk}/project-settings"))
    days, plan = selectors.settings_for(project_world.call)
    assert (settings["sign_days"], [{k: v for k, v in tr.items() if k != "condition_label"} for tr in settings["tranches"]]) == (days, plan)


def test_an_invisible_project_is_a_404_whatever_is_asked(api, project_world):
    b = project_world.project_b
    for path in (
        f"{A}/projects/{b.running.pk}",
        f"{A}/projects/{b.running.pk}/task-book",
        f"{A}/projects/{b.running.pk}/versions",
        f"{A}/projects/{b.running.pk}/files/{b.signed_file.pk}/download",
        f"{A}/changes/{b.requested.pk}",
    ):
        refused(api.as_("applicant").get(path), 404, "not_found")
    refused(api.as_("recommender").post(f"{A}/changes/{b.requested.pk}/opinion", {"agrees": True, "opinion": "同意"}), 404, "not_found")
    refused(api.as_("finance").get(f"{A}/projects/{2**40}"), 404, "not_found")
    a = project_world.project_a
    # a file of another project is not found through this one
    refused(api.as_("finance").get(f"{A}/projects/{a.running.pk}/files/{b.signed_file.pk}/download"), 404, "not_found")
    assert ChangeRequest.objects.get(pk=b.requested.pk).state == "requested"


# --------------------------------------------------------------------------- writes refused


def test_a_forbidden_write_is_a_403_and_writes_nothing(api, project_world):
    a = project_world.project_a
    url = f"{A}/projects/{a.drafting.pk}"
    refused(api.as_("applicant").patch(f"{url}/task-book", {"lock_version": 1, "content": "改"}), 403, "permission_denied")
    refused(api.as_("recommender").post(f"{url}/transitions", {"action": "send"}), 403, "permission_denied")
    refused(
        api.as_("officer").post(f"{A}/projects/{a.signing.pk}/transitions", data={"action": "sign", "file": pdf_upload()}),
        403,
        "permission_denied",
    )
    refused(
        api.as_("officer").post(
            f"{A}/projects/{a.running.pk}/payments", {"tranche": 1, "amount": 1, "paid_on": "2026-01-01", "voucher": "X"}
        ),
        403,
        "permission_denied",
    )
    fresh = Project.objects.get(pk=a.drafting.pk)
    assert (fresh.content, fresh.state, fresh.lock_version) == (a.drafting.content, "drafting", 1)
    assert not Payment.objects.filter(project=a.running).exists()


def test_bad_input_is_a_400_naming_the_field(api, project_world):
    a = project_world.project_a
    officer, unit = api.as_("officer"), api.as_("org_admin")
    book = f"{A}/projects/{a.drafting.pk}/task-book"
    refused(officer.patch(book, {"content": "没有版本号"}), 400, "bad_input", "lock_version")
    refused(officer.patch(book, {"lock_version": "1"}), 400, "bad_input", "lock_version")
    refused(
        officer.patch(book, {"lock_version": 1, "budget": [{"category": "equipment", "fiscal": 1}]}),
        400,
        "bad_input",
        "budget.total.fiscal",
    )
    refused(
        officer.patch(book, {"lock_version": 1, "milestones": [{"due_on": "2001-01-01", "title": "太早"}]}),
        400,
        "bad_input",
        "milestones[0].due_on",
    )
    refused(officer.patch(book, {"lock_version": 1, "tranches": [{"share_pct": 50, "condition": "signing"}]}), 400, "bad_input", "tranches")
    refused(
        officer.patch(book, {"lock_version": 1, "tranches": [{"share_pct": 100, "condition": "someday"}]}),
        400,
        "bad_input",
        "tranches.0.condition",
    )
    steps = f"{A}/projects/{a.signing.pk}/transitions"
    refused(officer.post(steps, {"action": "fly"}), 400, "bad_input", "action")
    refused(officer.post(steps, {"action": "reopen"}), 400, "bad_input", "comment")
    refused(unit.post(steps, {"action": "sign"}), 400, "bad_input", "file")
    refused(unit.post(steps, data={"action": "sign", "file": pdf_upload("任务书.pdf", b"MZ\x90\x00 not a pdf")}), 400, "bad_input", "file")
    refused(unit.post(steps, data={"action": "sign", "lock_version": "abc", "file": pdf_upload()}), 400, "bad_input", "lock_version")
    pay = f"{A}/projects/{a.running.pk}/payments"
    finance = api.as_("finance")
    today = timezone.localdate()
    refused(finance.post(pay, {"tranche": 1, "amount": "100", "paid_on": today.isoformat(), "voucher": "V"}), 400, "bad_input", "amount")
    refused(finance.post(pay, {"tranche": 9, "amount": 100, "paid_on": today.isoformat(), "voucher": "V"}), 400, "bad_input", "tranche")
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    refused(finance.post(pay, {"tranche": 1, "amount": 100, "paid_on": tomorrow, "voucher": "V"}), 400, "bad_input", "paid_on")
    changes = f"{A}/projects/{a.running.pk}/changes"
    member = api.as_("applicant")
    refused(member.post(changes, {"kind": "moving", "reasons": "搬迁"}), 400, "bad_input", "kind")
    refused(member.post(changes, {"kind": "targets", "reasons": "调整", "payload": []}), 400, "bad_input", "payload")
    refused(member.post(changes, {"kind": "leader", "reasons": "调动", "payload": {"leader": 2**40}}), 400, "bad_input", "payload.leader")
    refused(member.post(changes, data={"kind": "targets", "reasons": "调整", "payload": "{not json"}), 400, "bad_input", "payload")
    settings = f"{A}/calls/{project_world.call_a.pk}/project-settings"
    shares = [{"share_pct": 60, "condition": "signing"}, {"share_pct": 30, "condition": "acceptance"}]
    refused(officer.request("PUT", settings, json={"sign_days": 30, "tranches": shares}), 400, "bad_input", "tranches")
    refused(officer.request("PUT", settings, json={"sign_days": 0, "tranches": shares}), 400, "bad_input", "sign_days")
    bank = f"{A}/organisations/{project_world.org.pk}/bank-account"
    refused(unit.post(bank, {"bank": "中国银行", "name": "户名", "number": "12ab"}), 400, "bad_input", "number")
    refused(api.as_("officer").post(f"{A}/changes/{a.reviewed.pk}/decision", {"approve": False}), 400, "bad_input", "comment")
    assert Project.objects.get(pk=a.drafting.pk).lock_version == 1
    assert not Payment.objects.filter(project=a.running).exists()


def test_a_stale_version_is_a_409(api, project_world):
    a = project_world.project_a
    officer = api.as_("officer")
    book = f"{A}/projects/{a.drafting.pk}/task-book"
    ok(officer.patch(book, {"lock_version": 1, "title": "新的项目名称"}))
    body = refused(officer.patch(book, {"lock_version": 1, "title": "又一个名称"}), 409, "conflict")
    assert body["detail"]["lock_version"] == 2
    refused(officer.post(f"{A}/projects/{a.drafting.pk}/transitions", {"action": "send", "lock_version": 1}), 409, "conflict")
    assert Project.objects.get(pk=a.drafting.pk).title == "新的项目名称"


def test_the_rules_refuse_with_a_422(api, project_world):
    a = project_world.project_a
    officer = api.as_("officer")
    lowered = officer.patch(
        f"{A}/projects/{a.drafting.pk}/task-book", {"lock_version": 1, "indicators": {"1:ip": {"kpi_invention_patent_applications": 2}}}
    )
    assert refused(lowered, 422, "target_below_promise")["detail"]["field"] == "indicators.1:ip.kpi_invention_patent_applications"
    refused(officer.patch(f"{A}/projects/{a.running.pk}/task-book", {"lock_version": 1, "content": "x"}), 422, "not_editable")
    refused(officer.post(f"{A}/projects/{a.signing.pk}/transitions", {"action": "countersign"}), 422, "unit_not_signed")
    refused(
        api.as_("org_admin").post(f"{A}/projects/{a.signed.pk}/transitions", data={"action": "sign", "file": pdf_upload()}),
        422,
        "already_signed",
    )
    finance = api.as_("finance")
    pay = f"{A}/projects/{a.running.pk}/payments"
    today = timezone.localdate().isoformat()
    refused(finance.post(pay, {"tranche": 2, "amount": 100, "paid_on": today, "voucher": "V-2"}), 422, "condition_not_met")
    refused(finance.post(pay, {"tranche": 1, "amount": 350_001, "paid_on": today, "voucher": "V-3"}), 422, "over_tranche")
    ok(finance.post(pay, {"tranche": 1, "amount": 100, "paid_on": today, "voucher": "V-4"}), 201)
    refused(finance.post(pay, {"tranche": 1, "amount": 100, "paid_on": today, "voucher": "V-4"}), 409, "voucher_used")
    assert Payment.objects.filter(project=a.running).count() == 1
    extension = {"kind": "extension", "reasons": "再延期", "payload": {"ends_on": add_months(a.running.ends_on, 3).isoformat()}}
    refused(api.as_("applicant").post(f"{A}/projects/{a.running.pk}/changes", extension), 422, "change_pending")
    far = {**extension, "kind": "extension", "payload": {"ends_on": add_months(a.running.ends_on, 13).isoformat()}}
    ok(api.as_("applicant").post(f"{A}/changes/{a.requested.pk}/withdraw"))
    assert refused(api.as_("applicant").post(f"{A}/projects/{a.running.pk}/changes", far), 422, "change_not_allowed")["detail"][
        "field"
    ] == ("payload.ends_on")
    refused(api.as_("recommender").post(f"{A}/changes/{a.reviewed.pk}/opinion", {"agrees": True, "opinion": "再次"}), 422, "bad_state")


# --------------------------------------------------------------------------- changes, settings, accounts, files


def test_a_change_is_withdrawn_once(api, project_world):
    a = project_world.project_a
    url = f"{A}/changes/{a.requested.pk}/withdraw"
    assert ok(api.as_("org_admin").post(url))["state"] == "withdrawn"
    refused(api.as_("org_admin").post(url), 422, "bad_state")
    assert ChangeRequest.objects.get(pk=a.requested.pk).state == "withdrawn"
    listed = ok(api.as_("recommender").get(f"{A}/projects/{a.running.pk}/changes"))
    assert [(c["kind"], c["state"]) for c in listed["items"]] == [("extension", "withdrawn"), ("termination", "reviewed")]


def test_an_approved_termination_ends_the_project_and_stops_the_rest_of_the_grant(api, project_world):
    a = project_world.project_a
    approved = ok(api.as_("officer").post(f"{A}/changes/{a.reviewed.pk}/decision", {"approve": True}))
    assert (approved["state"], approved["amendment"], approved["decided_by"]) == ("approved", 1, project_world.officer.username)
    detail = ok(api.as_("org_admin").get(f"{A}/projects/{a.running.pk}"))
    assert (detail["state"], detail["actions"]) == ("terminated", [])
    assert detail["ledger"]["stopped"] == detail["ledger"]["granted"]


def test_the_calls_project_settings_are_set_and_read_back(api, project_world):
    call = project_world.call_a
    plan = [{"label": "首拨", "share_pct": 60, "condition": "signing"}, {"label": "中期", "share_pct": 40, "condition": "midterm"}]
    put = ok(api.as_("officer").request("PUT", f"{A}/calls/{call.pk}/project-settings", json={"sign_days": 20, "tranches": plan}))
    assert put == ok(api.as_("org_admin").get(f"{A}/calls/{call.pk}/project-settings"))
    assert put["tranches"][1]["condition_label"] == TrancheCondition.MIDTERM.label
    stored = ProjectCallSettings.objects.get(call=call)
    assert (stored.sign_days, stored.tranches, stored.updated_by) == (20, plan, project_world.officer)
    refused(
        api.as_("applicant").request("PUT", f"{A}/calls/{call.pk}/project-settings", json={"sign_days": 9, "tranches": plan}),
        403,
        "permission_denied",
    )
    # a call that also opens programmes the officer is not the officer of is theirs too
    everything = project_world.call
    body = refused(
        api.as_("officer").request("PUT", f"{A}/calls/{everything.pk}/project-settings", json={"sign_days": 9, "tranches": plan}),
        403,
        "permission_denied",
    )
    assert "2" in body["detail"]["programmes"]
    assert not ProjectCallSettings.objects.filter(call=everything).exists()
    every = t.make_user("officer", programme="*")  # the officers of every programme the call opens
    project_world.tokens["every_officer"] = token_create(actor=every, user=every, name="tests")
    ok(api.as_("every_officer").request("PUT", f"{A}/calls/{everything.pk}/project-settings", json={"sign_days": 9, "tranches": plan}))
    assert ProjectCallSettings.objects.get(call=everything).sign_days == 9


def test_a_bank_account_is_shown_masked_and_replaces_the_one_in_force(api, project_world):
    org = project_world.org
    was = BankAccount.objects.get(organisation=org, replaced_at__isnull=True)
    made = ok(
        api.as_("org_admin").post(f"{A}/organisations/{org.pk}/bank-account", {"bank": "工商银行", "name": org.name, "number": ACCOUNT}),
        201,
    )
    assert made["number_masked"] == ok(api.as_("finance").get(f"{A}/organisations/{org.pk}/bank-account"))["number_masked"]
    assert ACCOUNT not in json.dumps(made)
    assert set(made["number_masked"]) - set("0123456789") == {"*"}
    assert BankAccount.objects.get(pk=was.pk).replaced_at is not None
    assert ACCOUNT not in BankAccount.objects.get(organisation=org, replaced_at__isnull=True).number_encrypted
    newcomer = t.make_org(district="450103")
    refused(api.as_("officer").get(f"{A}/organisations/{newcomer.pk}/bank-account"), 404, "not_found")


def test_a_downloaded_file_keeps_its_name_safely(api, project_world):
    a = project_world.project_a
    evil = pdf_upload('..\\../盖章"任务书\r\nX-Injected: 1.pdf')
    signed = ok(api.as_("org_admin").post(f"{A}/projects/{a.signing.pk}/transitions", data={"action": "sign", "file": evil}))
    (stamped,) = signed["project"]["files"]
    assert "/" not in stamped["filename"]
    assert "\\" not in stamped["filename"]
    assert "\r" not in stamped["filename"]
    down = api.as_("recommender").get(stamped["download_url"])
    assert down.status_code == 200
    disposition = down["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert "X-Injected" not in down.headers


def test_a_change_with_attachments_over_multipart(api, project_world):
    a = project_world.project_a
    r = api.as_("applicant").post(
        f"{A}/projects/{a.running.pk}/changes",
        data={
            "kind": "targets",
            "reasons": "调整研究内容",
            "payload": json.dumps({"content": "调整后的研究内容"}),
            "files": [pdf_upload("说明.pdf", PDF + b"%1"), pdf_upload("论证.pdf", PDF + b"%2")],
        },
    )
    made = ok(r, 201)
    assert sorted(f["filename"] for f in made["files"]) == ["论证.pdf", "说明.pdf"]
    assert made["payload"] == {"content": "调整后的研究内容"}
    assert ChangeRequest.objects.get(pk=made["id"]).files.count() == 2
    again = ok(api.as_("finance").get(f"{A}/changes/{made['id']}"))
    assert again == made


def test_the_task_book_pdf(api, project_world):
    r = api.as_("org_admin").get(f"{A}/projects/{project_world.project_a.running.pk}/pdf")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert r["Content-Disposition"] == f'attachment; filename="task-book-{project_world.project_a.running.pk}.pdf"'


def test_the_calls_workbook_holds_the_projects_the_caller_may_see(api, project_world):
    from openpyxl import load_workbook

    def numbers(role: str) -> set[str]:
        r = api.as_(role).get(f"{A}/calls/{project_world.call.pk}/projects.xlsx")
        assert r.status_code == 200
        assert r["Content-Type"] == api_projects.XLSX
        assert r["Content-Disposition"] == f'attachment; filename="call-{project_world.call.pk}-projects.xlsx"'
        sheet = load_workbook(io.BytesIO(r.content), read_only=True)["项目"]
        return {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None}

    a, b = project_world.project_a, project_world.project_b
    assert {a.running.number, b.running.number} <= numbers("finance")
    mine = numbers("applicant")
    assert a.running.number in mine
    assert b.running.number not in mine


def test_the_api_codes_are_the_domains():
    assert set(get_args(api_projects.ChangeKindCode)) == set(ChangeRequest.Kind.values)
    assert set(get_args(api_projects.TrancheConditionCode)) == set(TrancheCondition.values)


@pytest.mark.parametrize("field", ["lock_version", "action"])
def test_the_multipart_form_is_documented_like_the_json_body(client, field):
    doc = client.get(f"{A}/openapi.json").json()
    body = doc["paths"]["/api/v1/projects/{project_id}/transitions"]["post"]["requestBody"]["content"]
    assert field in body["multipart/form-data"]["schema"]["properties"]
    assert field in doc["components"]["schemas"]["ProjectTransitionIn"]["properties"]
    assert body["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"
