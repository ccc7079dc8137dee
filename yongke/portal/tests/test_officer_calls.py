"""Officers open, edit and close calls in the portal: directions with a budget each, limits and
dates in Beijing time; every problem of the form at once, named by label; a change that would
invalidate applications already made is refused."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from yongke.applications import services
from yongke.applications.models import Call
from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, PermissionDenied
from yongke.portal.tests.conftest import an_application

BEIJING = ZoneInfo("Asia/Shanghai")


def form(**overrides):
    data = {
        "name": "2027年度第一批",
        "opens_at": "2026-12-10T09:00",
        "closes_at": "2027-01-15T17:00",
        "directions": ["1.1", "1.2"],
        "budget__1.1": "1500",
        "budget__2": "",
        "leader_limit": "1",
        "org_limit": "",
        "experts_per_application": "3",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_an_officer_opens_a_call_with_directions_budgets_and_beijing_times(client, world):
    client.force_login(world.officer)
    page = client.get("/officer/calls/new/").content.decode()
    assert "开放的申报方向与预算" in page
    assert 'name="budget__1.1"' in page
    response = client.post("/officer/calls/new/", form(blind_review="on", org_limit="2"), follow=True)
    assert "已发布" in response.content.decode()
    call = Call.objects.get(name="2027年度第一批")
    assert call.directions == ["1.1", "1.2"]
    assert call.budgets == {"1.1": 15_000_000}
    assert call.opens_at == dt.datetime(2026, 12, 10, 9, 0, tzinfo=BEIJING)
    assert call.closes_at == dt.datetime(2027, 1, 15, 17, 0, tzinfo=BEIJING)
    assert (call.leader_limit, call.org_limit, call.experts_per_application, call.blind_review) == (1, 2, 3, True)
    assert AuditEvent.objects.filter(action="call_open", target_id=str(call.pk), actor=world.officer).exists()


def test_every_problem_of_the_call_form_is_shown_at_once_by_label(client, world):
    client.force_login(world.officer)
    response = client.post(
        "/officer/calls/new/",
        form(name="", closes_at="2026-12-01T09:00", directions=[], leader_limit="0", **{"budget__1.1": "-5"}),
    )
    body = response.content.decode()
    assert response.status_code == 200
    for message in ("请填写「批次名称」", "「开放的申报方向」：至少选择一个方向", "不能小于 1", "「方向 1.1 预算（万元）」不能小于 0"):
        assert message in body
    assert "每位负责人在本批次最多主持的在审申报数" in body
    assert not Call.objects.filter(name="").exists()
    assert "leader_limit:" not in body  # labels, not field names


def test_a_call_closing_before_it_opens_is_refused_on_the_closing_field(client, world):
    client.force_login(world.officer)
    response = client.post("/officer/calls/new/", form(closes_at="2026-12-01T09:00"))
    assert response.context["form"].errors["closes_at"] == ["「截止时间」须晚于开始时间"]
    assert not Call.objects.filter(name="2027年度第一批").exists()


def test_an_officer_edits_a_call(client, world):
    client.force_login(world.officer)
    call = world.call
    page = client.get(f"/officer/calls/{call.pk}/edit/").content.decode()
    assert f'value="{call.name}"' in page
    assert 'value="2000"' in page  # programme 1's budget of 2000万, as it stands
    data = form(name="改名后的批次", directions=list(call.directions), opens_at="2026-11-01T09:00", budget__1="2500")
    response = client.post(f"/officer/calls/{call.pk}/edit/", data, follow=True)
    assert "已保存" in response.content.decode()
    call.refresh_from_db()
    assert call.name == "改名后的批次"
    assert call.budgets == {"1": 25_000_000, "1.1": 15_000_000}
    event = AuditEvent.objects.get(action="call_update", target_id=str(call.pk))
    assert {"name", "budgets", "closes_at", "opens_at"} <= set(event.data["fields"])


def test_a_direction_with_applications_cannot_be_taken_out_of_a_call(client, world):
    an_application(world, "submitted")  # to 1.1
    client.force_login(world.officer)
    call = world.call
    data = form(name=call.name, directions=["1.2"], opens_at="2026-11-01T09:00")
    response = client.post(f"/officer/calls/{call.pk}/edit/", data)
    assert response.context["form"].errors["directions"] == ["开放的申报方向：方向 1.1 已有申报，不能取消"]
    call.refresh_from_db()
    assert "1.1" in call.directions


def test_an_officer_closes_a_call(client, world):
    client.force_login(world.officer)
    assert services.call_is_open(world.call)
    response = client.post(f"/officer/calls/{world.call.pk}/close/", follow=True)
    assert "已截止受理" in response.content.decode()
    world.call.refresh_from_db()
    assert world.call.closed_at is not None
    assert not services.call_is_open(world.call)


@pytest.mark.parametrize("who", ["applicant", "recommender", "finance", "expert"])
def test_a_non_officer_cannot_open_edit_or_close_calls(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get("/officer/calls/").status_code == 403
    assert client.get("/officer/calls/new/").status_code == 403
    assert client.post("/officer/calls/new/", form(name="越权批次")).status_code == 403
    assert client.post(f"/officer/calls/{world.call.pk}/close/").status_code == 403
    assert not Call.objects.filter(name="越权批次").exists()
    world.call.refresh_from_db()
    assert world.call.closed_at is None


def test_call_update_refuses_a_non_officer(world):
    with pytest.raises(PermissionDenied):
        services.call_update(actor=world.applicant, call=world.call, changes={"name": "x"})


# --------------------------------------------------------------------------- what the applications forbid


def test_a_budget_cannot_go_below_what_is_already_decided(world):
    an_application(world, "funded")  # 80万 decided on 1.1, drawn on programme 1's budget
    with pytest.raises(BadInput) as e:
        services.call_update(actor=world.officer, call=world.call, changes={"budgets": {"1": 500_000}})
    assert e.value.detail["errors"] == {"budgets.1": "预算（1）：已立项 80 万元，预算不能取消或低于此数"}
    call = services.call_update(actor=world.officer, call=world.call, changes={"budgets": {"1": 800_000}})
    assert call.budgets == {"1": 800_000}


def test_the_deadline_cannot_move_before_a_submission(world):
    app = an_application(world, "submitted")
    with pytest.raises(BadInput) as e:
        services.call_update(actor=world.officer, call=world.call, changes={"closes_at": app.submitted_at - dt.timedelta(minutes=1)})
    assert e.value.detail["field"] == "closes_at"
    assert "已有申报于" in e.value.detail["errors"]["closes_at"]


def test_a_limit_cannot_go_below_what_is_already_held(world):
    for _ in range(2):
        an_application(world, "submitted")
    with pytest.raises(BadInput) as e:
        services.call_update(actor=world.officer, call=world.call, changes={"org_limit": 1})
    assert "已有单位有 2 项在审申报" in e.value.detail["errors"]["org_limit"]


def test_blind_review_cannot_change_once_experts_review(world):
    an_application(world, "expert_review")
    with pytest.raises(BadInput) as e:
        services.call_update(actor=world.officer, call=world.call, changes={"blind_review": True})
    assert e.value.detail["errors"] == {"blind_review": "匿名评审：已有申报进入专家评审，不能更改"}


def test_every_problem_of_a_call_update_is_reported_at_once(world):
    with pytest.raises(BadInput) as e:
        services.call_update(
            actor=world.officer,
            call=world.call,
            changes={"name": " ", "directions": ["99.9"], "leader_limit": 0, "budgets": {"1.1": -1}},
        )
    assert set(e.value.detail["errors"]) == {"name", "directions", "leader_limit", "budgets.1.1"}
    assert "批次名称：不能为空" in e.value.message


def test_the_guide_version_of_a_call_is_not_editable(world):
    with pytest.raises(BadInput) as e:
        services.call_update(actor=world.officer, call=world.call, changes={"guide_version": None})
    assert e.value.detail["field"] == "guide_version"


def test_an_unchanged_call_writes_no_audit_entry(world):
    services.call_update(actor=world.officer, call=world.call, changes={"name": world.call.name})
    assert not AuditEvent.objects.filter(action="call_update").exists()


def test_saving_a_call_with_its_times_untouched_changes_only_what_was_edited(client, world):
    from django.utils import timezone

    call = world.call
    shown = {k: timezone.localtime(getattr(call, k)).strftime("%Y-%m-%dT%H:%M") for k in ("opens_at", "closes_at")}
    data = form(name="只改名称", directions=list(call.directions), **shown, **{"budget__1": "2000", "budget__1.1": ""})
    client.force_login(world.officer)
    client.post(f"/officer/calls/{call.pk}/edit/", data)
    before = (call.opens_at, call.closes_at)
    call.refresh_from_db()
    assert (call.opens_at, call.closes_at) == before  # seconds kept, though the inputs show minutes
    assert AuditEvent.objects.get(action="call_update").data["fields"] == ["name"]
