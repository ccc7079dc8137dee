"""The demo data that `make run` shows. Idempotent: running it twice changes nothing.

A published guide, about twenty organisations across Nanning's districts and zones, a user
for every role, an open call, and applications in every state of both workflows — all made
through the same services as real use, so the audit log tells their story.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from yongke.accounts.actors import System
from yongke.accounts.services import user_add
from yongke.applications import services as apps
from yongke.applications.models import Application, Call
from yongke.core.directions import sort_directions
from yongke.core.workdays import period_from
from yongke.guide.selectors import compiled_for
from yongke.guide.services import guide_load
from yongke.orgs import services as orgs
from yongke.orgs.models import Organisation
from yongke.orgs.selectors import bank_account_of
from yongke.orgs.validators import id_with_check, uscc_with_check

DEMO_PASSWORD = "yongke-demo"
CALL_NAME = "2022年度南宁科技计划项目申报（演示批次）"
POST_CALL_NAME = "2022年度南宁科技计划后补助申领（演示批次）"

ORGS = [
    # name, kind, district, zone, attributes
    ("南宁市邕江新能源汽车有限公司", "enterprise", "450103", "", {"leading_enterprise": True, "above_scale": True}),
    ("广西青秀智能网联科技有限公司", "enterprise", "450103", "", {"hte_certified": True}),
    ("南宁高新电子信息股份有限公司", "enterprise", "450107", "GXQ", {"above_scale": True, "hte_certified": True}),
    ("广西铝业精深加工有限公司", "enterprise", "450110", "", {"above_scale": True}),
    ("南宁新材料科技有限公司", "enterprise", "450105", "JKQ", {}),
    ("横州林产品加工有限公司", "enterprise", "450181", "", {}),
    ("南宁壮乡食品有限公司", "enterprise", "450108", "", {"leading_enterprise": True}),
    ("广西东盟智能装备制造有限公司", "enterprise", "450108", "DMJKQ", {}),
    ("南宁邕药生物医药有限公司", "enterprise", "450107", "GXQ", {"hte_certified": True}),
    ("广西绿城节能环保科技有限公司", "enterprise", "450102", "", {}),
    ("广西南宁沃柑种业有限公司", "enterprise", "450110", "", {"in_nanning_agri_park": True}),
    ("南宁市产业技术研究院", "institute", "450103", "", {}),
    ("广西大学", "university", "450107", "", {}),
    ("南宁市第一人民医院", "hospital", "450102", "", {}),
    ("南宁灵长类实验动物有限公司", "enterprise", "450109", "", {"lab_animal_licence": True}),
    ("南宁高新区创业孵化基地", "incubator", "450107", "GXQ", {}),
    ("宾阳县农业科技合作社", "enterprise", "450126", "", {}),
    ("上林县科普教育中心", "institute", "450125", "", {}),
    ("南宁技术转移服务中心", "institute", "450103", "", {}),
    ("马山县创新创业团队（演示）", "team", "450124", "", {}),
]

PRE_STATES = [
    "draft",
    "submitted",
    "recommended",
    "not_recommended",
    "returned",
    "accepted",
    "refused",
    "expert_review",
    "funded",
    "not_funded",
    "published",
    "contracted",
    "withdrawn",
]
# The actions (actor role, action) that lead from draft to each state.
PATHS: dict[str, list[tuple[str, str]]] = {
    "draft": [],
    "submitted": [("applicant", "submit")],
    "recommended": [("applicant", "submit"), ("recommender", "recommend")],
    "not_recommended": [("applicant", "submit"), ("recommender", "not_recommend")],
    "returned": [("applicant", "submit"), ("recommender", "recommend"), ("officer", "return")],
    "accepted": [("applicant", "submit"), ("recommender", "recommend"), ("officer", "accept")],
    "refused": [("applicant", "submit"), ("recommender", "recommend"), ("officer", "refuse")],
    "expert_review": [("applicant", "submit"), ("recommender", "recommend"), ("officer", "accept"), ("officer", "start_review")],
    "funded": [
        ("applicant", "submit"),
        ("recommender", "recommend"),
        ("officer", "accept"),
        ("officer", "start_review"),
        ("officer", "fund"),
    ],
    "not_funded": [
        ("applicant", "submit"),
        ("recommender", "recommend"),
        ("officer", "accept"),
        ("officer", "start_review"),
        ("officer", "not_fund"),
    ],
    "published": [
        ("applicant", "submit"),
        ("recommender", "recommend"),
        ("officer", "accept"),
        ("officer", "start_review"),
        ("officer", "fund"),
        ("officer", "publish"),
    ],
    "contracted": [
        ("applicant", "submit"),
        ("recommender", "recommend"),
        ("officer", "accept"),
        ("officer", "start_review"),
        ("officer", "fund"),
        ("officer", "publish"),
        ("officer", "contract"),
    ],
    "withdrawn": [("applicant", "submit"), ("applicant", "withdraw")],
}
POST_PATHS: dict[str, list[tuple[str, str]]] = {
    "draft": [],
    "claimed": [("applicant", "submit")],
    "checked": [("applicant", "submit"), ("officer", "check")],
    "published": [("applicant", "submit"), ("officer", "check"), ("officer", "publish")],
    "paid": [("applicant", "submit"), ("officer", "check"), ("officer", "publish"), ("finance", "pay")],
    "refused": [("applicant", "submit"), ("officer", "refuse")],
}
# Direction for each demo application, in the order of PRE_STATES / POST_PATHS.
PRE_DIRECTIONS = ["1.1", "2.1", "4.1", "6.1", "14.1", "15.1", "16.1", "18.1", "1.2", "2.4", "15.2", "16.2", "20.4"]
POST_DIRECTIONS = ["24.1", "26.1", "33.1", "34.1", "35.1", "25.1"]

DEMO = System("demo")  # who sets up the demo: the registry, accounts, the expert pool


def _eligible_facts(version, direction: str) -> dict[str, Any]:
    d = compiled_for(version).guide.direction(direction)
    case = next(c for c in d.cases if c.verdict == "eligible")
    return dict(case.facts)


@transaction.atomic
def demo_load() -> dict[str, Any]:
    version, created = guide_load(actor=DEMO)
    logins: list[dict[str, str]] = []
    demo_hash = _demo_hash()

    def user(username: str, role: str, label: str, **scope) -> Any:
        u = get_user_model().objects.filter(username=username).first()
        if u is None or not u.role_grants.filter(role=role).exists():
            u = user_add(actor=DEMO, username=username, password_hash=demo_hash, role=role, **scope)
        logins.append({"role": label, "username": username, "password": DEMO_PASSWORD})
        return u

    admin = user("admin", "sysadmin", "系统管理员 / system admin")
    organisations: list[Organisation] = []
    for i, (name, kind, district, zone, attrs) in enumerate(ORGS, start=1):
        code = uscc_with_check(f"91{district}MA5DEM{i:02d}X")
        org = Organisation.objects.filter(uscc=code).first()
        if org is None:
            org, _ = orgs.organisation_upsert(
                actor=DEMO, data={"uscc": code, "name": name, "kind": kind, "district": district, "zone": zone}
            )
            for key, value in attrs.items():
                orgs.org_attribute_set(
                    actor=DEMO, organisation=org, name=key, value=value, valid_from=dt.date(2021, 1, 1), evidence="演示证明文件"
                )
        organisations.append(org)
    first = organisations[0]
    user("ent_admin", "org_admin", f"申报单位管理员（{first.name}）", organisation=first)
    user("applicant", "applicant", f"项目负责人（{first.name}）", organisation=first)
    for org in organisations[1:]:
        # Every demo organisation has a member account so each can act in the demo flows.
        if not org.role_grants.exists():
            user_add(actor=DEMO, username=f"member{org.pk}", password_hash=demo_hash, role="applicant", organisation=org)
    user("qingxiu", "recommender", "推荐单位（青秀区科技局）", unit="450103")
    user("gaoxin", "recommender", "推荐单位（南宁高新区管委会）", unit="GXQ")
    officer = user("officer", "officer", "项目处（全部专项）", programme="*")
    finance = user("finance", "finance", "财务人员")
    user("expert", "expert", "评审专家（有待答复的评审邀请）")
    user("auditor", "auditor", "审计人员")

    made = 0
    if not Call.objects.filter(name=CALL_NAME).exists():
        _demo_experts(organisations)
        made += _demo_applications(version, organisations, admin, officer, finance)
        _demo_review(officer)
        _demo_postaward(organisations, officer, finance)
    return {
        "guide": {"version": version.label, "revision": version.revision, "created": created},
        "organisations": len(organisations),
        "applications_created": made,
        "applications": Application.objects.count(),
        "logins": logins,
        "hint": "以上账户的密码均为 " + DEMO_PASSWORD,
    }


@functools.cache
def _demo_hash() -> str:
    """Hashed once: every demo account shares the password, and hashing is deliberately slow."""
    from django.contrib.auth.hashers import make_password

    return make_password(DEMO_PASSWORD)


def _actor_for(role: str, org: Organisation, officer, finance):
    from yongke.accounts.models import RoleGrant

    if role == "applicant":
        member = RoleGrant.objects.filter(organisation=org, role__in=("applicant", "org_admin")).first()
        if member is None:  # demo_load gives every demo organisation a member account
            raise LookupError(f"demo: {org.name} has no applicant account")
        return member.user
    if role == "recommender":
        grant = RoleGrant.objects.filter(role="recommender", unit=org.recommending_unit).first()
        if grant is None:
            return user_add(
                actor=DEMO,
                username=f"rec_{org.recommending_unit.lower()}",
                password_hash=_demo_hash(),
                role="recommender",
                unit=org.recommending_unit,
            )
        return grant.user
    return finance if role == "finance" else officer


# The 申报书 of every demo 前资助 application: the leader's phone, a two-year period and a budget
# adding up to its 100万 requested and 200万 self-raised.
DEMO_PROPOSAL: dict[str, Any] = {
    "leader_phone": "13907710000",
    "starts_on": dt.date(2027, 1, 1),
    "ends_on": dt.date(2028, 12, 31),
    "budget": [
        {"category": "equipment", "fiscal": 400_000, "self_raised": 1_200_000, "basis": "演示：试验设备"},
        {"category": "materials", "fiscal": 300_000, "self_raised": 500_000, "basis": "演示：样机材料"},
        {"category": "labour", "fiscal": 300_000, "self_raised": 300_000, "basis": "演示：研究人员劳务"},
    ],
}
DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _demo_documents(app, actor) -> None:
    """A placeholder PDF for each document the direction requires at submission."""
    from yongke.applications.proposal import missing_documents

    guide = compiled_for(app.guide_version).guide
    for document in missing_documents(guide, guide.direction(app.direction), []):
        apps.attachment_add(actor=actor, application=app, kind=document.key, filename=f"{document.label}（演示）.pdf", content=DEMO_PDF)


def _demo_applications(version, organisations, admin, officer, finance) -> int:
    now = timezone.now()
    # The 公示 of 5 working days (published now) is over at this time: 24:00 of its last working day.
    after_publicity = period_from(now, 5).ends_at + dt.timedelta(minutes=1)
    call = apps.call_open(
        actor=officer,
        name=CALL_NAME,
        opens_at=now - dt.timedelta(days=10),
        closes_at=now + dt.timedelta(days=30),
        directions=sort_directions(set(PRE_DIRECTIONS)),
        budgets={"1": 20_000_000, "2": 10_000_000, "4": 5_000_000, "16": 16_000_000},
    )
    post_call = apps.call_open(
        actor=officer,
        name=POST_CALL_NAME,
        opens_at=now - dt.timedelta(days=10),
        closes_at=now + dt.timedelta(days=60),
        directions=sort_directions(set(POST_DIRECTIONS)),
        budgets={"24": 3_000_000, "26": 1_000_000, "33": 5_000_000},
    )
    count = 0
    for i, (state, direction) in enumerate(zip(PRE_STATES, PRE_DIRECTIONS, strict=True)):
        org = organisations[i % len(organisations)]
        _demo_pre_application(version, call, org, i, direction, PATHS[state], officer, finance, after_publicity)
        count += 1
    for i, (state, direction) in enumerate(zip(POST_PATHS, POST_DIRECTIONS, strict=False)):
        org = organisations[(i + 3) % len(organisations)]
        facts = _eligible_facts(version, direction)
        title = facts.pop("title", None) or f"{compiled_for(version).guide.direction(direction).name}（演示）"
        app = apps.application_create(
            actor=_actor_for("applicant", org, officer, finance),
            call=post_call,
            direction=direction,
            organisation=org,
            title=title,
            facts=facts,
        )
        _demo_documents(app, _actor_for("applicant", org, officer, finance))
        if state == "paid" and bank_account_of(org) is None:  # a claim is paid to the account in force
            orgs.bank_account_set(actor=DEMO, organisation=org, bank="中国工商银行南宁分行", name=org.name, number=DEMO_BANK_ACCOUNT)
        for role, action in POST_PATHS[state]:
            apps.application_transition(
                actor=_actor_for(role, org, officer, finance),
                application=app,
                action=action,
                comment="演示意见" if action in ("return", "refuse") else "",
                amount=100_000 if action == "check" else None,
                objection_days=5 if action == "publish" else None,
                now=after_publicity if action == "pay" else None,
                voucher=f"演示凭证-后补助-{app.pk}" if action == "pay" else None,
            )
        count += 1
    count += _demo_projects(version, call, organisations, officer, finance, after_publicity)
    return count


def _demo_pre_application(version, call, org, i: int, direction: str, path, officer, finance, after_publicity) -> Application:
    """The demo's i-th 前资助 application, to `direction`, taken along `path` by the people who act."""
    leader = orgs.person_create(
        actor=DEMO,
        name=f"负责人{i + 1:02d}",
        id_number=id_with_check(f"450102198{i % 10}0{(i % 9) + 1}1{i % 10}{i:03d}"),
        organisation=org,
    )
    facts = _eligible_facts(version, direction)
    app = apps.application_create(
        actor=_actor_for("applicant", org, officer, finance),
        call=call,
        direction=direction,
        organisation=org,
        title=f"{compiled_for(version).guide.direction(direction).name}关键技术研究与示范（演示{i + 1}）",
        summary="演示数据：用于展示申报在各状态下的样子。",
        leader=leader,
        requested_amount=1_000_000,
        self_raised_amount=2_000_000,
        facts=facts,
        **DEMO_PROPOSAL,
    )
    _demo_documents(app, _actor_for("applicant", org, officer, finance))
    for role, action in path:
        if action in ("fund", "not_fund"):
            _demo_panel(call, app, officer)
        app, _ = apps.application_transition(
            actor=_actor_for(role, org, officer, finance),
            application=app,
            action=action,
            comment="演示意见" if action in ("not_recommend", "return", "refuse", "not_fund") else "",
            amount=800_000 if action == "fund" else None,
            objection_days=5 if action == "publish" else None,
            now=after_publicity if action == "contract" else None,
        )
    return app


# The projects after 立项 (besides the contracted application above, whose task book is still
# being drawn up), each in the step it shows: (step, direction, index of its organisation).
# The signing steps need the unit's org admin: the first organisation's `ent_admin`.
PROJECT_STEPS = [
    ("revoked", "16.1", 2),  # sent, not signed within the time: revoked by the officers' scan
    ("signing", "16.2", 1),  # sent, the time to sign still running
    ("signed", "16.1", 0),  # signed by the unit, awaiting the countersignature
    ("paid", "16.2", 0),  # in progress, its first tranche paid
    ("extended", "16.1", 0),  # in progress, an extension approved (amendment 1)
    ("terminated", "16.2", 0),  # first tranche paid, then a termination approved (the unused money recovered)
    # After signing (`_demo_postaward`, once the expert pool exists), all of the first organisation:
    ("midterm", "16.1", 0),  # mid-term report submitted, checked 合格
    ("panel", "16.2", 0),  # final report submitted, an expert panel invited (the demo `expert` among them)
    ("closed", "16.1", 0),  # accepted by documents, 结题 with its certificate, the last tranche paid
    ("rectifying", "16.2", 0),  # acceptance: rectify within three months
    ("failed", "16.1", 0),  # failed its acceptance: the leader barred for three years, the unused money recovered
    (
        "rescinded",
        "16.2",
        0,
    ),  # rescinded: everything paid recovered, part of it received (not for misconduct: the demo unit keeps applying)
]
POSTAWARD_STEPS = ("midterm", "panel", "closed", "rectifying", "failed", "rescinded")
DEMO_BANK_ACCOUNT = "6222 0217 7100 1234 567"


def _org_admin(org: Organisation):
    from yongke.accounts.models import RoleGrant

    grant = RoleGrant.objects.filter(organisation=org, role="org_admin").select_related("user").first()
    if grant is None:  # demo_load makes `ent_admin` the first organisation's
        raise LookupError(f"demo: {org.name} has no org admin account")
    return grant.user


def _demo_projects(version, call, organisations, officer, finance, after_publicity) -> int:
    """A project in each step after 立项, taken there by the people who act, through the services."""
    from yongke.projects import services as projects

    now = timezone.now()
    made: dict[str, Any] = {}
    for k, (step, direction, org_index) in enumerate(PROJECT_STEPS):
        org = organisations[org_index]
        app = _demo_pre_application(
            version, call, org, len(PRE_STATES) + k, direction, PATHS["contracted"], officer, finance, after_publicity
        )
        made[step] = app.project
    # Sent 31 days ago and never signed: the officers' scan of overdue task books revokes it (and only it).
    projects.project_transition(actor=officer, project=made["revoked"], action="send", now=now - dt.timedelta(days=31))
    projects.projects_revoke_unsigned(actor=officer, now=now)
    for step in ("signing", "signed", "paid", "extended", "terminated", *POSTAWARD_STEPS):
        made[step] = projects.project_transition(actor=officer, project=made[step], action="send")
    unit = _org_admin(organisations[0])
    for step in ("signed", "paid", "extended", "terminated", *POSTAWARD_STEPS):
        made[step] = projects.project_transition(
            actor=unit, project=made[step], action="sign", filename="盖章任务书（演示）.pdf", content=DEMO_PDF
        )
    for step in ("paid", "extended", "terminated", *POSTAWARD_STEPS):
        made[step] = projects.project_transition(actor=officer, project=made[step], action="countersign")
    orgs.bank_account_set(
        actor=unit, organisation=organisations[0], bank="中国工商银行南宁分行", name=organisations[0].name, number=DEMO_BANK_ACCOUNT
    )
    for n, step in enumerate(("paid", "terminated", *POSTAWARD_STEPS), start=1):
        first = made[step].tranches.get(order=1)
        projects.payment_record(
            actor=finance, project=made[step], tranche=1, amount=first.amount, paid_on=timezone.localdate(now), voucher=f"NNKJ-DEMO-{n:04d}"
        )
    _demo_change(
        made["extended"], "extension", "样机试验受季节影响推迟，申请延期六个月", officer, finance, payload={"ends_on": "2029-06-30"}
    )
    _demo_change(made["terminated"], "termination", "技术路线经中试验证无法实现，申请终止", officer, finance)
    return len(PROJECT_STEPS)


def _met(project) -> dict[str, Any]:
    """Actuals meeting every target of the project's task book."""
    out: dict[str, Any] = {}
    for ind in project.indicators.filter(source="commitment"):
        out.update({k: v for k, v in ind.targets.items() if v is not None})
    return out


def _demo_final(project, unit, applicant, *, actuals: dict[str, Any], spent_pct: int = 70) -> None:
    """The unit's final report: the actuals, the money spent, evidence for every indicator, submitted."""
    from yongke.projects import acceptance

    spent = [
        {"category": line.category, "fiscal": line.fiscal * spent_pct // 100, "self_raised": line.self_raised}
        for line in project.budget_lines.all()
    ]
    report = acceptance.report_save(
        actor=applicant, project=project, kind="final", narrative="按任务书完成研究内容（演示）。", actuals=actuals, spent=spent
    )
    for ind in project.indicators.filter(source="commitment"):
        acceptance.report_attach(actor=applicant, report=report, filename=f"佐证材料-{ind.label[:20]}.pdf", content=DEMO_PDF, indicator=ind)
    acceptance.report_submit(actor=unit, report=report)


def _demo_decide(acc, verdict: str, officer, comment: str) -> None:
    from yongke.projects import acceptance

    checks = {str(c.get("indicator")): c for c in (acc.checks or {}).get("indicators", [])}
    reasons = {}
    for ind in acc.project.indicators.all():
        result = "pass" if verdict != "failed" and checks.get(str(ind.pk), {}).get("result", "pass") == "pass" else "fail"
        reasons[str(ind.pk)] = {"result": result, "reason": "佐证材料齐全，达到任务书规定" if result == "pass" else "未达到任务书规定值"}
    acceptance.acceptance_decide(actor=officer, acceptance=acc, verdict=verdict, reasons=reasons, comment=comment)


def _demo_postaward(organisations, officer, finance) -> None:
    """The projects after signing, taken by the unit, the officer, the experts and finance through the services."""
    from yongke.projects import acceptance, closure
    from yongke.projects import services as projects
    from yongke.projects.models import Project, Report

    org = organisations[0]
    unit = _org_admin(org)
    applicant = _actor_for("applicant", org, officer, finance)
    # Each demo project's title ends with its application's demo number (`_demo_pre_application`).
    numbers = {step: len(PRE_STATES) + k + 1 for k, (step, _d, _o) in enumerate(PROJECT_STEPS)}
    made = {step: Project.objects.get(organisation=org, title__endswith=f"（演示{numbers[step]}）") for step in POSTAWARD_STEPS}

    midterm = acceptance.report_save(
        actor=applicant,
        project=made["midterm"],
        kind="midterm",
        narrative="完成样机研制，进度符合任务书（演示）。",
        actuals=_met(made["midterm"]),
    )
    midterm = acceptance.report_submit(actor=unit, report=midterm)
    acceptance.midterm_check(actor=officer, report=midterm, outcome=Report.Outcome.QUALIFIED, comment="进度正常，中期检查合格（演示）")

    for step in ("panel", "closed", "rectifying", "failed"):
        p = made[step]
        actuals = _met(p)
        if step == "failed":
            actuals = {k: (v // 2 if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in actuals.items()}
        _demo_final(p, unit, applicant, actuals=actuals, spent_pct=40 if step == "failed" else 70)
    from yongke.review.models import Expert

    panel = list(Expert.objects.filter(user__isnull=False).order_by("pk")[:3])  # experts who can sign in: the demo `expert`
    acceptance.acceptance_open(actor=officer, project=made["panel"], mode="panel", experts=panel)
    closed = acceptance.acceptance_open(actor=officer, project=made["closed"], mode="documents")
    _demo_decide(closed, "passed", officer, "完成任务书规定的全部考核指标，同意通过验收（演示）")
    last = made["closed"].tranches.order_by("-order")[0]
    projects.payment_record(
        actor=finance,
        project=made["closed"],
        tranche=last.order,
        amount=last.amount,
        paid_on=timezone.localdate(),
        voucher="NNKJ-DEMO-0100",
    )
    rectify = acceptance.acceptance_open(actor=officer, project=made["rectifying"], mode="documents")
    _demo_decide(rectify, "rectify", officer, "佐证材料不足，请补充第三方检测报告后再次验收（演示）")
    failed = acceptance.acceptance_open(actor=officer, project=made["failed"], mode="documents")
    _demo_decide(failed, "failed", officer, "新增销售收入未达到任务书规定值的一半，验收不通过（演示）")
    rescinded = projects.project_rescind(actor=officer, project=made["rescinded"], comment="承担单位发生重大变故，无法履行任务书（演示）")
    recovery = rescinded.recoveries.first()
    if recovery is not None:
        closure.recovery_receive(
            actor=finance, recovery=recovery, amount=recovery.amount_due // 2, received_on=timezone.localdate(), voucher="NNKJ-DEMO-TH01"
        )


def _demo_change(project, kind: str, reasons: str, officer, finance, payload: dict[str, Any] | None = None) -> None:
    """A change asked for by the unit, agreed by its recommending unit, approved by the officer."""
    from yongke.projects import services as projects

    org = project.organisation
    change = projects.change_request_create(
        actor=_actor_for("applicant", org, officer, finance), project=project, kind=kind, reasons=reasons, payload=payload or {}
    )
    change = projects.change_request_opinion(
        actor=_actor_for("recommender", org, officer, finance), change=change, agrees=True, opinion="情况属实，同意"
    )
    projects.change_request_decide(actor=officer, change=change, approve=True, comment="同意（演示）")


EXPERTS = [  # the first three know the application in review (18.1, 水体治理): the round needs k=3 with some fit
    ("陈专家", "N7721", ["水体治理", "水资源保护", "新能源汽车"]),
    ("林专家", "N7721", ["水资源", "水体", "储能"]),
    ("覃专家", "M7520", ["水资源保护", "关键技术"]),
    ("黄专家", "I6510", ["软件", "人工智能"]),
    ("韦专家", "C3976", ["集成电路", "封装"]),
    ("蒙专家", "C2710", ["医药", "制剂"]),
]


def _demo_experts(organisations) -> None:
    """The expert pool: six experts (the demo `expert` account is the first)."""
    from yongke.review.models import Expert
    from yongke.review.services import expert_add

    users = [get_user_model().objects.get(username="expert")]
    for i, (name, field, keywords) in enumerate(EXPERTS):
        person = orgs.person_create(
            actor=DEMO,
            name=name,
            id_number=id_with_check(f"45010319700{i + 1}0{i + 1}{i:03d}"),
            organisation=organisations[12],
            user=users[0] if i == 0 else None,
        )
        if not Expert.objects.filter(person=person).exists():
            expert_add(
                actor=DEMO,
                person=person,
                organisation=organisations[12],
                title="教授",
                fields=[field],
                keywords=keywords,
                user=users[0] if i == 0 else None,
            )


DEMO_POINTS: dict[str, float] = {"innovation": 85, "feasibility": 80, "benefit": 82, "team": 78}


def _demo_panel(call, app, officer) -> None:
    """The review an application is decided on (拟立项 of a reviewed project waits for one): a
    round of three experts of the pool (not the demo `expert` account, whose invitations wait in
    the open round), each accepting, declaring no conflict and scoring; then the round is closed."""
    from yongke.review.models import Expert
    from yongke.review.services import invitation_respond, review_round_close, review_round_run, score_submit

    panel = list(Expert.objects.filter(available=True, user__isnull=True).order_by("pk")[:3])
    rnd = review_round_run(actor=officer, call=call, directions=[app.direction], k=3, scores={(app.pk, e.pk): 0.8 for e in panel})
    if rnd.status != "assigned":
        raise LookupError(f"demo: no panel for application {app.pk} ({rnd.diagnosis})")
    for task in rnd.assignments.select_related("expert"):
        invitation_respond(actor=DEMO, assignment=task, accept=True, statement="本人与该申报无利益冲突（演示）")
        score_submit(actor=DEMO, assignment=task, points=DEMO_POINTS, comment="技术路线清晰，考核指标可行（演示评审意见）")
    review_round_close(actor=officer, round=rnd)


def _demo_review(officer) -> None:
    """The open round on the application in expert review: the demo `expert` is invited."""
    from yongke.review.services import review_round_run

    call = Call.objects.get(name=CALL_NAME)
    review_round_run(actor=officer, call=call, k=3, max_load=3, due_at=timezone.now() + dt.timedelta(days=14))
