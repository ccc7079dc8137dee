"""立项 opens the project and drafts its 任务书 from the 申报书: one 考核指标 per commitment rule of
the direction, targets at the application's promises, the budget at the approved amount, a stage
a year, the partners and team, the call's payment plan."""

from __future__ import annotations

from collections import Counter

import pytest

from yongke.applications.models import Application
from yongke.applications.services import application_check, application_stated_facts
from yongke.audit.models import AuditEvent
from yongke.guide.selectors import compiled_for
from yongke.projects import services as svc
from yongke.projects.models import Indicator, Project
from yongke.projects.tests.helpers import opened
from yongke.testing import build_world, complete_proposal, make_application, make_person, make_user

pytestmark = pytest.mark.django_db

PROMISES = ("int", "number", "money", "percent", "area", "bool")  # the kinds of value a unit can promise


@pytest.fixture
def world():
    return build_world()


def _priority_promises_met(compiled, direction: str, stated: dict) -> set[str]:
    """The priority rules of the direction that read a kpi_* promise and that the stated values meet."""
    from yongke.guide.engine import evaluate_rule

    env = {**compiled.parameters, **{k: v for k, v in stated.items() if v is not None}}
    return {
        cr.rule.id
        for cr in compiled.rules_of(direction)
        if cr.rule.kind == "priority" and any(n.startswith("kpi_") for n in cr.names) and evaluate_rule(cr, env)[0] == "pass"
    }


def _eligible_case(direction) -> dict:
    return dict(next(c for c in direction.cases if c.verdict == "eligible").facts)


def _contracted(world, direction: str, facts: dict) -> Application:
    """An application to `direction` with `facts`, put straight into 已立项 at its requested amount
    (the steps before it are the applications' own tests; here only what 立项 makes of it counts)."""
    requested = facts.get("requested_amount", 1_000_000)
    own = facts.get("self_raised_amount", 0)
    proposal = complete_proposal(world.call, direction, world.org, requested_amount=requested, self_raised_amount=own)
    app = make_application(
        call=world.call,
        org=world.org,
        direction=direction,
        facts=facts,
        requested_amount=requested,
        self_raised_amount=own,
        complete=False,
        **proposal,
    )
    Application.objects.filter(pk=app.pk).update(state="contracted", decided_amount=requested)
    return Application.objects.get(pk=app.pk)


def test_every_commitment_rule_of_every_direction_becomes_one_indicator_at_the_promise(world):
    officer = make_user("officer", programme="*")
    compiled = compiled_for(world.version)
    guide = compiled.guide
    checked = 0
    for d in guide.directions:
        commitments = [r for r in d.rules if r.kind == "commitment"]
        if not commitments:
            continue
        app = _contracted(world, d.id, _eligible_case(d))
        assert application_check(app)["verdict"] == "eligible", d.id
        stated = application_stated_facts(app)
        project = svc.project_open(actor=officer, application=app)

        rows = list(project.indicators.filter(source=Indicator.Source.COMMITMENT))
        # and each 优先支持 promise the application made (a priority rule on kpi_* facts it meets)
        promised = [r for r in d.rules if r.kind == "priority" and r.id in _priority_promises_met(compiled, d.id, stated)]
        assert Counter(i.rule_id for i in rows) == Counter(r.id for r in [*commitments, *promised]), d.id
        reads = {cr.rule.id: cr.names for cr in compiled.rules_of(d.id)}
        for ind in rows:
            rule = next(r for r in [*commitments, *promised] if r.id == ind.rule_id)
            assert ind.clause == rule.source, (d.id, rule.id)
            assert ind.label == rule.message
            for name, value in ind.targets.items():
                fact = guide.facts[name]
                assert name in reads[rule.id]
                assert fact.about == "application"
                assert fact.type in PROMISES, (d.id, name)
                assert value == stated.get(name), (d.id, rule.id, name)
            assert ind.promised == ind.targets
            stated_read = {n for n in reads[rule.id] if n in stated and n in guide.facts}
            assert stated_read <= set(ind.targets) | set(ind.context) | {"requested_amount", "self_raised_amount"}, (d.id, rule.id)

        sent = svc.project_transition(actor=officer, project=project, action="send")  # the completeness guard passes
        assert sent.state == "signing", d.id
        checked += 1
    assert checked >= 40  # the bundled guide's 前资助 directions with commitments


def test_contract_opens_the_project_in_the_same_step(world):
    project = opened(world)
    assert project.state == "drafting"
    assert project.application.state == "contracted"
    assert project.approved_amount == project.application.decided_amount == 500_000
    assert AuditEvent.objects.filter(target_type="project", target_id=str(project.pk), action="project_open").exists()


def test_opening_again_returns_the_same_project(world):
    project = opened(world)
    again = svc.project_open(actor=world.officer, application=project.application)
    assert again.pk == project.pk
    assert Project.objects.filter(application=project.application).count() == 1


def test_only_a_contracted_application_is_opened(world):
    app = make_application(call=world.call, org=world.org)
    with pytest.raises(svc.Refused) as e:
        svc.project_open(actor=world.officer, application=app)
    assert e.value.code == "bad_state"
    assert not Project.objects.exists()


def test_the_budget_is_the_applications_with_its_fiscal_part_scaled_to_the_approved_amount(world):
    budget = [
        {"category": "equipment", "fiscal": 600_000, "self_raised": 100_000, "basis": "设备"},
        {"category": "materials", "fiscal": 300_001, "self_raised": 0, "basis": "材料"},
        {"category": "testing", "fiscal": 99_999, "self_raised": 0, "basis": "测试"},
    ]
    project = opened(world, amount=777_777, requested_amount=1_000_000, self_raised_amount=100_000, budget=budget)
    lines = {b.category: (b.fiscal, b.self_raised, b.basis) for b in project.budget_lines.all()}
    # 466,666.2 + 233,333.88 + 77,776.92: the two yuan left over go to the largest remainders.
    assert lines == {"equipment": (466_666, 100_000, "设备"), "materials": (233_334, 0, "材料"), "testing": (77_777, 0, "测试")}


def test_the_default_plan_pays_seventy_percent_on_signing_and_the_rest_on_acceptance(world):
    project = opened(world, amount=333_333)
    plan = [(t.amount, t.condition) for t in project.tranches.all()]
    assert plan == [(233_333, "signing"), (100_000, "acceptance")]


def test_a_stage_is_planned_for_each_year_and_the_last_at_the_end_date(world):
    project = opened(world)
    stages = list(project.milestones.all())
    assert [m.due_on.year for m in stages] == list(range(project.starts_on.year, project.ends_on.year + 1))
    assert stages[-1].due_on == project.ends_on


def test_the_partners_and_the_team_become_parties(world):
    member = make_person(world.org)
    partners = [{"uscc": world.other_org.uscc, "name": world.other_org.name, "tasks": "样机试验", "budget": 100_000}]
    project = opened(world, partners=partners, team=[(member, "技术骨干")])
    assert [(p.kind, p.name, p.budget) for p in project.parties.filter(kind="partner")] == [("partner", world.other_org.name, 100_000)]
    assert [(p.person_id, p.role) for p in project.parties.filter(kind="member")] == [(member.pk, "技术骨干")]


def test_the_matching_fund_rule_is_checked_again_at_the_approved_amount(world):
    officer = make_user("officer", programme="*")
    compiled = compiled_for(world.version)
    direction = next(
        d
        for d in compiled.guide.directions
        if d.project.funding == "pre"
        and any(cr.gating and "self_raised_amount" in cr.names and cr.rule.kind != "commitment" for cr in compiled.rules_of(d.id))
        and "self_raised_amount" in _eligible_case(d)
    )
    facts = _eligible_case(direction)
    app = _contracted(world, direction.id, facts)
    project = svc.project_open(actor=officer, application=app)
    assert svc._task_book_problems(project) == []
    # The unit's own money cut to nothing: the matching rule fails at the approved amount, and sending is refused.
    lines = [{"category": b.category, "fiscal": b.fiscal, "self_raised": 0} for b in project.budget_lines.all()]
    project = svc.task_book_update(actor=officer, project=project, lock_version=project.lock_version, changes={"budget": lines})
    with pytest.raises(svc.Refused) as e:
        svc.project_transition(actor=officer, project=project, action="send")
    assert e.value.code == "task_book_incomplete"
    assert any("按立项金额复核" in p for p in e.value.detail["problems"])


def test_a_promise_that_earned_priority_is_a_kpi_of_the_task_book_and_checked_at_acceptance(world):
    # 17.1 (3): 优先支持能形成地方标准以上（含地方标准）或申请发明专利为考核指标的申报课题.
    from yongke.projects import taskbook
    from yongke.projects.verification import check_indicator

    officer = make_user("officer", programme="*")
    compiled = compiled_for(world.version)
    d = compiled.guide.direction("17.1")
    rule = "17.1:standard_or_patent"
    promised = _contracted(world, "17.1", {**_eligible_case(d), "kpi_local_standard": True})
    project = svc.project_open(actor=officer, application=promised)
    ind = project.indicators.get(source=Indicator.Source.COMMITMENT, rule_id=rule)
    assert ind.targets["kpi_local_standard"] is True
    assert ind.clause == "（3）优先支持能形成地方标准以上（含地方标准）或申请发明专利为考核指标的申报课题；"
    cr = next(c for c in taskbook.indicator_rules(compiled, "17.1") if c.rule.id == rule)
    assert check_indicator(compiled, cr, targets=ind.targets, actuals={"kpi_local_standard": True}).result == "pass"
    assert check_indicator(compiled, cr, targets=ind.targets, actuals={"kpi_local_standard": False}).result == "fail"

    # Not promised, no indicator: the priority was not earned.
    case = {k: v for k, v in _eligible_case(d).items() if k not in ("kpi_local_standard", "kpi_industry_standard", "kpi_national_standard")}
    plain = _contracted(world, "17.1", {**case, "kpi_invention_patent_applications": 0})
    other = svc.project_open(actor=officer, application=plain)
    assert not other.indicators.filter(rule_id=rule).exists()
