"""The acceptance panel: k experts of the review module's pool clear of conflicts with the unit,
its partners and its people (and one per organisation), ranked by fit; named experts checked
the same way; an expert accepts only declaring no conflict, sees the material only then, and
gives an opinion on every indicator; no decision on an incomplete panel."""

from __future__ import annotations

import pytest

from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, NotFound, PermissionDenied, Refused
from yongke.projects import acceptance as acc
from yongke.projects import acceptance_selectors as sel
from yongke.projects.models import PanelMember
from yongke.projects.tests.acceptance_helpers import (
    capture_announcements,
    decide,
    expert_for,
    fresh,
    member_of,
    module_world,
    opinion_all,
    submitted_final,
)
from yongke.review.models import Declaration, Employment
from yongke.testing import TEST, make_org, make_person, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory)


@pytest.fixture(scope="module")
def awaiting(world, django_db_blocker):
    """A project asking for acceptance on a complete final report (each test's changes are rolled back)."""
    with django_db_blocker.unblock():
        return submitted_final(world, stages=False).project


def panel(world, project, experts):
    return acc.acceptance_open(actor=world.officer, project=project, mode="panel", experts=[e.pk for e in experts])


def accepted(world, a, expert):
    return acc.panel_respond(actor=expert.user, member=member_of(a, expert), accept=True, no_conflict=True)


def submitted(world, a, expert, recommendation="passed"):
    m = accepted(world, a, expert)
    return acc.panel_opinion(
        actor=expert.user, member=m, opinion=opinion_all(a.project), recommendation=recommendation, comment="同意通过验收"
    )


# --------------------------------------------------------------------------- choosing


def conflicted_experts(world, project):
    """An expert for each conflict the review module knows, each of its own organisation otherwise."""
    same_org = expert_for(make_user("expert"), org=project.organisation)
    leader = expert_for(make_user("expert"))
    leader.person = project.leader
    leader.save()
    former = expert_for(make_user("expert"))
    Employment.objects.create(expert=former, organisation=project.organisation, ended_on=None)
    declared = expert_for(make_user("expert"))
    Declaration.objects.create(expert=declared, kind="expert", organisation=project.organisation, reason="曾合作")
    member_account = expert_for(make_user("applicant", organisation=project.organisation))
    return {
        "same_organisation": same_org,
        "on_team": leader,
        "former_employer": former,
        "declared": declared,
        "unit_account": member_account,
    }


def test_the_panel_is_chosen_clear_of_every_conflict(world, awaiting):
    bad = conflicted_experts(world, awaiting)
    a = acc.acceptance_open(actor=world.officer, project=awaiting, mode="panel", k=4)
    chosen = set(a.members.values_list("expert_id", flat=True))
    assert chosen == {e.pk for e in world.experts}
    assert not chosen & {e.pk for e in bad.values()}
    event = AuditEvent.objects.get(target_id=str(awaiting.pk), action="acceptance_open")
    codes = {x["expert"]: x["code"] for x in event.data["excluded"]}
    assert codes[bad["same_organisation"].pk] == "same_organisation"
    assert codes[bad["on_team"].pk] == "on_team"
    assert codes[bad["former_employer"].pk] == "former_employer"
    assert codes[bad["declared"].pk] == "declared"
    assert codes[bad["unit_account"].pk] == "same_organisation"
    assert a.experts_wanted == 4


def test_not_enough_clear_experts_is_refused(world, awaiting):
    conflicted_experts(world, awaiting)
    with pytest.raises(Refused) as e:
        acc.acceptance_open(actor=world.officer, project=awaiting, mode="panel", k=5)
    assert (e.value.code, e.value.detail["available"]) == ("not_enough_experts", 4)
    assert not awaiting.acceptances.exists()


def test_the_best_fit_is_chosen_and_one_expert_per_organisation(world, awaiting):
    keyword = awaiting.title[:2]
    fit = expert_for(make_user("expert"), keywords=[keyword])
    twin = expert_for(make_user("expert"), org=fit.organisation, keywords=[keyword])
    a = acc.acceptance_open(actor=world.officer, project=awaiting, mode="panel", k=2)
    chosen = list(a.members.values_list("expert_id", flat=True))
    assert fit.pk in chosen
    assert twin.pk not in chosen
    event = AuditEvent.objects.get(target_id=str(awaiting.pk), action="acceptance_open")
    assert event.data["members"][0]["fit"] > event.data["members"][1]["fit"]


def test_an_expert_already_at_their_load_is_passed_over(world, awaiting):
    for e in world.experts[1:]:
        e.max_load = 0
        e.save()
    a = acc.acceptance_open(actor=world.officer, project=awaiting, mode="panel", k=1)
    assert list(a.members.values_list("expert_id", flat=True)) == [world.experts[0].pk]


def test_a_named_expert_in_conflict_is_refused(world, awaiting):
    bad = conflicted_experts(world, awaiting)
    with pytest.raises(Refused) as e:
        panel(world, awaiting, [world.experts[0], bad["former_employer"]])
    assert (e.value.code, e.value.detail["field"]) == ("expert_conflict", "experts[1]")
    assert not awaiting.acceptances.exists()


def test_a_named_expert_without_an_account_or_unknown_is_refused(world, awaiting):
    no_account = acc_expert_without_user()
    with pytest.raises(Refused) as e:
        panel(world, awaiting, [no_account])
    assert e.value.code == "expert_no_account"
    with pytest.raises(BadInput) as e:
        acc.acceptance_open(actor=world.officer, project=awaiting, mode="panel", experts=[987654])
    assert e.value.detail["field"] == "experts[0]"
    with pytest.raises(BadInput):
        acc.acceptance_open(actor=world.officer, project=awaiting, mode="documents", experts=[world.experts[0].pk])


def acc_expert_without_user():
    from yongke.review import services as review_services

    org = make_org(district="450105")
    return review_services.expert_add(actor=TEST, person=make_person(org), organisation=org)


def test_the_invited_experts_are_told(world, awaiting, monkeypatch):
    seen = capture_announcements(monkeypatch)
    a = panel(world, awaiting, world.experts[:2])
    invited = [e for e in seen if e["template"] == "panel_invited"]
    assert sorted(u for e in invited for u in e["to"]["users"]) == sorted(e.user_id for e in world.experts[:2])
    assert {e["key"] for e in invited} == {f"project:{awaiting.pk}:panel_invited:panel:{m.pk}" for m in a.members.all()}


# --------------------------------------------------------------------------- answering


def test_accepting_needs_the_declaration_of_no_conflict(world, awaiting):
    a = panel(world, awaiting, world.experts[:1])
    m = member_of(a, world.experts[0])
    with pytest.raises(BadInput) as e:
        acc.panel_respond(actor=world.experts[0].user, member=m, accept=True)
    assert e.value.detail["field"] == "no_conflict"
    m = acc.panel_respond(actor=world.experts[0].user, member=m, accept=True, no_conflict=True)
    assert (m.state, m.no_conflict_declared_at is not None) == ("accepted", True)
    with pytest.raises(Refused):
        acc.panel_respond(actor=world.experts[0].user, member=m, accept=True, no_conflict=True)


def test_only_the_invited_expert_answers(world, awaiting):
    a = panel(world, awaiting, world.experts[:1])
    m = member_of(a, world.experts[0])
    for who in (world.experts[1].user, world.officer, world.org_admin):
        with pytest.raises(PermissionDenied):
            acc.panel_respond(actor=who, member=m, accept=True, no_conflict=True)


def test_declining_for_a_conflict_records_it_and_another_expert_is_invited(world, awaiting):
    a = panel(world, awaiting, world.experts[:2])
    m = acc.panel_respond(actor=world.experts[0].user, member=member_of(a, world.experts[0]), accept=False, comment="与承担单位有合作")
    assert m.state == "declined"
    assert Declaration.objects.filter(expert=world.experts[0], application=awaiting.application).exists()
    assert fresh(a).experts_wanted == 1
    more = acc.acceptance_invite(actor=world.officer, acceptance=a)
    added = set(more.members.values_list("expert_id", flat=True)) - {e.pk for e in world.experts[:2]}
    assert len(added) == 1
    assert world.experts[0].pk not in added


def test_declining_while_declaring_no_conflict_records_none(world, awaiting):
    a = panel(world, awaiting, world.experts[:1])
    acc.panel_respond(actor=world.experts[0].user, member=member_of(a, world.experts[0]), accept=False, no_conflict=True, comment="出差")
    assert not Declaration.objects.filter(expert=world.experts[0]).exists()
    b = panel_second(world, awaiting)
    with pytest.raises(BadInput) as e:
        acc.panel_respond(actor=world.experts[1].user, member=member_of(b, world.experts[1]), accept=False, no_conflict=True)
    assert e.value.detail["field"] == "comment"  # a decline says why


def panel_second(world, awaiting):
    a = awaiting.acceptances.get()
    return acc.acceptance_invite(actor=world.officer, acceptance=a, experts=[world.experts[1].pk])


# --------------------------------------------------------------------------- what an expert sees


def test_before_accepting_an_expert_sees_the_title_direction_and_conflict_question_only(world, awaiting):
    a = panel(world, awaiting, world.experts[:1])
    m = member_of(a, world.experts[0])
    view = sel.panel_task_view(world.experts[0].user, m)
    assert (view["title"], view["direction"], view["material"]) == (awaiting.title, awaiting.direction, None)
    assert "project" not in view
    assert awaiting.organisation.name in view["conflict"]["question"]
    assert awaiting.leader.name in view["conflict"]["question"]
    with pytest.raises(NotFound):
        sel.panel_file_get(world.experts[0].user, m, a.report.files.first().pk)
    accepted(world, a, world.experts[0])
    view = sel.panel_task_view(world.experts[0].user, m)
    assert view["project"]["organisation"] == awaiting.organisation.name
    assert view["material"]["narrative"] == a.report.narrative
    assert {i["id"] for i in view["material"]["indicators"]} == set(awaiting.indicators.values_list("pk", flat=True))
    assert sel.panel_file_get(world.experts[0].user, m, a.report.files.first().pk).report_id == a.report_id


def test_another_expert_does_not_see_the_task(world, awaiting):
    a = panel(world, awaiting, world.experts[:1])
    m = member_of(a, world.experts[0])
    with pytest.raises(NotFound):
        sel.panel_task_get(world.experts[1].user, m.pk)
    assert list(sel.panel_tasks_for(world.experts[1].user)) == []
    assert [t.pk for t in sel.panel_tasks_for(world.experts[0].user)] == [m.pk]


def test_the_unit_sees_the_acceptance_but_not_the_panel(world, awaiting):
    a = panel(world, awaiting, world.experts[:1])
    assert sel.members_of(world.org_admin, a) == []
    assert [m.expert_id for m in sel.members_of(world.officer, a)] == [world.experts[0].pk]


# --------------------------------------------------------------------------- opinions and the decision


def test_an_opinion_answers_every_indicator_with_an_allowed_recommendation(world, awaiting):
    a = panel(world, awaiting, world.experts[:1])
    m = accepted(world, a, world.experts[0])
    user = world.experts[0].user
    opinion = opinion_all(awaiting)
    first = next(iter(opinion))
    with pytest.raises(BadInput) as e:
        acc.panel_opinion(actor=user, member=m, opinion={first: opinion[first]}, recommendation="passed", comment="x")
    assert e.value.detail["field"].startswith("opinion.")
    with pytest.raises(BadInput) as e:
        acc.panel_opinion(actor=user, member=m, opinion={**opinion, first: {"result": "fail"}}, recommendation="passed", comment="x")
    assert e.value.detail["field"] == f"opinion.{first}.comment"
    with pytest.raises(BadInput) as e:
        acc.panel_opinion(actor=user, member=m, opinion=opinion, recommendation="passed_after_rectification", comment="x")
    assert e.value.detail["field"] == "recommendation"
    m = acc.panel_opinion(actor=user, member=m, opinion=opinion, recommendation="passed", comment="同意")
    assert (m.state, m.recommendation) == ("submitted", "passed")
    with pytest.raises(Refused):
        acc.panel_opinion(actor=user, member=m, opinion=opinion, recommendation="failed", comment="改主意")


def test_an_invited_expert_may_not_give_an_opinion(world, awaiting):
    a = panel(world, awaiting, world.experts[:1])
    with pytest.raises(Refused) as e:
        acc.panel_opinion(
            actor=world.experts[0].user,
            member=member_of(a, world.experts[0]),
            opinion=opinion_all(awaiting),
            recommendation="passed",
            comment="x",
        )
    assert e.value.code == "bad_state"


def test_no_decision_before_every_expert_who_accepted_has_submitted(world, awaiting):
    a = panel(world, awaiting, world.experts[:3])
    with pytest.raises(Refused) as e:
        decide(world, a, "passed")
    assert (e.value.code, e.value.detail["submitted"]) == ("review_incomplete", 0)
    submitted(world, a, world.experts[0])
    accepted(world, a, world.experts[1])
    with pytest.raises(Refused) as e:
        decide(world, a, "passed")
    assert (e.value.code, e.value.detail["accepted"], e.value.detail["submitted"]) == ("review_incomplete", 2, 1)
    acc.panel_opinion(
        actor=world.experts[1].user,
        member=member_of(a, world.experts[1]),
        opinion=opinion_all(awaiting),
        recommendation="passed",
        comment="同意",
    )
    # the third never answered: it does not hold the decision of those who reviewed
    assert decide(world, a, "passed").verdict == "passed"
    assert fresh(awaiting).state == "closed"


def test_a_decided_panel_takes_no_more_answers(world, awaiting):
    a = panel(world, awaiting, world.experts[:2])
    submitted(world, a, world.experts[0])
    decide(world, a, "passed")
    with pytest.raises(Refused) as e:
        acc.panel_respond(actor=world.experts[1].user, member=member_of(a, world.experts[1]), accept=True, no_conflict=True)
    assert e.value.code == "acceptance_decided"


def test_the_officers_are_told_of_each_opinion(world, awaiting, monkeypatch):
    a = panel(world, awaiting, world.experts[:2])
    seen = capture_announcements(monkeypatch)
    submitted(world, a, world.experts[0])
    (event,) = [e for e in seen if e["template"] == "panel_opinion_submitted"]
    assert (event["params"]["done"], event["params"]["wanted"]) == (1, 1)
    assert world.officer.pk in event["to"]["users"]
    assert PanelMember.objects.get(pk=member_of(a, world.experts[0]).pk).submitted_at is not None
