"""The officer draws up the 任务书 within the application's promises: targets never below the
promise or the guide's threshold, indicators added never removed, every edit audited with its
before and after, nothing written when a section is refused."""

from __future__ import annotations

import pytest

from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, Conflict, PermissionDenied, Refused
from yongke.projects import services as svc
from yongke.projects.models import Indicator
from yongke.projects.tests.helpers import fresh, opened, sent
from yongke.testing import build_world

pytestmark = pytest.mark.django_db

PATENTS = "kpi_invention_patent_applications"  # promised 3 in the world's eligible facts
GRANTS = "kpi_ip_grants"
REVENUE = "kpi_new_revenue"  # promised 50,000,000; the guide asks 50,000,000 or more


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def project(world):
    return opened(world)


def _edit(world, project, **changes):
    return svc.task_book_update(actor=world.officer, project=project, lock_version=fresh(project).lock_version, changes=changes)


def _ip(project) -> Indicator:
    return project.indicators.get(rule_id="1:ip")


def test_a_target_below_the_promise_is_refused_naming_the_fact_and_the_clause(world, project):
    with pytest.raises(Refused) as e:
        _edit(world, project, indicators={"1:ip": {PATENTS: 2}})
    assert e.value.code == "target_below_promise"
    assert "承诺申请发明专利数" in e.value.message
    assert _ip(project).clause in e.value.message
    assert _ip(project).targets[PATENTS] == 3
    assert fresh(project).lock_version == project.lock_version


def test_a_target_at_the_promise_that_fails_the_guide_is_refused_with_its_clause(world, project):
    revenue = project.indicators.get(rule_id="1:revenue")
    revenue.promised = {REVENUE: 40_000_000}  # a promise the guide's threshold would not have taken
    revenue.save()
    with pytest.raises(Refused) as e:
        _edit(world, project, indicators={"1:revenue": {REVENUE: 45_000_000}})
    assert e.value.code == "target_below_guide"
    assert revenue.clause in e.value.message
    assert project.indicators.get(rule_id="1:revenue").targets[REVENUE] == 50_000_000


def test_raising_a_target_is_kept_and_audited_with_before_and_after(world, project):
    _edit(world, project, indicators={"1:ip": {PATENTS: 5}})
    assert _ip(project).targets[PATENTS] == 5
    assert _ip(project).promised[PATENTS] == 3
    event = AuditEvent.objects.get(target_type="project", target_id=str(project.pk), action="task_book_update")
    (change,) = event.data["changes"]
    assert change["section"] == "indicators"
    before = next(t for i in change["before"] if i["rule"] == "1:ip" for t in i["targets"] if t["fact"] == PATENTS)
    after = next(t for i in change["after"] if i["rule"] == "1:ip" for t in i["targets"] if t["fact"] == PATENTS)
    assert (before["target"], after["target"]) == (3, 5)


def test_setting_one_target_keeps_the_others_as_they_were_raised(world, project):
    _edit(world, project, indicators={"1:ip": {PATENTS: 5}})
    _edit(world, project, indicators={"1:ip": {GRANTS: 7}})
    assert _ip(project).targets == {PATENTS: 5, GRANTS: 7, "kpi_region_platform": None}


def test_a_fact_the_indicator_does_not_read_is_refused(world, project):
    with pytest.raises(BadInput) as e:
        _edit(world, project, indicators={"1:ip": {REVENUE: 1}})
    assert e.value.detail["field"] == f"indicators.1:ip.{REVENUE}"


def test_an_extra_indicator_is_added_and_kept(world, project):
    _edit(world, project, extra_indicators=[{"label": "培养研究生", "unit": "名", "target_value": 2}])
    extra = project.indicators.get(source="extra")
    assert (extra.label, extra.unit, str(extra.target_value)) == ("培养研究生", "名", "2.00")
    _edit(world, project, extra_indicators=[{"id": extra.pk, "label": "培养研究生", "unit": "名", "target_value": 3}, {"label": "论文"}])
    assert project.indicators.filter(source="extra").count() == 2


def test_an_extra_indicator_may_not_be_removed(world, project):
    _edit(world, project, extra_indicators=[{"label": "培养研究生"}])
    with pytest.raises(Refused) as e:
        _edit(world, project, extra_indicators=[])
    assert e.value.code == "indicator_removed"
    assert project.indicators.filter(source="extra").count() == 1


def test_a_budget_not_adding_up_to_the_approved_amount_is_refused(world, project):
    with pytest.raises(BadInput) as e:
        _edit(world, project, budget=[{"category": "equipment", "fiscal": 499_999, "self_raised": 0}])
    assert e.value.detail["field"] == "budget.total.fiscal"
    assert sum(b.fiscal for b in project.budget_lines.all()) == 500_000


def test_a_stage_outside_the_period_is_refused(world, project):
    with pytest.raises(BadInput) as e:
        _edit(world, project, milestones=[{"due_on": project.ends_on.replace(year=project.ends_on.year + 1).isoformat(), "title": "晚了"}])
    assert e.value.detail["field"] == "milestones[0].due_on"


def test_a_stage_target_above_the_final_target_is_refused(world, project):
    with pytest.raises(BadInput) as e:
        _edit(world, project, milestones=[{"due_on": project.ends_on.isoformat(), "title": "全部", "targets": {PATENTS: 4}}])
    assert e.value.detail["field"] == f"milestones[0].targets.{PATENTS}"


def test_a_refused_section_writes_none_of_the_others(world, project):
    with pytest.raises(Refused):
        _edit(world, project, title="改过的名称", indicators={"1:ip": {PATENTS: 1}})
    assert fresh(project).title == project.title


def test_an_edit_on_a_stale_version_is_a_conflict(world, project):
    _edit(world, project, title="第一次")
    with pytest.raises(Conflict):
        svc.task_book_update(actor=world.officer, project=project, lock_version=project.lock_version, changes={"title": "第二次"})
    assert fresh(project).title == "第一次"


def test_the_task_book_is_not_edited_once_sent(world, project):
    sent(world, project)
    with pytest.raises(Refused) as e:
        _edit(world, project, title="发出后")
    assert e.value.code == "not_editable"


def test_an_officer_of_another_programme_may_not_edit(world, project):
    with pytest.raises(PermissionDenied):
        svc.task_book_update(actor=world.other_officer, project=project, lock_version=None, changes={"title": "x"})


def test_an_unknown_section_is_refused_by_name(world, project):
    with pytest.raises(BadInput) as e:
        _edit(world, project, approved_amount=1)
    assert e.value.detail["field"] == "approved_amount"
