"""The application lifecycle: every transition, deadlines, limits and rules across applications."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from yongke.applications import services as svc
from yongke.applications.models import Application, Submission
from yongke.applications.selectors import applications_visible_to
from yongke.applications.workflow import POST, PRE
from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, Conflict, PermissionDenied, Refused
from yongke.orgs.services import bank_account_set, credit_record_add
from yongke.testing import TEST, advance, build_world, make_application, make_application_in, make_call, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.mark.parametrize("state", list(PRE.states))
def test_every_transition_not_allowed_from_a_state_is_refused(world, state):
    reached = make_application_in(state, world=world)
    assert reached.state == state
    actor_of = {
        "applicant": "applicant",
        "org_admin": "applicant",
        "recommender": "recommender",
        "officer": "officer",
        "finance": "finance",
    }
    for t in PRE.transitions:
        if state in t.sources:
            continue  # allowed: covered by the test below
        app = Application.objects.get(pk=reached.pk)
        kwargs = {"comment": "意见", "amount": 500_000, "objection_days": 5, "now": timezone.now() + dt.timedelta(days=7)}
        if t.action == "submit" and state == t.target:
            _, changed = svc.application_transition(actor=world.applicant, application=app, action="submit")
            assert changed is False  # a repeated submit is harmless, not a second submission
            continue
        with pytest.raises(Refused) as e:
            svc.application_transition(actor=world.users[actor_of[t.roles[0]]], application=app, action=t.action, **kwargs)
        assert e.value.code == "bad_state"
        assert Application.objects.get(pk=reached.pk).state == state


@pytest.mark.parametrize("action", [t.action for t in PRE.transitions])
def test_each_pre_funded_transition_works_from_each_of_its_sources(world, action):
    t = PRE.transition(action)
    for source in t.sources:
        app = advance(make_application_in(source, world=world), world, action)
        assert app.state == t.target
        event = AuditEvent.objects.filter(target_type="application", target_id=str(app.pk), action=action).latest("id")
        assert (event.from_state, event.to_state) == (source, t.target)


@pytest.mark.parametrize("action", [t.action for t in POST.transitions if t.action not in ("confirm", "decline")])
def test_each_post_subsidy_transition_works(world, action):
    post_call = make_call(directions=["35.1"])
    if action == "pay":  # a claim is paid to the organisation's account in force
        bank_account_set(actor=TEST, organisation=world.org, bank="中国工商银行南宁分行", name=world.org.name, number="6222021001112223334")
    t = POST.transition(action)
    for source in t.sources:
        app = advance(make_application_in(source, world=world, funding="post", call=post_call), world, action)
        assert app.state == t.target


def test_post_subsidies_have_no_expert_review(world):
    assert "expert_review" not in POST.states
    assert not any(t.target == "expert_review" for t in POST.transitions)


@pytest.mark.parametrize("action", ["recommend", "accept", "withdraw"])
@pytest.mark.parametrize("who", ["stranger", "other_recommender", "other_officer", "finance", "expert", "auditor"])
def test_the_wrong_people_cannot_move_an_application(world, who, action):
    app = make_application_in("submitted", world=world)
    with pytest.raises(PermissionDenied):
        svc.application_transition(actor=world.users[who], application=app, action=action, comment="x")
    assert Application.objects.get(pk=app.pk).state == "submitted"


def test_submit_after_the_deadline_is_refused(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    with time_machine.travel(world.call.closes_at + dt.timedelta(seconds=1)), pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert e.value.code == "deadline_passed"
    assert "截止" in e.value.message
    assert "北京时间" in e.value.message
    assert Application.objects.get(pk=app.pk).state == "draft"


def test_submit_one_second_before_the_deadline_is_accepted(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    with time_machine.travel(world.call.closes_at - dt.timedelta(seconds=1)):
        app, _ = svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert app.state == "submitted"


def test_deadline_is_shown_in_beijing_time(world):
    with time_machine.travel(dt.datetime(2022, 6, 15, tzinfo=dt.UTC)):
        call = make_call(opens_at=dt.datetime(2022, 6, 1, tzinfo=dt.UTC), closes_at=dt.datetime(2022, 6, 30, 9, 0, tzinfo=dt.UTC))
        app = make_application(call=call, org=world.org, user=world.applicant)
    with time_machine.travel(dt.datetime(2022, 6, 30, 9, 0, 1, tzinfo=dt.UTC)), pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert "2022-06-30 17:00" in e.value.message


def test_a_closed_call_refuses_submissions(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    svc.call_close(actor=TEST, call=world.call)  # the world's call opens programme 2 too: no single officer's
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert e.value.code == "deadline_passed"


def test_submitting_twice_creates_one_submission(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    _, changed1 = svc.application_transition(actor=world.applicant, application=app, action="submit")
    second, changed2 = svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert (changed1, changed2) == (True, False)
    assert Submission.objects.filter(application=app).count() == 1
    assert second.state == "submitted"


def test_each_submission_stores_its_facts_and_verdict(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    svc.application_transition(actor=world.applicant, application=app, action="submit")
    sub = Submission.objects.get(application=app)
    assert sub.verdict["verdict"] == "eligible"
    assert sub.facts["kpi_new_revenue"] == 50_000_000
    assert sub.facts["registered_in_nanning"] is True


def test_an_ineligible_application_cannot_be_submitted_and_is_told_why(world):
    app = make_application(
        call=world.call,
        org=world.org,
        user=world.applicant,
        facts={"kpi_invention_patent_applications": 3, "kpi_new_revenue": 49_999_999},
    )
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert e.value.code == "not_eligible"
    assert e.value.detail["failing"] == ["1:revenue"]
    assert "5000万元" in e.value.message


def test_the_second_of_two_concurrent_edits_is_refused(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    version = app.lock_version
    svc.application_update(actor=world.applicant, application=app, lock_version=version, changes={"summary": "甲的修改"})
    with pytest.raises(Conflict):
        svc.application_update(actor=world.org_admin, application=app, lock_version=version, changes={"summary": "乙的修改"})
    assert Application.objects.get(pk=app.pk).summary == "甲的修改"


def test_an_edit_with_a_fact_the_guide_refuses_is_bad_input_naming_it(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    with pytest.raises(BadInput) as e:
        svc.application_update(
            actor=world.applicant, application=app, lock_version=app.lock_version, changes={"facts": {"kpi_new_revenue": -1}}
        )
    assert "kpi_new_revenue" in e.value.message


def test_an_edit_with_a_negative_amount_is_bad_input(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    with pytest.raises(BadInput) as e:
        svc.application_update(actor=world.applicant, application=app, lock_version=app.lock_version, changes={"requested_amount": -5})
    assert e.value.detail["field"] == "requested_amount"
    assert Application.objects.get(pk=app.pk).requested_amount == app.requested_amount


def test_another_organisation_cannot_edit_an_application(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    with pytest.raises(PermissionDenied):
        svc.application_update(actor=world.stranger, application=app, lock_version=app.lock_version, changes={"summary": "他人的修改"})
    assert Application.objects.get(pk=app.pk).summary == app.summary


def _two_led_by_one(world):
    leader = make_person(world.org)
    a = make_application(call=world.call, org=world.org, user=world.applicant, leader=leader)
    b = make_application(call=world.call, org=world.org, user=world.applicant, leader=leader, direction="1.2")
    svc.application_transition(actor=world.applicant, application=a, action="submit")
    return a, b


def test_a_leader_leads_one_open_application_per_call(world):
    _, b = _two_led_by_one(world)
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=b, action="submit")
    assert e.value.code == "leader_limit"


def test_withdrawing_frees_the_leader_for_another_application(world):
    a, b = _two_led_by_one(world)
    svc.application_transition(actor=world.applicant, application=a, action="withdraw")
    b, _ = svc.application_transition(actor=world.applicant, application=b, action="submit")
    assert b.state == "submitted"


def test_the_same_title_in_two_directions_is_refused(world):
    a = make_application(call=world.call, org=world.org, user=world.applicant, title="智能网联汽车热管理系统")
    b = make_application(call=world.call, org=world.org, user=world.applicant, title="智能网联汽车 热管理系统 ", direction="1.2")
    svc.application_transition(actor=world.applicant, application=a, action="submit")
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=b, action="submit")
    assert e.value.code == "duplicate_title"


def test_a_blacklisted_organisation_cannot_submit(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    credit_record_add(
        actor=TEST,
        organisation=world.org,
        reason="虚假申报",
        starts_on=timezone.localdate() - dt.timedelta(days=1),
        ends_on=timezone.localdate() + dt.timedelta(days=365),
    )
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert e.value.code == "blacklisted"


def test_a_blacklisted_leader_cannot_submit(world):
    leader = make_person(world.org)
    app = make_application(call=world.call, org=world.org, user=world.applicant, leader=leader)
    credit_record_add(actor=TEST, person=leader, reason="学术不端", starts_on=timezone.localdate())
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert e.value.code == "blacklisted"


def test_an_expired_credit_record_does_not_count(world):
    leader = make_person(world.org)
    credit_record_add(actor=TEST, person=leader, reason="旧记录", starts_on=dt.date(2015, 1, 1), ends_on=dt.date(2016, 1, 1))
    app = make_application(call=world.call, org=world.org, user=world.applicant, leader=leader)
    app, _ = svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert app.state == "submitted"


R_AND_D = {"above_scale": True, "rd_in_statistics": True, "rd_expense_base": 10_000_000}


def test_project_23_excludes_an_organisation_with_a_pre_funded_project(world):
    funded = make_application_in("funded", world=world)
    assert funded.state == "funded"
    post_call = make_call(directions=["23.1"])
    claim = make_application(call=post_call, org=world.org, user=world.applicant, direction="23.1", facts=R_AND_D)
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=claim, action="submit")
    assert e.value.code == "not_eligible"
    assert "23.1:no_double_benefit" in e.value.detail["failing"]


def test_project_23_is_open_to_an_organisation_without_other_support(world):
    post_call = make_call(directions=["23.1"])
    claim = make_application(call=post_call, org=world.org, user=world.applicant, direction="23.1", facts=R_AND_D)
    claim, _ = svc.application_transition(actor=world.applicant, application=claim, action="submit")
    assert claim.state == "claimed"


def test_an_r_and_d_award_excludes_later_pre_funded_projects(world):
    post_call = make_call(directions=["23.1"])
    make_application_in("checked", world=world, direction="23.1", call=post_call, facts=R_AND_D)
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert e.value.code == "excluded"


def _returned(world):
    app = make_application_in("recommended", world=world)
    app, _ = svc.application_transition(actor=world.officer, application=app, action="return", comment="请补充合作协议")
    return app


def test_a_correction_request_carries_its_reasons(world):
    app = _returned(world)
    assert app.state == "returned"
    assert app.correction_reasons == "请补充合作协议"


def test_an_answered_correction_request_is_a_second_submission(world):
    app = _returned(world)
    app = svc.application_update(actor=world.applicant, application=app, lock_version=app.lock_version, changes={"summary": "已补充"})
    app, _ = svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert app.state == "submitted"
    assert app.submissions.count() == 2


def test_returning_needs_a_reason(world):
    app = make_application_in("recommended", world=world)
    with pytest.raises(BadInput) as e:
        svc.application_transition(actor=world.officer, application=app, action="return", comment=" ")
    assert e.value.detail["field"] == "comment"


def test_funding_more_than_requested_is_refused(world):
    app = make_application_in("expert_review", world=world)
    with pytest.raises(BadInput):
        svc.application_transition(actor=world.officer, application=app, action="fund", amount=app.requested_amount + 1)


def test_contract_waits_for_the_objection_window(world):
    app = make_application_in("published", world=world)
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.officer, application=app, action="contract")
    assert e.value.code == "objection_window_open"


def test_every_transition_is_audited_with_actor_and_address(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    svc.application_transition(actor=world.applicant, application=app, action="submit", address="10.1.2.3")
    event = AuditEvent.objects.filter(action="submit").latest("id")
    assert event.actor == world.applicant
    assert event.actor_name == world.applicant.username
    assert event.address == "10.1.2.3"
    assert event.to_state == "submitted"


def test_an_audit_event_cannot_be_changed(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    svc.application_transition(actor=world.applicant, application=app, action="submit")
    event = AuditEvent.objects.filter(action="submit").latest("id")
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_an_audit_event_cannot_be_deleted(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    svc.application_transition(actor=world.applicant, application=app, action="submit")
    event = AuditEvent.objects.filter(action="submit").latest("id")
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.fixture
def three_applications(world):
    """Submitted ones of the org and of the other org, and a draft of the org."""
    mine = make_application_in("submitted", world=world)
    theirs = make_application_in("submitted", world=world, org=world.other_org)
    draft = make_application(call=world.call, org=world.org, user=world.applicant)
    return {"mine": mine.pk, "theirs": theirs.pk, "draft": draft.pk}


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("applicant", {"mine", "draft"}),
        ("stranger", {"theirs"}),
        ("recommender", {"mine"}),
        ("other_recommender", {"theirs"}),
        ("officer", {"mine", "theirs"}),
        ("other_officer", set()),
        ("expert", set()),
        ("auditor", set()),  # 三权分立: the auditor reads the audit log only
        ("sysadmin", set()),
    ],
)
def test_visibility_follows_roles(world, three_applications, who, sees):
    assert set(applications_visible_to(world.users[who]).values_list("pk", flat=True)) == {three_applications[n] for n in sees}


@pytest.mark.parametrize("nobody", [None, AnonymousUser()], ids=["None", "anonymous"])
def test_nobody_sees_an_application(three_applications, nobody):
    assert not applications_visible_to(nobody).exists()


def _stricter_guide():
    """The bundled guide with 1.1's revenue threshold raised from 5000万 to 6000万, stored as a new revision."""
    import copy

    from yongke.guide.loader import load_guide, parse_guide
    from yongke.guide.services import guide_store

    g = load_guide(check_cases=False)
    raw = copy.deepcopy(g.raw)
    next(r for r in raw["programmes"][0]["projects"][0]["rules"] if r["id"] == "1:revenue")["expr"] = "kpi_new_revenue >= 60000000"
    v2, _ = guide_store(actor=TEST, guide=parse_guide(raw, text=g.text, check_cases=False))
    return v2


FACTS_55M = {"kpi_invention_patent_applications": 3, "kpi_new_revenue": 55_000_000}


def test_a_pinned_guide_version_keeps_old_applications_verdicts(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, facts=FACTS_55M)
    v2 = _stricter_guide()
    app, _ = svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert app.verdict["verdict"] == "eligible"
    assert app.guide_version != v2


def test_the_new_guide_version_applies_its_own_rules(world):
    from yongke.guide.selectors import compiled_for

    v2 = _stricter_guide()
    assert compiled_for(v2).check("1.1", FACTS_55M)["verdict"] == "not_eligible"
