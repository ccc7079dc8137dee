"""The 申报书 of a 前资助 application: the period within the call's limits, the leader's phone,
the budget lines adding up (a line that does not is named by its label), the team from the
organisation's people, the 合作单位 checked by their 统一社会信用代码 with their shares; what a
submission needs; a 后补助 claim's quote kept for the lists."""

from __future__ import annotations

import datetime as dt

import pytest

from yongke.applications import services as svc
from yongke.applications.models import BudgetLine, Partner, TeamMember
from yongke.core.errors import BadInput, Refused
from yongke.orgs.validators import uscc_with_check
from yongke.testing import ELIGIBLE, advance, build_world, make_application, make_call, make_person

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 1)


@pytest.fixture
def world():
    return build_world(directions=["1.1", "38.1", "35.1", "34.1"])


def draft(world, **kwargs):
    """A 1.1 draft of 100万 requested and 50万 self-raised, its 申报书 left empty."""
    return make_application(
        call=world.call,
        org=world.org,
        user=world.applicant,
        requested_amount=1_000_000,
        self_raised_amount=500_000,
        complete=False,
        **kwargs,
    )


def edit(world, app, **changes):
    app.refresh_from_db()
    return svc.application_update(actor=world.applicant, application=app, lock_version=app.lock_version, changes=changes)


BALANCED = [
    {"category": "equipment", "fiscal": 600_000, "self_raised": 200_000, "basis": "检测设备2台"},
    {"category": "labour", "fiscal": 400_000, "self_raised": 300_000},
]


# --------------------------------------------------------------------------- period


def test_the_period_is_stored(world):
    app = edit(world, draft(world), starts_on=START, ends_on=dt.date(2027, 12, 31))
    assert (app.starts_on, app.ends_on) == (START, dt.date(2027, 12, 31))


def test_an_end_before_the_start_is_refused(world):
    with pytest.raises(BadInput) as e:
        edit(world, draft(world), starts_on=START, ends_on=dt.date(2025, 12, 31))
    assert "项目结束日期须晚于开始日期" in e.value.message


@pytest.mark.parametrize(("ends_on", "accepted"), [(dt.date(2028, 12, 31), True), (dt.date(2029, 1, 1), False)])
def test_the_period_is_at_most_three_years_by_default(world, ends_on, accepted):
    app = draft(world)
    if accepted:
        assert edit(world, app, starts_on=START, ends_on=ends_on).ends_on == ends_on
    else:
        with pytest.raises(BadInput) as e:
            edit(world, app, starts_on=START, ends_on=ends_on)
        assert "不能超过 36 个月" in e.value.message
        assert "2028-12-31" in e.value.message


def test_a_call_sets_its_own_limits(world):
    call = make_call(directions=["1.1"])
    call.max_period_months, call.period_ends_by = 12, dt.date(2026, 10, 31)
    call.save()
    app = make_application(call=call, org=world.org, user=world.applicant, complete=False)
    with pytest.raises(BadInput, match="不能超过 12 个月"):
        edit(world, app, starts_on=START, ends_on=dt.date(2027, 1, 1))
    with pytest.raises(BadInput, match="不能晚于 2026-10-31"):
        edit(world, app, starts_on=START, ends_on=dt.date(2026, 11, 30))


def test_one_date_alone_is_refused(world):
    with pytest.raises(BadInput) as e:
        edit(world, draft(world), starts_on=START)
    assert e.value.detail["field"] == "ends_on"


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    ("typed", "stored"), [("138 0013 8000", "13800138000"), ("+86 13800138000", "13800138000"), ("0771-5551234", "0771-5551234")]
)
def test_a_phone_is_stored_as_people_dial_it(world, typed, stored):
    assert edit(world, draft(world), leader_phone=typed).leader_phone == stored


@pytest.mark.parametrize("typed", ["12345", "23800138000", "138001380001", "电话"])
def test_a_phone_that_is_not_one_is_refused(world, typed):
    with pytest.raises(BadInput) as e:
        edit(world, draft(world), leader_phone=typed)
    assert "联系电话格式不正确" in e.value.message


# --------------------------------------------------------------------------- budget


def test_a_budget_that_adds_up_is_stored_in_the_tables_order(world):
    app = edit(world, draft(world), budget=list(reversed(BALANCED)))
    lines = list(BudgetLine.objects.filter(application=app).order_by("id"))
    assert [(b.category, b.fiscal, b.self_raised, b.total) for b in lines] == [
        ("equipment", 600_000, 200_000, 800_000),
        ("labour", 400_000, 300_000, 700_000),
    ]
    assert lines[0].basis == "检测设备2台"


def test_a_line_whose_total_does_not_add_up_is_refused_by_its_label(world):
    budget = [{**BALANCED[0], "total": 900_000}, BALANCED[1]]
    with pytest.raises(BadInput) as e:
        edit(world, draft(world), budget=budget)
    assert "经费预算「设备费」不平衡" in e.value.message
    assert "900,000 元" in e.value.message
    assert e.value.detail["field"] == "budget.equipment.total"
    assert not BudgetLine.objects.exists()


def test_fiscal_lines_that_miss_the_requested_amount_are_refused_at_the_total_line(world):
    budget = [{**BALANCED[0], "fiscal": 500_000}, BALANCED[1]]
    with pytest.raises(BadInput) as e:
        edit(world, draft(world), budget=budget)
    assert "经费预算「合计」的财政资助 900,000 元，与申请财政资助 1,000,000 元不一致" in e.value.message


def test_self_raised_lines_must_equal_the_self_raised_amount(world):
    with pytest.raises(BadInput, match="「合计」的自筹经费 500,000 元，与自筹经费 400,000 元不一致"):
        edit(world, draft(world), budget=BALANCED, self_raised_amount=400_000)


def test_an_amount_changed_under_a_budget_is_checked_against_it_at_submission(world):
    app = edit(
        world,
        draft(world),
        budget=BALANCED,
        leader=make_person(world.org),
        leader_phone="13800138000",
        starts_on=START,
        ends_on=dt.date(2027, 12, 31),
    )
    app = edit(world, app, requested_amount=1_200_000)  # a draft may be saved half done
    with pytest.raises(BadInput, match="与申请财政资助 1,200,000 元不一致"):
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    app.refresh_from_db()
    assert app.state == "draft"


def test_a_category_outside_the_standard_ones_is_refused(world):
    with pytest.raises(BadInput, match="不是标准科目"):
        edit(world, draft(world), budget=[{"category": "banquets", "fiscal": 1_000_000, "self_raised": 500_000}])


def test_a_category_given_twice_is_refused_by_its_label(world):
    budget = [*BALANCED, {"category": "labour", "fiscal": 0, "self_raised": 0, "basis": "x"}]
    with pytest.raises(BadInput, match="「劳务费」重复"):
        edit(world, draft(world), budget=budget)


def test_a_negative_line_is_refused_by_its_label(world):
    with pytest.raises(BadInput, match="「材料费」的财政资助应为非负整数"):
        edit(world, draft(world), budget=[{"category": "materials", "fiscal": -1, "self_raised": 0}])


def test_the_guides_matching_fund_rule_still_applies_to_a_budget_that_adds_up(world):
    # 38.1: 自筹经费不低于申报支持额度1倍; the budget adds up, the rule refuses the submission.
    facts = {k: v for k, v in ELIGIBLE_38.items() if k not in ("requested_amount", "self_raised_amount")}
    app = make_application(
        call=world.call,
        org=world.org,
        user=world.applicant,
        direction="38.1",
        facts=facts,
        requested_amount=300_000,
        self_raised_amount=200_000,
    )
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert e.value.code == "not_eligible"
    assert "38:self_raised" in e.value.detail["failing"]


ELIGIBLE_38 = {
    "city_level_or_above_platform": True,
    "kpi_roadshows_per_year": 3,
    "kpi_investor_guests_per_roadshow": 5,
    "kpi_invite_chain_talent_media": True,
    "investment_institution_co_applicant": True,
    "kpi_investment_cooperation": True,
    "kpi_host_and_organiser_as_required": True,
    "roadshow_plan_lead_days": 15,
    "roadshow_activity_name": "‘邕城创客行’2022年南宁市科技创新创业路演活动第1期（生物医药行业专场）",
    "roadshow_matchmaking_experience": True,
    "intended_roadshow_projects": True,
}


# --------------------------------------------------------------------------- team and leader


def test_the_team_is_stored_with_roles_and_months(world):
    a, b = make_person(world.org, name="王五"), make_person(world.org, name="赵六")
    app = edit(world, draft(world), team=[{"person": a, "role": "算法研发", "months": 24}, {"person": b, "role": "测试"}])
    assert list(TeamMember.objects.filter(application=app).values_list("person__name", "role", "months")) == [
        ("王五", "算法研发", 24),
        ("赵六", "测试", None),
    ]


def test_a_team_member_of_another_organisation_is_refused(world):
    outsider = make_person(world.other_org, name="外单位人员")
    with pytest.raises(BadInput, match="外单位人员不是本单位或合作单位登记的人员"):
        edit(world, draft(world), team=[{"person": outsider, "role": "顾问"}])


def test_a_partners_registered_person_may_be_on_the_team(world):
    member = make_person(world.other_org, name="合作单位人员")
    partner = {"uscc": world.other_org.uscc, "name": world.other_org.name, "tasks": "测试验证", "budget": 100_000}
    app = edit(world, draft(world), partners=[partner], team=[{"person": member, "role": "测试验证"}])
    assert app.team.get().person == member


def test_the_leader_is_not_listed_again_in_the_team(world):
    leader = make_person(world.org)
    app = edit(world, draft(world), leader=leader)
    with pytest.raises(BadInput, match="是项目负责人"):
        edit(world, app, team=[{"person": leader, "role": "负责人"}])


def test_a_leader_of_another_organisation_is_refused(world):
    with pytest.raises(BadInput, match="不是本单位登记的人员"):
        edit(world, draft(world), leader=make_person(world.other_org))


# --------------------------------------------------------------------------- partners


def test_a_partner_is_checked_and_linked_to_the_registry(world):
    unregistered = uscc_with_check("91450100MA5N00001")
    partners = [
        {"uscc": world.other_org.uscc.lower(), "name": "西乡塘合作方", "tasks": "样机制造", "budget": 200_000},
        {"uscc": unregistered, "name": "未入库的合作方", "tasks": "检测", "budget": 100_000},
    ]
    app = edit(world, draft(world), partners=partners)
    rows = list(Partner.objects.filter(application=app).order_by("order"))
    assert [(p.uscc, p.organisation_id, p.budget) for p in rows] == [
        (world.other_org.uscc, world.other_org.pk, 200_000),
        (unregistered, None, 100_000),
    ]


def test_a_partner_with_a_wrong_code_is_refused_with_the_reason(world):
    code = uscc_with_check("91450100MA5N00002")
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(BadInput) as e:
        edit(world, draft(world), partners=[{"uscc": wrong, "name": "甲公司"}])
    assert "合作单位第 1 行（甲公司）：统一社会信用代码无效，校验码错误" in e.value.message


def test_the_applicant_is_not_its_own_partner(world):
    with pytest.raises(BadInput, match="申报单位本身不是合作单位"):
        edit(world, draft(world), partners=[{"uscc": world.org.uscc, "name": world.org.name}])


def test_partner_shares_above_the_whole_budget_are_refused(world):
    partner = {"uscc": world.other_org.uscc, "name": "乙", "budget": 1_500_001}
    with pytest.raises(BadInput, match="超过项目总经费 1,500,000 元"):
        edit(world, draft(world), partners=[partner])


# --------------------------------------------------------------------------- what a submission needs


@pytest.mark.parametrize(
    ("missing", "said"),
    [("leader", "请指定项目负责人"), ("leader_phone", "联系电话"), ("starts_on", "项目实施期"), ("budget", "经费预算明细")],
)
def test_a_pre_funded_submission_needs_the_whole_form(world, missing, said):
    complete = {
        "leader": make_person(world.org),
        "leader_phone": "13800138000",
        "starts_on": START,
        "ends_on": dt.date(2027, 12, 31),
        "budget": BALANCED,
    }
    given = {k: v for k, v in complete.items() if k != missing and not (missing == "starts_on" and k == "ends_on")}
    app = edit(world, draft(world), **given)
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert e.value.code == "incomplete"
    assert said in e.value.message
    app.refresh_from_db()
    assert app.state == "draft"


def test_the_complete_form_is_submitted(world):
    app = edit(
        world,
        draft(world),
        leader=make_person(world.org),
        leader_phone="13800138000",
        starts_on=START,
        ends_on=dt.date(2027, 12, 31),
        budget=BALANCED,
    )
    app, _ = svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert app.state == "submitted"


def test_the_one_leader_limit_still_holds(world):
    leader = make_person(world.org)
    a = make_application(call=world.call, org=world.org, user=world.applicant, leader=leader)
    b = make_application(call=world.call, org=world.org, user=world.applicant, leader=leader)
    svc.application_transition(actor=world.applicant, application=a, action="submit")
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=b, action="submit")
    assert e.value.code == "leader_limit"


# --------------------------------------------------------------------------- 后补助


def test_a_claim_asks_for_no_form_and_keeps_its_quote(world):
    app = make_application(
        call=world.call, org=world.org, user=world.applicant, direction="35.1", facts=ELIGIBLE["35.1"], requested_amount=0
    )
    app.refresh_from_db()
    assert app.quoted_amount == 300_000  # 35.1: 在自治区60万元奖励基础上，给予配套30万元
    assert app.listed_amount == 300_000
    app, _ = svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert app.state == "claimed"


def test_a_claim_that_cannot_be_quoted_yet_lists_no_amount(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="34.1", facts={}, requested_amount=0)
    app.refresh_from_db()
    assert (app.quoted_amount, app.listed_amount) == (None, None)


def test_a_checked_claim_lists_its_decided_amount(world):
    app = make_application(
        call=world.call, org=world.org, user=world.applicant, direction="35.1", facts=ELIGIBLE["35.1"], requested_amount=0
    )
    app = advance(app, world, "submit", "check", amount=250_000)
    assert app.listed_amount == 250_000


def test_the_quote_follows_an_edit_of_the_claims_facts(world):
    app = make_application(
        call=world.call, org=world.org, user=world.applicant, direction="35.1", facts=ELIGIBLE["35.1"], requested_amount=0
    )
    app = edit(world, app, facts={"county_research_award_received": False})
    app.refresh_from_db()
    assert app.quoted_amount is None
