"""Changes to a project in progress, at the rules' limits: asked for by the unit, given an opinion
by its recommending unit, decided by the programme's officer; an approved one is the task
book's next numbered amendment, kept whole beside the versions before it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.core.workdays import BEIJING
from yongke.orgs.services import credit_record_add
from yongke.projects import services as svc
from yongke.projects.models import ChangeRequest, TaskBookVersion
from yongke.projects.rules import add_months
from yongke.projects.selectors import version_diff
from yongke.projects.tests.helpers import fresh, in_progress, opened, today, with_account
from yongke.testing import TEST, build_world, make_person

pytestmark = pytest.mark.django_db

PATENTS = "kpi_invention_patent_applications"  # promised 3
# A budget with room to move: 500,000 of 财政资助 over three lines, 50,000 of the unit's own money.
BUDGET = [
    {"category": "equipment", "fiscal": 200_000, "self_raised": 50_000},
    {"category": "materials", "fiscal": 200_000, "self_raised": 0},
    {"category": "testing", "fiscal": 100_000, "self_raised": 0},
]


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def project(world):
    """In progress from 1 January to 31 December of the next year, with BUDGET."""
    p = opened(world)
    end = dt.date(p.starts_on.year + 1, 12, 31)
    p = svc.task_book_update(
        actor=world.officer,
        project=p,
        lock_version=p.lock_version,
        changes={"ends_on": end.isoformat(), "milestones": [{"due_on": end.isoformat(), "title": "验收"}], "budget": BUDGET},
    )
    return in_progress(world, p)


def _ask(world, project, kind, payload=None, *, actor=None, reasons="确有必要"):
    return svc.change_request_create(actor=actor or world.org_admin, project=fresh(project), kind=kind, reasons=reasons, payload=payload)


def _opinion(world, change, *, agrees=True):
    return svc.change_request_opinion(actor=world.recommender, change=change, agrees=agrees, opinion="同意" if agrees else "不同意")


def _approve(world, change, comment=""):
    return svc.change_request_decide(actor=world.officer, change=_opinion(world, change), approve=True, comment=comment)


def _days_before_end(project, days: int):
    return time_machine.travel(dt.datetime.combine(project.ends_on - dt.timedelta(days=days), dt.time(10), tzinfo=BEIJING), tick=False)


def _budget(project) -> dict[str, tuple[int, int]]:
    return {b.category: (b.fiscal, b.self_raised) for b in fresh(project).budget_lines.all()}


# --------------------------------------------------------------------------- extension


def _extend(world, project, months=6):
    return _ask(world, project, "extension", {"ends_on": add_months(project.ends_on, months).isoformat()})


def test_an_extension_asked_92_days_before_the_end_is_accepted(world, project):
    with _days_before_end(project, 92):
        change = _extend(world, project)
        change = _approve(world, change)
    assert change.state == "approved"
    assert fresh(project).ends_on == add_months(project.ends_on, 6)


def test_an_extension_asked_89_days_before_the_end_is_refused_citing_the_rule(world, project):
    with _days_before_end(project, 89), pytest.raises(Refused) as e:
        _extend(world, project)
    assert e.value.code == "change_not_allowed"
    assert "三个月前提出申请" in e.value.message
    assert not ChangeRequest.objects.exists()


def test_an_extension_of_twelve_months_is_accepted_and_one_day_more_refused(world, project):
    year_on = add_months(project.ends_on, 12)
    with pytest.raises(Refused) as e:
        _ask(world, project, "extension", {"ends_on": (year_on + dt.timedelta(days=1)).isoformat()})
    assert e.value.code == "change_not_allowed"
    assert _ask(world, project, "extension", {"ends_on": year_on.isoformat()}).payload == {"ends_on": year_on.isoformat()}


def test_a_second_extension_is_refused(world, project):
    _approve(world, _extend(world, project, 3))
    with pytest.raises(Refused) as e:
        _extend(world, fresh(project), 3)
    assert e.value.code == "change_not_allowed"
    assert "最多 1 次" in e.value.message


def test_an_extension_to_an_earlier_date_is_refused(world, project):
    with pytest.raises(Refused):
        _ask(world, project, "extension", {"ends_on": (project.ends_on - dt.timedelta(days=1)).isoformat()})


# --------------------------------------------------------------------------- budget


def _adjust(world, project, lines):
    return _ask(world, project, "budget", {"budget": lines})


def test_moving_money_between_lines_that_may_grow_is_accepted(world, project):
    lines = [BUDGET[0], {**BUDGET[1], "fiscal": 150_000}, {**BUDGET[2], "fiscal": 150_000}]
    _approve(world, _adjust(world, project, lines))
    assert _budget(project) == {"equipment": (200_000, 50_000), "materials": (150_000, 0), "testing": (150_000, 0)}


def test_a_budget_adjustment_changing_the_total_is_refused(world, project):
    with pytest.raises(Refused) as e:
        _adjust(world, project, [BUDGET[0], {**BUDGET[1], "fiscal": 210_000}, BUDGET[2]])
    assert e.value.code == "change_not_allowed"
    assert "财政资助总额" in e.value.message


def test_moving_money_into_equipment_is_refused(world, project):
    with pytest.raises(Refused) as e:
        _adjust(world, project, [{**BUDGET[0], "fiscal": 210_000}, {**BUDGET[1], "fiscal": 190_000}, BUDGET[2]])
    assert e.value.code == "change_not_allowed"
    assert "设备费" in e.value.message


def test_a_new_labour_line_is_refused(world, project):
    with pytest.raises(Refused) as e:
        _adjust(world, project, [BUDGET[0], {**BUDGET[1], "fiscal": 190_000}, BUDGET[2], {"category": "labour", "fiscal": 10_000}])
    assert "劳务费" in e.value.message


def test_fiscal_money_moved_into_equipment_in_exchange_for_the_units_own_is_refused(world, project):
    lines = [
        {"category": "equipment", "fiscal": 250_000, "self_raised": 0},  # the line's total unchanged, its 财政资助 up
        {"category": "materials", "fiscal": 150_000, "self_raised": 50_000},
        BUDGET[2],
    ]
    with pytest.raises(Refused) as e:
        _adjust(world, project, lines)
    assert "设备费" in e.value.message
    assert _budget(project)["equipment"] == (200_000, 50_000)


def test_the_budget_rule_is_checked_again_when_decided(world, project):
    change = _adjust(world, project, [BUDGET[0], {**BUDGET[1], "fiscal": 150_000}, {**BUDGET[2], "fiscal": 150_000}])
    ChangeRequest.objects.filter(pk=change.pk).update(
        payload={"budget": [{**BUDGET[0], "fiscal": 250_000}, {**BUDGET[1], "fiscal": 150_000}, BUDGET[2]]}
    )
    with pytest.raises(Refused):
        _approve(world, fresh_change(change))
    assert _budget(project)["equipment"] == (200_000, 50_000)


def fresh_change(change):
    return ChangeRequest.objects.get(pk=change.pk)


# --------------------------------------------------------------------------- targets, leader, unit, termination


def test_a_target_changed_below_the_promise_is_refused(world, project):
    with pytest.raises(Refused) as e:
        _ask(world, project, "targets", {"indicators": {"1:ip": {PATENTS: 2}}})
    assert e.value.code == "target_below_promise"


def test_a_target_raised_by_a_change_is_in_the_amendment(world, project):
    _approve(world, _ask(world, project, "targets", {"indicators": {"1:ip": {PATENTS: 4}}, "content": "新增研究内容"}))
    p = fresh(project)
    assert p.indicators.get(rule_id="1:ip").targets[PATENTS] == 4
    assert p.content == "新增研究内容"


def test_a_leader_of_another_organisation_is_refused(world, project):
    with pytest.raises(Refused) as e:
        _ask(world, project, "leader", {"leader": make_person(world.other_org).pk, "leader_phone": "13900139000"})
    assert e.value.code == "change_not_allowed"


def test_a_new_leader_of_the_unit_takes_over_once_approved(world, project):
    person = make_person(world.org)
    _approve(world, _ask(world, project, "leader", {"leader": person.pk, "leader_phone": "13900139000"}))
    p = fresh(project)
    assert (p.leader_id, p.leader_phone) == (person.pk, "13900139000")


def test_a_new_lead_unit_takes_the_project_with_its_leader(world, project):
    person = make_person(world.other_org)
    change = _ask(world, project, "lead_unit", {"organisation": world.other_org.pk, "leader": person.pk, "leader_phone": "13700137000"})
    _approve(world, change)
    p = fresh(project)
    assert (p.organisation_id, p.leader_id, p.leader_phone) == (world.other_org.pk, person.pk, "13700137000")
    assert p.recommending_unit == world.other_org.recommending_unit


def test_a_new_lead_unit_does_not_keep_the_old_leaders_phone(world, project):
    person = make_person(world.other_org)
    _approve(world, _ask(world, project, "lead_unit", {"organisation": world.other_org.pk, "leader": person.pk}))
    assert fresh(project).leader_phone != project.leader_phone


def test_a_lead_unit_whose_leader_is_not_its_own_is_refused(world, project):
    with pytest.raises(Refused):
        _ask(world, project, "lead_unit", {"organisation": world.other_org.pk, "leader": project.leader_id})


def test_an_approved_termination_ends_the_project_and_its_payments(world, project):
    with_account(world)
    _approve(world, _ask(world, project, "termination", {}))
    p = fresh(project)
    assert p.state == "terminated"
    assert p.ended_at is not None
    from yongke.audit.models import AuditEvent

    step = AuditEvent.objects.get(target_type="project", target_id=str(p.pk), action="terminate")
    assert (step.from_state, step.to_state, step.comment) == ("in_progress", "terminated", "确有必要")
    with pytest.raises(Refused) as e:
        svc.payment_record(actor=world.finance, project=p, tranche=1, amount=1, paid_on=today(), voucher="T-1")
    assert e.value.code == "bad_state"


# --------------------------------------------------------------------------- who decides, and the amendments


def test_only_the_projects_recommending_unit_gives_the_opinion(world, project):
    change = _extend(world, project)
    with pytest.raises(PermissionDenied):
        svc.change_request_opinion(actor=world.other_recommender, change=change, agrees=True, opinion="同意")
    assert _opinion(world, change).state == "reviewed"


def test_no_decision_before_the_opinion(world, project):
    change = _extend(world, project)
    with pytest.raises(Refused) as e:
        svc.change_request_decide(actor=world.officer, change=change, approve=True)
    assert e.value.code == "bad_state"


def test_only_the_programmes_officer_decides(world, project):
    change = _opinion(world, _extend(world, project))
    with pytest.raises(PermissionDenied):
        svc.change_request_decide(actor=world.other_officer, change=change, approve=True)
    assert fresh_change(change).state == "reviewed"


def test_each_approved_change_is_the_next_numbered_amendment_kept_whole(world, project):
    _approve(world, _extend(world, project))
    person = make_person(world.org)
    _approve(world, _ask(world, project, "leader", {"leader": person.pk, "leader_phone": "13900139000"}))
    p = fresh(project)
    assert p.amendment == 2
    v0, v1, v2 = TaskBookVersion.objects.filter(project=p).order_by("number")
    assert [v.number for v in (v0, v1, v2)] == [0, 1, 2]
    assert v1.change.kind == "extension"
    assert v2.content["leader"]["id"] == person.pk
    # the extension moves the end date, and the last stage (due at the old end) with it
    assert [d["section"] for d in version_diff(v0.content, v1.content)] == ["ends_on", "milestones"]
    assert v1.content["milestones"][-1]["due_on"] == v1.content["ends_on"]
    assert [d["section"] for d in version_diff(v1.content, v2.content)] == ["leader"]


def test_a_refusal_needs_its_reasons_and_changes_nothing(world, project):
    change = _opinion(world, _extend(world, project))
    with pytest.raises(BadInput):
        svc.change_request_decide(actor=world.officer, change=change, approve=False)
    change = svc.change_request_decide(actor=world.officer, change=change, approve=False, comment="理由不充分")
    assert change.state == "refused"
    p = fresh(project)
    assert (p.amendment, p.ends_on) == (0, project.ends_on)


def test_the_unit_withdraws_an_open_change(world, project):
    change = svc.change_request_withdraw(actor=world.applicant, change=_extend(world, project))
    assert change.state == "withdrawn"
    with pytest.raises(Refused):
        svc.change_request_withdraw(actor=world.applicant, change=change)


def test_one_open_change_of_a_kind_at_a_time(world, project):
    _extend(world, project)
    with pytest.raises(Refused) as e:
        _extend(world, project, 2)
    assert e.value.code == "change_pending"


def test_no_change_to_a_project_not_yet_in_progress(world):
    with pytest.raises(Refused) as e:
        _ask(world, opened(world), "termination", {})
    assert e.value.code == "bad_state"


def test_another_unit_may_not_ask_for_a_change(world, project):
    with pytest.raises(PermissionDenied):
        _ask(world, project, "termination", {}, actor=world.stranger)


def test_a_new_leader_blacklisted_after_the_request_is_refused_at_the_decision(world, project):
    person = make_person(world.org)
    change = _ask(world, project, "leader", {"leader": person.pk, "leader_phone": "13900139000"})
    credit_record_add(actor=TEST, person=person, reason="科研失信", starts_on=today() + dt.timedelta(days=1))
    change = _opinion(world, change)
    with pytest.raises(Refused) as e:
        svc.change_request_decide(actor=world.officer, change=change, approve=True, now=timezone.now() + dt.timedelta(days=2))
    assert e.value.code == "change_not_allowed"
    assert fresh(project).leader_id == project.leader_id


def test_an_extension_asked_in_time_may_be_decided_after_the_cutoff(world, project):
    with _days_before_end(project, 92):
        change = _opinion(world, _extend(world, project))
    with _days_before_end(project, 30):
        assert svc.change_request_decide(actor=world.officer, change=change, approve=True).state == "approved"


# --------------------------------------------------------------------------- the audit of a decision


def _decision_audit(project, action="change_approve") -> dict:
    from yongke.audit.models import AuditEvent

    return AuditEvent.objects.filter(target_type="project", target_id=str(project.pk), action=action).latest("id").data


def _sections(project) -> dict:
    """The approved change's audit entry: {section: (before, after)}."""
    return {c["section"]: (c["before"], c["after"]) for c in _decision_audit(project)["changes"]}


def test_an_approved_budget_change_is_audited_with_its_old_and_new_amounts(world, project):
    lines = [BUDGET[0], {**BUDGET[1], "fiscal": 150_000}, {**BUDGET[2], "fiscal": 150_000}]
    _approve(world, _adjust(world, project, lines))
    sections = _sections(project)
    assert set(sections) == {"budget"}
    before, after = sections["budget"]
    assert [(b["category"], b["fiscal"]) for b in before] == [("equipment", 200_000), ("materials", 200_000), ("testing", 100_000)]
    assert [(b["category"], b["fiscal"]) for b in after] == [("equipment", 200_000), ("materials", 150_000), ("testing", 150_000)]


def test_an_approved_extension_is_audited_with_its_old_and_new_end(world, project):
    old = project.ends_on
    with _days_before_end(project, 92):
        change = _extend(world, project, months=6)
        _approve(world, change)
    assert _sections(project)["ends_on"] == (old.isoformat(), add_months(old, 6).isoformat())


def test_a_new_leader_is_audited_with_the_old_one(world, project):
    old = fresh(project).leader
    person = make_person(world.org)
    _approve(world, _ask(world, project, "leader", {"leader": person.pk, "leader_phone": "13900139000"}))
    before, after = _sections(project)["leader"]
    assert (before["id"], after["id"], after["phone"]) == (old.pk, person.pk, "13900139000")
