"""Acceptance against the task book: each outcome (通过, 限期整改 then 整改后通过 or 不通过, 不通过),
reasons for every indicator, no indicator passed that the guide's rule fails on the actuals,
one rectification and not two, the last tranche held until 通过, and what a failure moves
(the recovery of the unused money, the leader's credit record)."""

from __future__ import annotations

import datetime as dt

import pytest

from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.orgs.models import CreditRecord
from yongke.projects import acceptance as acc
from yongke.projects import acceptance_selectors as sel
from yongke.projects import rules as project_rules
from yongke.projects.models import Acceptance, Indicator, Recovery, Report
from yongke.projects.tests.acceptance_helpers import (
    FIRST,
    MET,
    PATENTS,
    REST,
    decide,
    documents_acceptance,
    fresh,
    module_world,
    pay,
    reasons_all,
    running,
    submitted_final,
)
from yongke.projects.tests.helpers import today
from yongke.testing import TEST, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory)


@pytest.fixture(scope="module")
def open_acceptance(world, django_db_blocker):
    """A project paid its first tranche, asking for acceptance on a complete final report, its
    acceptance by documents open (each test's changes are rolled back)."""
    with django_db_blocker.unblock():
        p = running(world)
        pay(world, p, FIRST)
        return documents_acceptance(world, p)


@pytest.fixture
def project(open_acceptance):
    return fresh(open_acceptance.project)


# --------------------------------------------------------------------------- opening


def test_the_acceptance_is_opened_on_the_final_report_with_its_checks(world, open_acceptance, project):
    a = open_acceptance
    assert (a.number, a.mode, a.state, a.report.kind) == (1, "documents", "open", "final")
    assert a.checks["verdict"] == "pass"
    assert sel.allowed_verdicts(a) == ["passed", "rectify", "failed"]


def test_no_acceptance_opens_on_a_project_still_running(world):
    p = running(world, stages=False)
    with pytest.raises(Refused) as e:
        acc.acceptance_open(actor=world.officer, project=p, mode="documents")
    assert e.value.code == "bad_state"


def test_one_acceptance_at_a_time(world, project):
    with pytest.raises(Refused) as e:
        acc.acceptance_open(actor=world.officer, project=project, mode="documents")
    assert e.value.code == "acceptance_open"


def test_the_mode_follows_the_calls_documents_threshold(world):
    r = submitted_final(world, stages=False)
    acc.postaward_settings_set(actor=TEST, call=r.project.call, documents_below=500_001)
    a = acc.acceptance_open(actor=world.officer, project=r.project)
    assert (a.mode, a.members.count()) == ("documents", 0)


def test_only_the_programmes_officer_opens_and_decides(world, open_acceptance):
    r = submitted_final(world, stages=False)
    for who in (world.other_officer, world.org_admin, world.finance):
        with pytest.raises(PermissionDenied):
            acc.acceptance_open(actor=who, project=r.project, mode="documents")
        with pytest.raises(PermissionDenied):
            decide_as(who, open_acceptance)


def decide_as(who, a):
    return acc.acceptance_decide(actor=who, acceptance=a, verdict="passed", reasons=reasons_all(a.project), comment="通过")


# --------------------------------------------------------------------------- 通过


def test_passed_closes_the_project_numbers_a_certificate_and_releases_the_last_tranche(world, open_acceptance, project):
    with pytest.raises(Refused) as e:
        pay(world, project, REST, tranche=2)
    assert e.value.code == "condition_not_met"
    a = decide(world, open_acceptance, "passed")
    p = fresh(project)
    assert (a.state, a.verdict, p.state) == ("decided", "passed", "closed")
    assert p.accepted_at is not None
    assert a.certificate_number.endswith(p.number)
    assert fresh(a.report).state == "checked"
    assert pay(world, p, REST, tranche=2).amount == REST


def test_every_indicator_needs_a_result_and_a_failure_its_reason(world, open_acceptance, project):
    reasons = reasons_all(project)
    first = next(iter(reasons))
    with pytest.raises(BadInput) as e:
        acc.acceptance_decide(
            actor=world.officer, acceptance=open_acceptance, verdict="passed", reasons={first: reasons[first]}, comment="x"
        )
    assert e.value.detail["field"].startswith("reasons.")
    with pytest.raises(BadInput) as e:
        acc.acceptance_decide(
            actor=world.officer, acceptance=open_acceptance, verdict="failed", reasons={**reasons, first: {"result": "fail"}}, comment="x"
        )
    assert e.value.detail["field"] == f"reasons.{first}.reason"
    with pytest.raises(BadInput) as e:
        acc.acceptance_decide(actor=world.officer, acceptance=open_acceptance, verdict="passed", reasons=reasons, comment=" ")
    assert e.value.detail["field"] == "comment"


def test_an_indicator_the_rule_fails_may_not_be_passed(world):
    r = submitted_final(world, stages=False, actuals={**MET, PATENTS: 2})
    a = acc.acceptance_open(actor=world.officer, project=r.project, mode="documents")
    with pytest.raises(Refused) as e:
        decide(world, a, "passed")
    ip = Indicator.objects.get(project=r.project, rule_id="1:ip")
    assert (e.value.code, e.value.detail["field"]) == ("indicator_not_met", f"reasons.{ip.pk}.result")
    assert ip.clause in e.value.message
    assert fresh(r.project).state == "acceptance"


def test_the_officer_may_fail_an_indicator_the_rule_passes_and_then_cannot_pass(world, open_acceptance, project):
    reasons = reasons_all(project)
    first = next(iter(reasons))
    reasons[first] = {"result": "fail", "reason": "佐证材料不能证明"}
    with pytest.raises(Refused) as e:
        acc.acceptance_decide(actor=world.officer, acceptance=open_acceptance, verdict="passed", reasons=reasons, comment="x")
    assert e.value.code == "indicator_failed"
    a = acc.acceptance_decide(actor=world.officer, acceptance=open_acceptance, verdict="rectify", reasons=reasons, comment="补充佐证")
    assert a.reasons[first] == {"result": "fail", "reason": "佐证材料不能证明"}


def test_the_first_acceptance_is_not_passed_after_rectification(world, open_acceptance):
    with pytest.raises(Refused) as e:
        decide(world, open_acceptance, "passed_after_rectification")
    assert e.value.code == "verdict_not_allowed"


def test_a_decided_acceptance_is_not_decided_again(world, open_acceptance):
    decide(world, open_acceptance, "passed")
    with pytest.raises(Refused) as e:
        decide(world, open_acceptance, "failed")
    assert e.value.code == "acceptance_decided"


# --------------------------------------------------------------------------- 限期整改, once


def rectified(world, a, **kwargs):
    return decide(world, a, "rectify", result="pass", **kwargs)


def test_rectify_opens_a_rectification_report_due_within_the_rules_months(world, open_acceptance, project):
    a = rectified(world, open_acceptance)
    months = project_rules.postaward().rectify_months
    assert (a.verdict, a.rectify_by, fresh(project).state) == ("rectify", project_rules.add_months(today(), months), "rectifying")
    r = Report.objects.get(project=project, kind="rectification")
    assert (r.number, r.state, r.due_on, r.actuals) == (1, "draft", a.rectify_by, open_acceptance.report.actuals)
    assert r.files.count() == open_acceptance.report.files.count() > 0
    with pytest.raises(Refused) as e:
        pay(world, project, REST, tranche=2)
    assert e.value.code == "condition_not_met"


def test_a_rectification_period_beyond_the_calls_months_is_refused(world, open_acceptance, project):
    acc.postaward_settings_set(actor=TEST, call=project.call, rectify_months=1)
    with pytest.raises(Refused) as e:
        rectified(world, open_acceptance, rectify_by=project_rules.add_months(today(), 1) + dt.timedelta(days=1))
    assert e.value.code == "rectify_period"
    assert rectified(world, open_acceptance).rectify_by == project_rules.add_months(today(), 1)


def test_after_one_rectification_the_verdict_is_passed_after_rectification_or_failed(world, open_acceptance, project):
    rectified(world, open_acceptance)
    r = acc.report_save(actor=world.applicant, project=project, kind="rectification", narrative="整改完成")
    r = acc.report_submit(actor=world.org_admin, report=r)
    assert fresh(project).state == "acceptance"
    second = acc.acceptance_open(actor=world.officer, project=project, mode="documents")
    assert (second.number, second.report_id) == (2, r.pk)
    assert sel.allowed_verdicts(second) == ["passed_after_rectification", "failed"]
    with pytest.raises(Refused) as e:
        rectified(world, second)
    assert e.value.code == "verdict_not_allowed"
    with pytest.raises(Refused):
        decide(world, second, "passed")
    assert not Report.objects.filter(project=project, kind="rectification", number=2).exists()
    done = decide(world, second, "passed_after_rectification")
    assert (done.verdict, fresh(project).state) == ("passed_after_rectification", "closed")
    assert pay(world, project, REST, tranche=2).amount == REST


def test_a_rectification_decided_as_failed_fails_the_project(world, open_acceptance, project):
    rectified(world, open_acceptance)
    r = acc.report_submit(actor=world.org_admin, report=acc.report_save(actor=world.applicant, project=project, kind="rectification"))
    second = acc.acceptance_open(actor=world.officer, project=project, mode="documents")
    decide(world, second, "failed")
    assert (fresh(project).state, fresh(r).state) == ("failed", "checked")


# --------------------------------------------------------------------------- 不通过


def test_failed_fails_the_project_recovers_the_unused_money_and_bars_the_leader(world, open_acceptance, project):
    a = decide(world, open_acceptance, "failed")
    p = fresh(project)
    assert (a.verdict, p.state) == ("failed", "failed")
    assert p.ended_at is not None
    recovery = Recovery.objects.get(project=p)
    assert (recovery.kind, recovery.amount_due) == ("failed", FIRST - 300_000)  # paid less what the report says was spent
    record = CreditRecord.objects.get(origin=f"project:{p.number}", consequence="acceptance_failed")
    assert record.person_id == p.leader_id
    years = project_rules.postaward().consequences["acceptance_failed"].years
    assert record.ends_on == project_rules.add_months(today(), 12 * years) - dt.timedelta(days=1)
    with pytest.raises(Refused):
        pay(world, p, REST, tranche=2)


def test_a_final_decision_ends_the_overdue_consequence(world, open_acceptance, project):
    from yongke.projects import credit

    credit.consequence_apply(actor=TEST, project=project, code="acceptance_overdue", reason="逾期未申请验收")
    decide(world, open_acceptance, "passed")
    record = CreditRecord.objects.get(origin=f"project:{project.number}", consequence="acceptance_overdue")
    assert record.ends_on is not None
    assert record.ends_on <= today()


def test_a_rectification_keeps_the_overdue_consequence_running(world, open_acceptance, project):
    from yongke.projects import credit

    credit.consequence_apply(actor=TEST, project=project, code="acceptance_overdue", reason="逾期未申请验收")
    rectified(world, open_acceptance)
    assert CreditRecord.objects.get(origin=f"project:{project.number}", consequence="acceptance_overdue").ends_on is None


def test_an_unknown_verdict_is_bad_input(world, open_acceptance):
    with pytest.raises(BadInput) as e:
        decide(world, open_acceptance, "excellent")
    assert e.value.detail["field"] == "verdict"


def test_a_deadline_goes_with_a_rectification_only(world, open_acceptance):
    with pytest.raises(BadInput) as e:
        decide(world, open_acceptance, "passed", rectify_by=today() + dt.timedelta(days=10))
    assert e.value.detail["field"] == "rectify_by"
    assert Acceptance.objects.get(pk=open_acceptance.pk).state == "open"


# --------------------------------------------------------------------------- the call's settings


def test_a_call_that_waives_the_failed_consequence_records_none(world, open_acceptance, project):
    acc.postaward_settings_set(actor=TEST, call=project.call, consequences={"acceptance_failed": None})
    decide(world, open_acceptance, "failed")
    assert not CreditRecord.objects.filter(origin=f"project:{project.number}", consequence="acceptance_failed").exists()
    assert fresh(project).state == "failed"


def test_a_calls_own_consequence_is_recorded_for_its_years(world, open_acceptance, project):
    acc.postaward_settings_set(
        actor=TEST, call=project.call, consequences={"acceptance_failed": {"subject": "leader", "years": 1, "source": "本批次指南"}}
    )
    decide(world, open_acceptance, "failed")
    record = CreditRecord.objects.get(origin=f"project:{project.number}", consequence="acceptance_failed")
    assert (record.source, record.ends_on) == ("本批次指南", project_rules.add_months(today(), 12) - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"consequences": {"acceptance_failed": {"subject": "team", "years": 1, "source": "x"}}}, "consequences.acceptance_failed"),
        ({"consequences": {"acceptance_failed": {"subject": "leader", "years": 1}}}, "consequences.acceptance_failed"),
        ({"consequences": {"late_breakfast": None}}, "consequences.late_breakfast"),
        ({"rectify_months": 13}, "rectify_months"),
        ({"documents_below": -1}, "documents_below"),
        ({"midterm_min_months": True}, "midterm_min_months"),
        ({"publish_results": "yes"}, "publish_results"),
        ({"sign_days": 3}, "sign_days"),
    ],
)
def test_bad_settings_name_the_field(world, project, fields, field):
    with pytest.raises(BadInput) as e:
        acc.postaward_settings_set(actor=TEST, call=project.call, **fields)
    assert e.value.detail["field"] == field


def test_only_officers_of_every_programme_of_the_call_set_them(world, project):
    with pytest.raises(PermissionDenied):
        acc.postaward_settings_set(actor=world.officer, call=project.call, documents_below=1)  # the world's call opens programme 2 as well
    with pytest.raises(PermissionDenied):
        acc.postaward_settings_set(actor=world.org_admin, call=project.call, documents_below=1)
    with pytest.raises(PermissionDenied):
        acc.postaward_settings_set(actor=world.sysadmin, call=project.call, documents_below=1)  # no administrator (三权分立)
    every = make_user("officer", programme="*")
    settings = acc.postaward_settings_set(actor=every, call=project.call, documents_below=1, publish_results=True)
    assert (settings.documents_below, settings.publish_results) == (1, True)
    assert sel.postaward_settings_for(project.call).overridden == ("documents_below", "publish_results")
