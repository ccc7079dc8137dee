"""The portfolio at a glance (`projects.portfolio`): each visible project with its indicators,
money and risks; aggregates by programme, direction, district and year that are the sums of
their rows; filters; who may see what; risks found as the clock moves; a fixed number of
queries; the workbook's sheets and totals."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yongke.core.errors import BadInput, PermissionDenied
from yongke.projects import rules
from yongke.projects.models import Indicator, Milestone, Project, ProjectCallSettings, Report
from yongke.projects.portfolio import COUNTS, DIMENSIONS, filters_from, portfolio, portfolio_xlsx
from yongke.projects.tests.portfolio_helpers import add_projects, at, checks_of, kept, midterm_due
from yongke.testing import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pw(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from kept(
        lambda: add_projects(build_world(directions=["1.1", "14.1"], officer_programmes=("1",))),
        django_db_blocker,
        str(tmp_path_factory.mktemp("media")),
    )


def numbers(p) -> list[str]:
    return sorted(r.number for r in p.rows)


def row_of(p, project: Project):
    return next(r for r in p.rows if r.id == project.pk)


# --------------------------------------------------------------------------- rows


def test_a_project_row_has_its_indicators_money_and_place(pw):
    r = row_of(portfolio(pw.finance), pw.a)
    assert (r.programme, r.direction, r.district, r.district_name) == ("1", "1.1", "450103", "青秀区")
    assert r.year == timezone.localtime(pw.call.opens_at).year
    assert (r.contracted, r.completed, r.completion_rate, r.reported) == (2, 1, 0.5, True)
    assert (r.granted, r.paid, r.due_back, r.recovered) == (500_000, 350_000, 0, 0)
    assert r.targets == {"kpi_invention_patent_applications": 3, "kpi_new_revenue": 50_000_000}
    assert r.actuals == {"kpi_invention_patent_applications": 1, "kpi_new_revenue": 30_000_000}
    assert r.programme_name
    assert r.direction_name


def test_recovered_money_is_what_the_receipts_say(pw):
    r = row_of(portfolio(pw.finance), pw.b)
    assert (r.granted, r.paid, r.due_back, r.recovered) == (300_000, 0, 100_000, 40_000)
    assert (r.contracted, r.completed, r.reported, r.actuals) == (2, 0, False, {})


def test_the_year_is_the_year_the_call_opened(pw):
    assert row_of(portfolio(pw.finance), pw.c).year == timezone.localtime(pw.old_call.opens_at).year
    assert row_of(portfolio(pw.finance), pw.c).year != row_of(portfolio(pw.finance), pw.a).year


def test_checks_keyed_by_rule_and_by_indicator_id_are_read(pw):
    extra = Indicator.objects.create(project=pw.a, order=9, source="extra", label="培养研究生", unit="人", target_value=3)
    Report.objects.filter(pk=pw.report.pk).update(
        checks={"indicators": {"1:ip": {"result": "pass"}, "1:revenue": {"result": "pass"}, str(extra.pk): {"result": "pass"}}}
    )
    r = row_of(portfolio(pw.finance), pw.a)
    assert (r.contracted, r.completed) == (3, 3)


def test_the_checks_the_report_service_stores_are_read(pw):
    from yongke.projects.acceptance_selectors import report_checks  # what the report service stores on submission

    extra = Indicator.objects.create(project=pw.a, order=9, source="extra", label="培养研究生", unit="人", target_value=3)
    report = Report.objects.get(pk=pw.report.pk)
    report.actuals = {"kpi_new_revenue": 50_000_000, "kpi_invention_patent_applications": 2}
    report.extra_actuals = {str(extra.pk): 4}
    report.checks = report_checks(pw.a, report)
    report.save()
    passed = sum(i["result"] == "pass" for i in report.checks["indicators"])
    r = row_of(portfolio(pw.finance), pw.a)
    assert (r.contracted, r.completed, passed) == (3, 2, 2)  # revenue and the added one pass; 2 patents of 3 do not
    assert r.actuals == {"kpi_new_revenue": 50_000_000, "kpi_invention_patent_applications": 2}


def test_a_returned_report_gives_no_actuals(pw):
    Report.objects.filter(pk=pw.report.pk).update(state=Report.State.RETURNED)
    r = row_of(portfolio(pw.finance), pw.a)
    assert (r.completed, r.reported, r.actuals) == (0, False, {})


def test_the_latest_submitted_report_counts(pw):
    later = timezone.now() + dt.timedelta(days=1)
    actuals = {"kpi_new_revenue": 60_000_000, "kpi_invention_patent_applications": 4}
    Report.objects.create(
        project=pw.a,
        kind=Report.Kind.FINAL,
        due_on=pw.a.ends_on,
        state=Report.State.SUBMITTED,
        actuals=actuals,
        checks=checks_of({"1:ip": "pass", "1:revenue": "pass"}, actuals),
        submitted_at=later,
    )
    r = row_of(portfolio(pw.finance), pw.a)
    assert (r.completed, r.actuals["kpi_new_revenue"]) == (2, 60_000_000)


# --------------------------------------------------------------------------- aggregates are the sums of the rows


def test_every_aggregate_is_the_sum_of_its_rows(pw):
    p = portfolio(pw.finance)
    assert len(p.rows) == 3
    for name in COUNTS:
        assert getattr(p.totals, name) == sum(getattr(r, name) for r in p.rows)
    assert p.totals.projects == len(p.rows)
    assert p.totals.at_risk == sum(r.at_risk for r in p.rows)
    keys = {
        "programme": lambda r: r.programme,
        "direction": lambda r: r.direction,
        "district": lambda r: r.district,
        "year": lambda r: str(r.year),
    }
    for dim in DIMENSIONS:
        groups = p.groups[dim]
        assert sum(g.projects for g in groups) == len(p.rows)
        for g in groups:
            members = [r for r in p.rows if keys[dim](r) == g.key]
            assert g.projects == len(members)
            for name in COUNTS:
                assert getattr(g, name) == sum(getattr(r, name) for r in members), (dim, g.key, name)


def test_the_totals_of_the_portfolio(pw):
    t = portfolio(pw.finance).totals
    assert (t.projects, t.contracted, t.completed) == (3, 6, 1)
    assert (t.granted, t.paid, t.due_back, t.recovered) == (1_300_000, 350_000, 100_000, 40_000)
    assert t.completion_rate == pytest.approx(1 / 6)


def test_each_fact_sums_the_targets_and_actuals_of_the_rows(pw):
    p = portfolio(pw.finance)
    facts = {f.fact: f for f in p.facts}
    revenue = facts["kpi_new_revenue"]
    assert (revenue.projects, revenue.reported, revenue.target, revenue.actual) == (3, 1, 110_000_000, 30_000_000)
    assert revenue.unit == "元"
    assert "新增" in revenue.label
    for f in p.facts:
        assert f.target == sum(r.targets.get(f.fact, 0) for r in p.rows)
        assert f.actual == sum(r.actuals.get(f.fact, 0) for r in p.rows)
        assert f.projects == sum(f.fact in r.targets for r in p.rows)


def test_groups_are_named_and_in_order(pw):
    p = portfolio(pw.finance)
    assert [g.key for g in p.groups["programme"]] == ["1", "2"]
    assert [g.key for g in p.groups["direction"]] == ["1.1", "14.1"]
    assert [(g.key, g.name) for g in p.groups["district"]] == [("450103", "青秀区"), ("450107", "西乡塘区")]
    assert all(g.name for g in p.groups["programme"])


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"programme": "1"}, "ac"),
        ({"direction": "14.1"}, "b"),
        ({"district": "450107"}, "b"),
        ({"state": "drafting"}, "c"),
        ({"programme": "1", "state": "in_progress"}, "a"),
        ({"district": "450199"}, ""),
    ],
)
def test_filters_narrow_the_portfolio(pw, params, expected):
    assert numbers(portfolio(pw.finance, params)) == sorted(getattr(pw, x).number for x in expected)


def test_the_year_filter_is_the_calls_year(pw):
    old = timezone.localtime(pw.old_call.opens_at).year
    assert numbers(portfolio(pw.finance, {"year": str(old)})) == [pw.c.number]
    p = portfolio(pw.finance, {"year": timezone.localtime(pw.call.opens_at).year})
    assert numbers(p) == sorted([pw.a.number, pw.b.number])


def test_the_filter_options_are_the_visible_projects_values(pw):
    options = portfolio(pw.finance, {"programme": "2"}).options
    assert [k for k, _ in options["programme"]] == ["1", "2"]  # whatever is chosen, the others stay offered
    assert {k for k, _ in options["state"]} == {"in_progress", "drafting"}
    assert [k for k, _ in options["district"]] == ["450103", "450107"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"year": "next"}, "year"), ({"year": "1999"}, "year"), ({"state": "sleeping"}, "state"), ({"programme": "1'; --"}, "programme")],
)
def test_a_bad_filter_is_refused_naming_its_field(params, field):
    with pytest.raises(BadInput) as e:
        filters_from(params)
    assert e.value.detail["field"] == field


# --------------------------------------------------------------------------- who sees what


def test_an_officer_sees_only_the_projects_of_their_programmes(pw):
    assert numbers(portfolio(pw.officer)) == sorted([pw.a.number, pw.c.number])
    assert numbers(portfolio(pw.other_officer)) == [pw.b.number]
    assert numbers(portfolio(pw.all_officer)) == numbers(portfolio(pw.finance))


def test_finance_sees_every_project_and_auditors_none(pw):
    assert len(portfolio(pw.finance).rows) == 3
    with pytest.raises(PermissionDenied):
        portfolio(pw.auditor)  # the auditor reads the audit log only


def test_an_officer_of_another_programme_does_not_see_its_totals(pw):
    p = portfolio(pw.other_officer)
    assert (p.totals.projects, p.totals.granted) == (1, 300_000)
    assert [k for k, _ in p.options["programme"]] == ["2"]


@pytest.mark.parametrize("who", ["applicant", "org_admin", "recommender", "expert"])
def test_others_may_not_see_the_portfolio(pw, who):
    with pytest.raises(PermissionDenied):
        portfolio(getattr(pw, who))


# --------------------------------------------------------------------------- risks as the clock moves


def codes(p, project) -> list[str]:
    return [f.code for f in row_of(p, project).flags]


def test_nothing_is_late_today(pw):
    p = portfolio(pw.finance)
    assert p.at_risk == []
    assert p.totals.at_risk == 0


def test_a_milestone_missed_with_no_report_covering_it(pw):
    first = Milestone.objects.filter(project=pw.b).order_by("due_on").first()
    p = portfolio(pw.finance, now=at(first.due_on + dt.timedelta(days=1)))
    flag = next(f for f in row_of(p, pw.b).flags if f.code == "milestone_missed")
    assert (flag.due_on, flag.detail) == (first.due_on, first.title)
    assert "milestone_missed" not in codes(p, pw.a)  # a's mid-term report covers it


def test_the_last_milestone_is_left_to_the_final_reports_deadline(pw):
    last = Milestone.objects.filter(project=pw.b).order_by("due_on").last()
    assert last.due_on == pw.b.ends_on
    p = portfolio(pw.finance, now=at(pw.b.ends_on + dt.timedelta(days=30)))
    assert [f.due_on for f in row_of(p, pw.b).flags if f.code == "milestone_missed"] == [
        m.due_on for m in Milestone.objects.filter(project=pw.b, due_on__lt=pw.b.ends_on)
    ]


def test_the_mid_term_report_is_overdue_the_day_after_it_is_due(pw):
    due = midterm_due(pw.b)
    assert "midterm_overdue" not in codes(portfolio(pw.finance, now=at(due)), pw.b)
    p = portfolio(pw.finance, now=at(due + dt.timedelta(days=1)))
    assert "midterm_overdue" in codes(p, pw.b)
    assert "midterm_overdue" not in codes(p, pw.a)  # submitted
    assert codes(p, pw.c) == []  # not signed: no deadlines run


def test_the_calls_settings_say_whether_a_mid_term_check_is_needed(pw):
    ProjectCallSettings.objects.create(call=pw.call, midterm_min_amount=10**9, midterm_min_months=36)
    p = portfolio(pw.finance, now=at(midterm_due(pw.b) + dt.timedelta(days=1)))
    assert "midterm_overdue" not in codes(p, pw.b)


def test_a_mid_term_rectification_not_resubmitted_is_overdue(pw):
    by = timezone.localdate() + dt.timedelta(days=60)
    Report.objects.filter(pk=pw.report.pk).update(state=Report.State.CHECKED, outcome=Report.Outcome.RECTIFY, rectify_by=by)
    assert "midterm_overdue" not in codes(portfolio(pw.finance, now=at(by)), pw.a)
    flag = next(f for f in row_of(portfolio(pw.finance, now=at(by + dt.timedelta(days=1))), pw.a).flags if f.code == "midterm_overdue")
    assert flag.due_on == by


def test_final_report_and_acceptance_overdue_after_the_end(pw):
    post = rules.postaward()
    final_due = rules.final_report_due(pw.a.ends_on, post.final_report_months)
    acceptance_due = rules.acceptance_due(pw.a.ends_on, post.acceptance_within_months)
    assert "final_overdue" not in codes(portfolio(pw.finance, now=at(final_due)), pw.a)
    late = portfolio(pw.finance, now=at(final_due + dt.timedelta(days=1)))
    assert "final_overdue" in codes(late, pw.a)
    assert "acceptance_overdue" not in codes(late, pw.a)
    later = portfolio(pw.finance, now=at(acceptance_due + dt.timedelta(days=1)))
    assert codes(later, pw.a) == ["final_overdue", "acceptance_overdue"]
    assert later.totals.at_risk == 2  # a and b; c is not signed


def test_a_project_in_acceptance_is_late_only_on_acceptance(pw):
    Project.objects.filter(pk=pw.a.pk).update(state="acceptance")
    Report.objects.create(
        project=pw.a, kind=Report.Kind.FINAL, due_on=pw.a.ends_on, state=Report.State.SUBMITTED, submitted_at=timezone.now()
    )
    acceptance_due = rules.acceptance_due(pw.a.ends_on, rules.postaward().acceptance_within_months)
    assert codes(portfolio(pw.finance, now=at(acceptance_due + dt.timedelta(days=1))), pw.a) == ["acceptance_overdue"]


def test_a_closed_project_is_never_late(pw):
    Project.objects.filter(pk=pw.a.pk).update(state="closed", accepted_at=timezone.now())
    assert codes(portfolio(pw.finance, now=at(pw.a.ends_on + dt.timedelta(days=3650))), pw.a) == []


# --------------------------------------------------------------------------- a few queries, whatever the number of projects


def _queries(viewer, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        portfolio(viewer, params)
    return len(ctx.captured_queries)


def test_the_portfolio_costs_the_same_queries_for_one_project_as_for_all(pw, django_assert_max_num_queries):
    portfolio(pw.finance)  # warm: the user's roles and the compiled guide
    one, every = _queries(pw.finance, {"programme": "2"}), _queries(pw.finance, {})
    assert one == every, (one, every)
    with django_assert_max_num_queries(12):
        portfolio(pw.finance, now=at(pw.a.ends_on + dt.timedelta(days=400)))


# --------------------------------------------------------------------------- the workbook


def _sheet_rows(ws):
    values = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    return [r for r in values if r[0] != "合计"], next((r for r in values if r[0] == "合计"), None)


def test_the_workbook_has_one_sheet_per_table_whose_totals_are_its_rows(pw):
    wb = openpyxl.load_workbook(io.BytesIO(portfolio_xlsx(pw.finance, now=at(pw.a.ends_on + dt.timedelta(days=400)))))
    assert wb.sheetnames == ["项目", "按专项", "按方向", "按区县", "按年度", "指标完成", "风险项目"]
    rows, total = _sheet_rows(wb["项目"])
    assert len(rows) == 3
    for col in range(9, 16):  # indicators, completed, rate, money
        if col == 11:
            continue
        assert total[col] == sum(r[col] for r in rows)
    for name in ("按专项", "按方向", "按区县", "按年度"):
        rows, total = _sheet_rows(wb[name])
        for col in (2, 3, 4, 6, 7, 8, 9, 10):
            assert total[col] == sum(r[col] for r in rows), (name, col)
    facts, _none = _sheet_rows(wb["指标完成"])
    revenue = next(r for r in facts if r[0] == "kpi_new_revenue")
    assert (revenue[5], revenue[6]) == (110_000_000, 30_000_000)
    risks, total = _sheet_rows(wb["风险项目"])
    assert total[4] == f"{len(risks)} 条"
    assert {r[0] for r in risks} == {pw.a.number, pw.b.number}


def test_the_workbook_shows_only_what_the_reader_may_see(pw):
    wb = openpyxl.load_workbook(io.BytesIO(portfolio_xlsx(pw.other_officer)))
    rows, _total = _sheet_rows(wb["项目"])
    assert [r[1] for r in rows] == [pw.b.number]


def test_a_formula_like_title_stays_text_in_the_workbook(pw):
    Project.objects.filter(pk=pw.c.pk).update(title='=HYPERLINK("http://example.com","x")')
    ws = openpyxl.load_workbook(io.BytesIO(portfolio_xlsx(pw.finance)))["项目"]
    cell = next(r[2] for r in ws.iter_rows(min_row=3) if r[1].value == pw.c.number)
    assert (cell.data_type, cell.quotePrefix) == ("s", True)
