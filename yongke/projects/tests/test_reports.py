"""The unit's reports: the draft of the report open for its kind, actuals limited to the facts
the indicators read (named with their Chinese label when wrong), spending by the task book's
budget lines, evidence per indicator, submission with the checks by the guide's rules, the
officer's return, the reminders before and after the due date (each once) and the overdue list."""

from __future__ import annotations

import datetime as dt

import pytest

from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, Conflict, PermissionDenied, Refused
from yongke.orgs.models import CreditRecord
from yongke.projects import acceptance as acc
from yongke.projects import acceptance_selectors as sel
from yongke.projects import rules as project_rules
from yongke.projects.models import Indicator, ProjectFile, Report
from yongke.projects.tests.acceptance_helpers import (
    MET,
    PATENTS,
    REVENUE,
    commitments,
    evidence_for_all,
    final_draft,
    fresh,
    module_world,
    now_on,
    pdf,
    running,
    submitted_final,
)
from yongke.testing import TEST

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory)


@pytest.fixture(scope="module")
def project(world, django_db_blocker):
    """One project in progress for the module (each test's changes are rolled back)."""
    with django_db_blocker.unblock():
        return running(world)


# --------------------------------------------------------------------------- drafts


def test_the_unit_writes_the_draft_of_its_final_report(world, project):
    r = acc.report_save(actor=world.applicant, project=project, kind="final", narrative=" 进展顺利 ", actuals={PATENTS: 2})
    assert (r.kind, r.number, r.state, r.narrative, r.actuals) == ("final", 1, "draft", "进展顺利", {PATENTS: 2})
    assert r.due_on == sel.schedule_of(project).final_report_due
    again = acc.report_save(actor=world.applicant, project=project, kind="final", actuals={PATENTS: 3}, lock_version=r.lock_version)
    assert (again.pk, again.narrative, again.actuals) == (r.pk, "进展顺利", {PATENTS: 3})
    assert AuditEvent.objects.filter(target_type="project", target_id=str(project.pk), action="report_save").count() == 2


def test_a_fact_no_indicator_reads_is_refused_naming_it(world, project):
    with pytest.raises(BadInput) as e:
        acc.report_save(actor=world.applicant, project=project, kind="final", actuals={"kpi_demo_sites": 2})
    assert e.value.detail["field"] == "actuals.kpi_demo_sites"
    assert "不是本项目考核指标读取的事实" in e.value.message
    assert not Report.objects.filter(project=project).exists()


def test_a_wrong_value_names_the_field_and_its_chinese_label(world, project):
    with pytest.raises(BadInput) as e:
        acc.report_save(actor=world.applicant, project=project, kind="final", actuals={PATENTS: "三件"})
    assert e.value.detail["field"] == f"actuals.{PATENTS}"
    assert "承诺申请发明专利数" in e.value.message


def test_a_null_actual_is_left_out(world, project):
    r = acc.report_save(actor=world.applicant, project=project, kind="final", actuals={PATENTS: 3, REVENUE: None})
    assert r.actuals == {PATENTS: 3}


@pytest.mark.parametrize(
    ("spent", "field"),
    [
        ([{"category": "labour", "fiscal": 1}], "spent[0].category"),
        ([{"category": "equipment", "fiscal": -1}], "spent[0].fiscal"),
        ([{"category": "equipment", "fiscal": True}], "spent[0].fiscal"),
        ([{"category": "equipment", "fiscal": 500_001}], "spent.total.fiscal"),
        ([{"category": "equipment"}, {"category": "equipment"}], "spent[1].category"),
        ({"category": "equipment"}, "spent"),
    ],
)
def test_spending_is_by_the_task_books_budget_lines_within_the_grant(world, project, spent, field):
    with pytest.raises(BadInput) as e:
        acc.report_save(actor=world.applicant, project=project, kind="final", spent=spent)
    assert e.value.detail["field"] == field


def test_spending_up_to_the_grant_is_kept_by_line(world, project):
    r = acc.report_save(
        actor=world.applicant, project=project, kind="final", spent=[{"category": "equipment", "fiscal": 500_000, "self_raised": 7}]
    )
    assert r.spent == [{"category": "equipment", "fiscal": 500_000, "self_raised": 7}]


def test_an_added_indicators_actual_is_kept_by_its_id(world, project):
    extra = Indicator.objects.create(project=project, order=9, source="extra", label="培养研究生", unit="人", target_value=2)
    r = acc.report_save(actor=world.applicant, project=project, kind="final", extra_actuals={str(extra.pk): 3})
    assert r.extra_actuals == {str(extra.pk): 3}
    with pytest.raises(BadInput) as e:
        acc.report_save(actor=world.applicant, project=project, kind="final", extra_actuals={str(commitments(project)[0].pk): 3})
    assert e.value.detail["field"].startswith("extra_actuals.")
    with pytest.raises(BadInput):
        acc.report_save(actor=world.applicant, project=project, kind="final", extra_actuals={str(extra.pk): -1})


def test_a_stale_version_is_a_conflict(world, project):
    r = acc.report_save(actor=world.applicant, project=project, kind="final", narrative="一")
    acc.report_save(actor=world.applicant, project=project, kind="final", narrative="二")
    with pytest.raises(Conflict):
        acc.report_save(actor=world.applicant, project=project, kind="final", narrative="三", lock_version=r.lock_version)


@pytest.mark.parametrize("who", ["stranger", "recommender", "officer", "finance", "expert"])
def test_only_the_unit_writes_its_reports(world, project, who):
    with pytest.raises(PermissionDenied):
        acc.report_save(actor=getattr(world, who), project=project, kind="final", narrative="x")


def test_a_rectification_report_is_written_only_once_the_acceptance_asks_for_it(world, project):
    with pytest.raises(Refused) as e:
        acc.report_save(actor=world.applicant, project=project, kind="rectification", narrative="x")
    assert e.value.code == "bad_state"


def test_a_midterm_report_is_refused_where_the_call_requires_none(world, project):
    acc.postaward_settings_set(actor=TEST, call=project.call, midterm_min_months=36)
    assert not sel.schedule_of(project).midterm_required
    with pytest.raises(Refused) as e:
        acc.report_save(actor=world.applicant, project=project, kind="midterm", narrative="x")
    assert e.value.code == "midterm_not_required"


def test_an_unknown_kind_is_bad_input(world, project):
    with pytest.raises(BadInput) as e:
        acc.report_save(actor=world.applicant, project=project, kind="annual", narrative="x")
    assert e.value.detail["field"] == "kind"


# --------------------------------------------------------------------------- evidence


def test_evidence_is_stored_on_the_report_for_an_indicator(world, project):
    r = acc.report_save(actor=world.applicant, project=project, kind="final", narrative="x")
    ind = commitments(project)[0]
    f = acc.report_attach(actor=world.applicant, report=r, filename="专利受理通知书.pdf", content=pdf("a"), indicator=ind.pk)
    f = ProjectFile.objects.get(pk=f.pk)
    assert (f.kind, f.report_id, f.indicator_id, f.filename, f.content_type) == (
        "evidence",
        r.pk,
        ind.pk,
        "专利受理通知书.pdf",
        "application/pdf",
    )


def test_evidence_for_another_projects_indicator_is_refused(world, project):
    other = running(world, stages=False)
    r = acc.report_save(actor=world.applicant, project=project, kind="final", narrative="x")
    with pytest.raises(BadInput) as e:
        acc.report_attach(actor=world.applicant, report=r, filename="x.pdf", content=pdf("b"), indicator=commitments(other)[0].pk)
    assert e.value.detail["field"] == "indicator"


def test_evidence_that_is_not_a_document_is_refused(world, project):
    r = acc.report_save(actor=world.applicant, project=project, kind="final", narrative="x")
    with pytest.raises(BadInput) as e:
        acc.report_attach(actor=world.applicant, report=r, filename="x.exe", content=b"MZ\x90\x00")
    assert e.value.detail["field"] == "file"


def test_evidence_is_removed_from_a_draft_only(world, project):
    r = final_draft(world, project)
    f = r.files.first()
    acc.report_file_remove(actor=world.applicant, report=r, file=f)
    assert not r.files.filter(pk=f.pk).exists()
    evidence_for_all(world, r)
    acc.report_submit(actor=world.org_admin, report=r)
    with pytest.raises(Refused) as e:
        acc.report_file_remove(actor=world.applicant, report=r, file=r.files.first())
    assert e.value.code == "report_not_open"


# --------------------------------------------------------------------------- submission


def test_a_final_report_without_an_actual_for_a_target_is_not_submitted(world, project):
    r = final_draft(world, project, actuals={PATENTS: 3})
    with pytest.raises(Refused) as e:
        acc.report_submit(actor=world.org_admin, report=r)
    assert (e.value.code, e.value.detail["field"]) == ("report_incomplete", f"actuals.{REVENUE}")
    assert fresh(project).state == "in_progress"


def test_a_final_report_without_evidence_for_each_indicator_is_not_submitted(world, project):
    r = final_draft(world, project, evidence=False)
    first = commitments(project)[0]
    acc.report_attach(actor=world.applicant, report=r, filename="x.pdf", content=pdf("c"), indicator=first.pk)
    with pytest.raises(Refused) as e:
        acc.report_submit(actor=world.org_admin, report=r)
    assert [p["indicator"] for p in e.value.detail["problems"]] == [commitments(project)[1].pk]


def test_only_the_units_org_admin_submits(world, project):
    r = final_draft(world, project)
    with pytest.raises(PermissionDenied):
        acc.report_submit(actor=world.applicant, report=r)


def test_a_submitted_final_report_asks_for_acceptance_with_the_checks(world, project):
    r = submitted_final(world, project)
    assert (r.state, fresh(project).state) == ("submitted", "acceptance")
    rows = {row["rule"]: row for row in r.checks["indicators"]}
    assert rows["1:ip"]["result"] == rows["1:revenue"]["result"] == "pass"
    assert rows["1:revenue"]["clause"] == Indicator.objects.get(project=project, rule_id="1:revenue").clause
    assert rows["1:revenue"]["rate"] == 1.0
    assert (r.checks["verdict"], r.checks["completion_rate"]) == ("pass", 1.0)
    assert AuditEvent.objects.filter(target_id=str(project.pk), action="submit_final", to_state="acceptance").exists()


def test_an_actual_one_below_its_target_fails_its_indicator_with_its_rate(world, project):
    r = submitted_final(world, project, actuals={**MET, PATENTS: 2})
    rows = {row["rule"]: row for row in r.checks["indicators"]}
    assert rows["1:ip"]["result"] == "fail"
    assert rows["1:ip"]["unmet"] == [PATENTS]
    assert rows["1:ip"]["rate"] == pytest.approx(2 / 3)
    assert (r.checks["verdict"], r.checks["completion_rate"]) == ("fail", 0.5)


def test_an_alternative_passes_on_another_branch_where_no_target_binds_it(world, project):
    """1:ip is 3 patent applications OR 6 IP grants: only the promised branch has a target."""
    ip = Indicator.objects.get(project=project, rule_id="1:ip")
    Indicator.objects.filter(pk=ip.pk).update(targets={PATENTS: None, "kpi_ip_grants": 6, "kpi_region_platform": None})
    r = submitted_final(world, project, actuals={"kpi_ip_grants": 6, REVENUE: 50_000_000})
    rows = {row["rule"]: row for row in r.checks["indicators"]}
    assert rows["1:ip"]["result"] == "pass"


def test_a_submitted_report_is_not_written_again(world, project):
    submitted_final(world, project)
    with pytest.raises(Refused) as e:
        acc.report_save(actor=world.applicant, project=project, kind="final", narrative="再改")
    assert e.value.code == "bad_state"


# --------------------------------------------------------------------------- return


def test_the_officer_returns_a_final_report_and_the_unit_resubmits_it(world, project):
    r = submitted_final(world, project)
    r = acc.report_return(actor=world.officer, report=r, comment="佐证材料不清晰")
    assert (r.state, r.outcome_comment, fresh(project).state) == ("returned", "佐证材料不清晰", "in_progress")
    r = acc.report_save(actor=world.applicant, project=project, kind="final", narrative="补充了材料")
    assert r.state == "returned"
    assert acc.report_submit(actor=world.org_admin, report=r).state == "submitted"
    assert fresh(project).state == "acceptance"


def test_a_return_needs_a_reason_and_the_programmes_officer(world, project):
    r = submitted_final(world, project)
    with pytest.raises(BadInput):
        acc.report_return(actor=world.officer, report=r, comment=" ")
    with pytest.raises(PermissionDenied):
        acc.report_return(actor=world.other_officer, report=r, comment="退回")
    with pytest.raises(PermissionDenied):
        acc.report_return(actor=world.org_admin, report=r, comment="退回")


def test_a_report_under_acceptance_is_not_returned(world, project):
    r = submitted_final(world, project)
    acc.acceptance_open(actor=world.officer, project=project, mode="documents")
    with pytest.raises(Refused) as e:
        acc.report_return(actor=world.officer, report=r, comment="退回")
    assert e.value.code == "acceptance_open"


# --------------------------------------------------------------------------- the schedule, reminders and the overdue list


def test_the_schedule_follows_the_rules_and_the_calls_settings(world, project):
    rules = project_rules.postaward()
    s = sel.schedule_of(project)
    assert s.midterm_required
    assert s.midterm_due == project_rules.midterm_due(project.starts_on, project.ends_on, rules.midterm_at_share_pct)
    assert s.final_report_due == project_rules.add_months(project.ends_on, rules.final_report_months)
    assert s.acceptance_due == project_rules.add_months(project.ends_on, rules.acceptance_within_months)
    assert s.acceptance_mode == "panel"
    acc.postaward_settings_set(actor=TEST, call=project.call, documents_below=600_000)
    assert sel.schedule_of(project).acceptance_mode == "documents"
    view = sel.project_schedule(world.org_admin, project)
    assert [(x["kind"], x["state"]) for x in view["reports"]] == [("midterm", "not_started"), ("final", "not_started")]


def test_a_scheduled_draft_follows_an_extension_of_the_period(world, project):
    r = acc.report_save(actor=world.applicant, project=project, kind="final", narrative="x")
    type(project).objects.filter(pk=project.pk).update(ends_on=project.ends_on + dt.timedelta(days=90))
    again = acc.report_save(actor=world.applicant, project=project, kind="final", narrative="y")
    assert again.pk == r.pk
    assert again.due_on == project_rules.final_report_due(
        project.ends_on + dt.timedelta(days=90), project_rules.postaward().final_report_months
    )


def _midterm_due(project):
    return sel.schedule_of(project).midterm_due


def test_a_reminder_before_the_due_date_is_sent_once_and_makes_the_draft(world, project):
    due = _midterm_due(project)
    day = due - dt.timedelta(days=3)
    sent = acc.report_reminders(actor=world.officer, now=now_on(day))
    mine = [x for x in sent if x["project"] == project.pk]
    assert [(x["kind"], x["reminder"]) for x in mine] == [("midterm", f"before:{due.isoformat()}")]
    r = Report.objects.get(project=project, kind="midterm")
    assert (r.state, r.due_on, r.reminded) == ("draft", due, [f"before:{due.isoformat()}"])
    assert not [x for x in acc.report_reminders(actor=world.officer, now=now_on(day + dt.timedelta(days=1))) if x["project"] == project.pk]


def test_reminders_after_the_due_date_come_every_after_days(world, project):
    due = _midterm_due(project)
    every = project_rules.postaward().remind_after_days
    days = [due + dt.timedelta(days=n) for n in (1, 2, every, every + 1, every + 2)]
    keys = []
    for day in days:
        keys += [x["reminder"] for x in acc.report_reminders(actor=world.officer, now=now_on(day)) if x["project"] == project.pk]
    assert keys == [f"after:{due.isoformat()}:0", f"after:{due.isoformat()}:1"]


def test_a_submitted_report_gets_no_reminder(world, project):
    r = acc.report_save(actor=world.applicant, project=project, kind="midterm", narrative="中期进展")
    acc.report_submit(actor=world.org_admin, report=r)
    sent = acc.report_reminders(actor=world.officer, now=now_on(_midterm_due(project) + dt.timedelta(days=1)))
    assert not [x for x in sent if x["project"] == project.pk and x["kind"] == "midterm"]


def test_another_programmes_officer_reminds_nobody_of_it_and_the_unit_may_not(world, project):
    day = _midterm_due(project) - dt.timedelta(days=1)
    assert not [x for x in acc.report_reminders(actor=world.other_officer, now=now_on(day)) if x["project"] == project.pk]
    with pytest.raises(PermissionDenied):
        acc.report_reminders(actor=world.org_admin, now=now_on(day))


def test_the_overdue_list_shows_reports_not_submitted_past_their_date_to_officers(world, project):
    day = _midterm_due(project) + dt.timedelta(days=5)
    rows = [r for r in sel.reports_overdue(world.officer, now=now_on(day)) if r["project"].pk == project.pk]
    assert [(r["kind"], r["state"], r["days_overdue"]) for r in rows] == [("midterm", "not_started", 5)]
    assert not [r for r in sel.reports_overdue(world.other_officer, now=now_on(day)) if r["project"].pk == project.pk]
    with pytest.raises(PermissionDenied):
        sel.reports_overdue(world.org_admin, now=now_on(day))


def test_running_past_the_acceptance_deadline_records_the_overdue_consequence_once(world, project):
    day = sel.schedule_of(project).acceptance_due + dt.timedelta(days=1)
    acc.report_reminders(actor=world.officer, now=now_on(day))
    acc.report_reminders(actor=world.officer, now=now_on(day + dt.timedelta(days=1)))
    records = CreditRecord.objects.filter(origin=f"project:{project.number}", consequence="acceptance_overdue")
    assert records.count() == 1
    assert (records.get().organisation_id, records.get().ends_on) == (project.organisation_id, None)
