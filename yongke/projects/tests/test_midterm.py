"""The mid-term check: a mid-term report compared with the stages (milestones) due by its due
date, fact by fact; 合格 makes the `midterm` tranche payable; 限期整改 opens one more mid-term
report, due within the rules' months, once and not twice."""

from __future__ import annotations

import datetime as dt

import pytest

from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.projects import acceptance as acc
from yongke.projects import rules as project_rules
from yongke.projects.models import Payment, Report, Tranche
from yongke.projects.tests.acceptance_helpers import (
    PATENTS,
    REVENUE,
    capture_announcements,
    commitments,
    fresh,
    module_world,
    pay,
    pdf,
    running,
)
from yongke.projects.tests.helpers import today

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory)


@pytest.fixture(scope="module")
def project(world, django_db_blocker):
    """A project in progress paid in three tranches: signing, 中期检查合格, 验收通过."""
    with django_db_blocker.unblock():
        p = running(world)
        Tranche.objects.filter(project=p).delete()
        for order, (amount, condition) in enumerate(((200_000, "signing"), (150_000, "midterm"), (150_000, "acceptance")), start=1):
            Tranche.objects.create(project=p, order=order, label=f"第{order}期", amount=amount, condition=condition)
        return p


def midterm(world, project, actuals):
    r = acc.report_save(actor=world.applicant, project=project, kind="midterm", narrative="按计划推进", actuals=actuals)
    return acc.report_submit(actor=world.org_admin, report=r)


def stage(report):
    (first,) = [m for m in report.checks["milestones"] if m["title"] == "完成样机"]
    return first


def test_a_midterm_report_at_the_stage_targets_meets_them(world, project):
    r = midterm(world, project, {PATENTS: 1, REVENUE: 20_000_000})
    assert stage(r)["result"] == "pass"
    assert r.checks["milestone_verdict"] == "pass"
    assert fresh(project).state == "in_progress"  # a mid-term report asks for no acceptance


def test_a_stage_target_missed_by_one_fails_and_one_not_reported_is_missing(world, project):
    r = midterm(world, project, {PATENTS: 0})
    facts = {f["fact"]: f["result"] for f in stage(r)["facts"]}
    assert facts == {PATENTS: "fail", REVENUE: "missing"}
    assert r.checks["milestone_verdict"] == "fail"


def test_only_the_stages_due_by_the_reports_date_are_compared(world, project):
    r = midterm(world, project, {PATENTS: 1})
    assert [m["title"] for m in r.checks["milestones"]] == ["完成样机"]  # the final stage is due at the end


def test_qualified_makes_the_midterm_tranche_payable(world, project):
    pay(world, project, 200_000)
    with pytest.raises(Refused) as e:
        pay(world, project, 150_000, tranche=2)
    assert e.value.code == "condition_not_met"
    r = midterm(world, project, {PATENTS: 1, REVENUE: 20_000_000})
    r = acc.midterm_check(actor=world.officer, report=r, outcome="qualified", comment="")
    assert (r.state, r.outcome) == ("checked", "qualified")
    assert fresh(project).midterm_passed_at is not None
    assert pay(world, project, 150_000, tranche=2).amount == 150_000
    with pytest.raises(Refused) as e:
        pay(world, project, 150_000, tranche=3)
    assert e.value.code == "condition_not_met"
    assert Payment.objects.filter(project=project).count() == 2


def test_after_qualified_no_more_midterm_reports(world, project):
    r = midterm(world, project, {PATENTS: 1})
    acc.midterm_check(actor=world.officer, report=r, outcome="qualified", comment="")
    with pytest.raises(Refused) as e:
        acc.report_save(actor=world.applicant, project=project, kind="midterm", narrative="x")
    assert e.value.code == "midterm_passed"


def test_rectify_opens_a_second_midterm_report_carrying_the_first_over(world, project):
    r = acc.report_save(actor=world.applicant, project=project, kind="midterm", narrative="按计划推进", actuals={PATENTS: 0})
    acc.report_attach(actor=world.applicant, report=r, filename="进展.pdf", content=pdf("m"), indicator=commitments(project)[0].pk)
    r = acc.report_submit(actor=world.org_admin, report=r)
    r = acc.midterm_check(actor=world.officer, report=r, outcome="rectify", comment="专利申请未启动")
    default = project_rules.add_months(today(), project_rules.postaward().midterm_rectify_months)
    assert (r.outcome, r.rectify_by) == ("rectify", default)
    follow = Report.objects.get(project=project, kind="midterm", number=2)
    assert (follow.state, follow.due_on, follow.actuals, follow.narrative) == ("draft", default, {PATENTS: 0}, "按计划推进")
    assert [f.filename for f in follow.files.all()] == ["进展.pdf"]
    assert fresh(project).midterm_passed_at is None
    event = AuditEvent.objects.get(target_id=str(project.pk), action="midterm_check")
    assert event.data["next"] == follow.pk


def test_the_rectified_midterm_report_may_be_qualified_but_not_rectified_again(world, project):
    first = acc.midterm_check(actor=world.officer, report=midterm(world, project, {PATENTS: 0}), outcome="rectify", comment="未达阶段目标")
    second = acc.report_save(actor=world.applicant, project=project, kind="midterm", actuals={PATENTS: 1})
    assert (second.number, second.due_on) == (2, first.rectify_by)
    second = acc.report_submit(actor=world.org_admin, report=second)
    with pytest.raises(Refused) as e:
        acc.midterm_check(actor=world.officer, report=second, outcome="rectify", comment="仍未达到")
    assert e.value.code == "midterm_rectified_once"
    assert not Report.objects.filter(project=project, kind="midterm", number=3).exists()
    acc.midterm_check(actor=world.officer, report=second, outcome="qualified", comment="整改到位")
    assert fresh(project).midterm_passed_at is not None


def test_a_rectification_period_beyond_the_rules_is_refused(world, project):
    r = midterm(world, project, {PATENTS: 0})
    too_late = project_rules.add_months(today(), project_rules.postaward().midterm_rectify_months) + dt.timedelta(days=1)
    with pytest.raises(Refused) as e:
        acc.midterm_check(actor=world.officer, report=r, outcome="rectify", comment="整改", rectify_by=too_late)
    assert e.value.code == "rectify_period"
    with pytest.raises(Refused):
        acc.midterm_check(actor=world.officer, report=r, outcome="rectify", comment="整改", rectify_by=today())
    r = acc.midterm_check(actor=world.officer, report=r, outcome="rectify", comment="整改", rectify_by=today() + dt.timedelta(days=30))
    assert r.rectify_by == today() + dt.timedelta(days=30)


def test_a_rectification_needs_a_comment_and_an_outcome_known(world, project):
    r = midterm(world, project, {PATENTS: 0})
    with pytest.raises(BadInput) as e:
        acc.midterm_check(actor=world.officer, report=r, outcome="rectify", comment="")
    assert e.value.detail["field"] == "comment"
    with pytest.raises(BadInput) as e:
        acc.midterm_check(actor=world.officer, report=r, outcome="excellent", comment="x")
    assert e.value.detail["field"] == "outcome"
    with pytest.raises(BadInput) as e:
        acc.midterm_check(actor=world.officer, report=r, outcome="qualified", comment="", rectify_by=today())
    assert e.value.detail["field"] == "rectify_by"


def test_only_the_programmes_officer_checks_a_submitted_midterm_report(world, project):
    draft = acc.report_save(actor=world.applicant, project=project, kind="midterm", narrative="x")
    with pytest.raises(Refused) as e:
        acc.midterm_check(actor=world.officer, report=draft, outcome="qualified", comment="")
    assert e.value.code == "bad_state"
    r = acc.report_submit(actor=world.org_admin, report=draft)
    for who in (world.other_officer, world.org_admin, world.recommender):
        with pytest.raises(PermissionDenied):
            acc.midterm_check(actor=who, report=r, outcome="qualified", comment="")


def test_a_returned_midterm_report_is_written_and_submitted_again(world, project):
    r = midterm(world, project, {PATENTS: 1})
    r = acc.report_return(actor=world.officer, report=r, comment="请补充经费使用情况")
    assert r.state == "returned"
    r = acc.report_save(actor=world.applicant, project=project, kind="midterm", spent=[{"category": "equipment", "fiscal": 100_000}])
    assert acc.report_submit(actor=world.org_admin, report=r).state == "submitted"


def test_a_final_report_is_not_a_midterm_check(world, project):
    r = acc.report_save(actor=world.applicant, project=project, kind="final", narrative="x")
    Report.objects.filter(pk=r.pk).update(state="submitted")
    with pytest.raises(BadInput) as e:
        acc.midterm_check(actor=world.officer, report=r, outcome="qualified", comment="")
    assert e.value.detail["field"] == "report"


def test_the_unit_is_told_of_the_conclusion(world, project, monkeypatch):
    seen = capture_announcements(monkeypatch)
    r = midterm(world, project, {PATENTS: 1})
    acc.midterm_check(actor=world.officer, report=r, outcome="rectify", comment="补充")
    told = [e for e in seen if e["template"] == "midterm_checked"]
    assert told
    assert told[0]["to"] == {"organisation": project.organisation_id}
    assert told[0]["params"]["outcome"] == "限期整改"
    assert "前报送整改后的中期报告" in told[0]["params"]["rectify"]
    assert [e["template"] for e in seen].count("report_submitted") == 1  # the officers, of the submission
