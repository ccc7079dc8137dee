"""Factories shared by the test suites (imported as `yongke.testing`): organisations, people, users of every role, calls,
applications; and one world of them with the workflow steps taken by the right people."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from yongke.accounts.actors import System
from yongke.accounts.services import user_add
from yongke.applications import services as app_services
from yongke.applications.workflow import Transition, workflow_for
from yongke.guide.loader import load_guide
from yongke.guide.services import guide_store
from yongke.orgs import services as org_services
from yongke.orgs.validators import id_with_check, uscc_with_check
from yongke.review.decisions import DECISION_TARGETS

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from yongke.applications.models import Application, Call
    from yongke.guide.models import GuideVersion
    from yongke.orgs.models import Organisation

_seq = itertools.count(1)
TEST = System("test")  # the set-up of a test: what a console operator would have done before it

PASSWORD = "pw-Test-1234"  # every factory-made user's

# Facts that make an application to direction 1.1 eligible.
ELIGIBLE_1_1 = {"kpi_invention_patent_applications": 3, "kpi_new_revenue": 50_000_000}
# Facts that make an application eligible, by direction: 14.1 (programme 2) is the guide's own case,
# 35.1 a post-subsidy (后补助) award.
ELIGIBLE: dict[str, dict[str, Any]] = {
    "1.1": ELIGIBLE_1_1,
    "14.1": {"kpi_invention_patent_applications": 1, "kpi_new_revenue": 10_000_000},
    "35.1": {"county_research_award_received": True, "innovative_county_recognized": True, "county_work_system": True},
}


@functools.cache
def _bundled_guide():
    return load_guide(check_cases=False)


def make_guide():
    """The bundled guide, stored and published (parsed once per test process)."""
    version, _ = guide_store(actor=TEST, guide=_bundled_guide())
    return version


def make_org(*, district: str = "450103", zone: str = "", kind: str = "enterprise", name: str | None = None, **attrs: Any):
    n = next(_seq)
    org, _ = org_services.organisation_upsert(
        actor=TEST,
        data={
            "uscc": uscc_with_check(f"914501{n:04d}MA5L{n:03d}"[:17]),
            "name": name or f"南宁测试单位{n}有限公司",
            "kind": kind,
            "district": district,
            "zone": zone,
        },
    )
    for key, value in attrs.items():
        org_services.org_attribute_set(actor=TEST, organisation=org, name=key, value=value, valid_from=dt.date(2020, 1, 1))
    return org


def make_person(org=None, *, name: str | None = None, user=None):
    n = next(_seq)
    return org_services.person_create(
        actor=TEST,
        name=name or f"测试{n}",
        id_number=id_with_check(f"4501021980{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"),
        organisation=org,
        user=user,
    )


def make_user(role: str, *, organisation=None, unit: str = "", programme: str = "", username: str | None = None):
    return user_add(
        actor=TEST,
        username=username or f"{role}{next(_seq)}",
        password=PASSWORD,
        role=role,
        organisation=organisation,
        unit=unit,
        programme=programme,
    )


def make_call(*, days: int = 10, **kwargs):
    now = timezone.now()
    return app_services.call_open(
        actor=kwargs.pop("actor", TEST),
        name=kwargs.pop("name", f"测试批次{next(_seq)}"),
        opens_at=kwargs.pop("opens_at", now - dt.timedelta(days=1)),
        closes_at=kwargs.pop("closes_at", now + dt.timedelta(days=days)),
        **kwargs,
    )


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # the smallest file a document category takes


def complete_proposal(call, direction: str, org, *, leader=None, requested_amount: int, self_raised_amount: int = 0) -> dict[str, Any]:
    """What a 前资助 application's 申报书 needs to be submitted besides its facts: a leader of its
    own organisation with a phone, a two-year period from the first of next month and a budget
    adding up to the amounts (all of it 设备费); nothing more for a 后补助 claim."""
    from yongke.guide.selectors import compiled_for

    if compiled_for(call.guide_version).guide.direction(direction).project.funding != "pre":
        return {"leader": leader}
    start = (timezone.localdate().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return {
        "leader": leader or make_person(org),
        "leader_phone": "13800138000",
        "starts_on": start,
        "ends_on": start.replace(year=start.year + 2) - dt.timedelta(days=1),
        "budget": [{"category": "equipment", "fiscal": requested_amount, "self_raised": self_raised_amount}],
    }


def attach_required_documents(app, *, user=None) -> None:
    """A small PDF for each document the application's direction requires at submission."""
    from yongke.applications.proposal import missing_documents
    from yongke.guide.selectors import compiled_for

    guide = compiled_for(app.guide_version).guide
    have = app.attachments.current().values_list("kind", flat=True)
    for document in missing_documents(guide, guide.direction(app.direction), have):
        app_services.attachment_add(
            actor=user or TEST, application=app, kind=document.key, filename=f"{document.label}.pdf", content=PDF_BYTES
        )


def make_application(
    *,
    call,
    org,
    user=None,
    direction: str = "1.1",
    facts: dict | None = None,
    title: str | None = None,
    leader=None,
    requested_amount: int = 1_000_000,
    complete: bool = True,
    **kwargs,
):
    """A draft. `complete` (the default) also fills what submission needs besides the facts: a
    前资助 application's 申报书 (`complete_proposal`) and the documents required at submission."""
    if complete:
        kwargs = {
            **complete_proposal(
                call,
                direction,
                org,
                leader=leader,
                requested_amount=requested_amount,
                self_raised_amount=kwargs.get("self_raised_amount", 0),
            ),
            **kwargs,
        }
        leader = kwargs.pop("leader")
    app = app_services.application_create(
        actor=user or TEST,
        call=call,
        direction=direction,
        organisation=org,
        title=title or f"测试项目{next(_seq)}",
        facts=ELIGIBLE_1_1 if facts is None else facts,
        leader=leader,
        requested_amount=requested_amount,
        **kwargs,
    )
    if complete:
        attach_required_documents(app, user=user)
    return app


# The world's users and the role each holds, in the order `advance` looks for one who may act.
WORLD_USERS = {
    "org_admin": "org_admin",
    "applicant": "applicant",  # of org
    "stranger": "applicant",  # of other_org
    "recommender": "recommender",  # org's district
    "other_recommender": "recommender",  # other_org's district
    "officer": "officer",  # the programmes of build_world(officer_programmes=...)
    "other_officer": "officer",  # programme 2
    "finance": "finance",
    "expert": "expert",
    "auditor": "auditor",
    "sysadmin": "sysadmin",
}
# The demo's account names, for tests that sign in by typing one: build_world(usernames=SIGN_IN_NAMES).
SIGN_IN_NAMES = {
    "org_admin": "ent_admin",
    "applicant": "applicant",
    "stranger": "stranger",
    "recommender": "qingxiu",
    "other_recommender": "xixiangtang",
    "officer": "officer",
    "other_officer": "officer2",
    "finance": "finance",
    "expert": "expert",
    "auditor": "auditor",
    "sysadmin": "admin",
}


@dataclass(kw_only=True)
class World:
    """The published guide, an open call, two organisations in two districts (青秀区 450103 and
    西乡塘区 450107) and a user of every role (WORLD_USERS)."""

    version: GuideVersion
    call: Call
    org: Organisation
    other_org: Organisation
    org_admin: User
    applicant: User
    stranger: User
    recommender: User
    other_recommender: User
    officer: User
    other_officer: User
    finance: User
    expert: User
    auditor: User
    sysadmin: User

    @property
    def users(self) -> dict[str, User]:
        return {name: getattr(self, name) for name in WORLD_USERS}


def build_world(
    *,
    directions: list[str] | None = None,
    budgets: dict[str, int] | None = None,
    days: int = 10,
    officer_programmes: Sequence[str] = ("1", "3", "4"),  # programme 1 and the post-subsidy ones; not programme 2
    org_name: str | None = None,
    usernames: Mapping[str, str] | None = None,
) -> World:
    """The world; the call takes `directions` (default all), `budgets` and closes in `days`.
    `usernames` fixes some users' names (by WORLD_USERS name); the others get fresh ones."""
    version = make_guide()
    org = make_org(district="450103", name=org_name)
    other_org = make_org(district="450107")
    names = usernames or {}

    def user(name: str, **scope: Any) -> User:
        return make_user(WORLD_USERS[name], username=names.get(name), **scope)

    officer = user("officer", programme=officer_programmes[0])
    for programme in officer_programmes[1:]:  # one account may be the officer of several programmes
        user_add(actor=TEST, username=officer.username, role="officer", programme=programme)
    return World(
        version=version,
        call=make_call(days=days, directions=directions, budgets=budgets),
        org=org,
        other_org=other_org,
        org_admin=user("org_admin", organisation=org),
        applicant=user("applicant", organisation=org),
        stranger=user("stranger", organisation=other_org),
        recommender=user("recommender", unit=org.recommending_unit),
        other_recommender=user("other_recommender", unit=other_org.recommending_unit),
        officer=officer,
        other_officer=user("other_officer", programme="2"),
        finance=user("finance"),
        expert=user("expert"),
        auditor=user("auditor"),
        sysadmin=user("sysadmin"),
    )


def _actor_for(world: World, app: Application, t: Transition) -> User:
    """The first of the world's users holding one of the roles that `t` lists who may take it here."""
    for role in t.roles:
        for name, held in WORLD_USERS.items():
            user = getattr(world, name)
            if held == role and app_services.may_take(user, app, t):
                return user
    raise LookupError(f"nobody in the world may {t.action} application {app.pk} (roles {', '.join(t.roles)})")


def _after_window(app: Application) -> dt.datetime:
    """A minute after the application's 公示 window closes (24:00 of its last working day), or now."""
    now = timezone.now()
    return max(now, app.objection_ends_at) + dt.timedelta(minutes=1) if app.objection_ends_at else now


def advance(app: Application, world: World, *actions: str, amount: int | None = None, comment: str | None = None) -> Application:
    """Take the workflow steps, each by the world's user who may; returns the application.
    A step that needs an amount gets `amount` (by default 500,000 yuan, or a 后补助 claim's quote:
    a claim is checked at no more than the guide's award); `comment` goes with every step (by default a
    comment only where one is required); 公示 lasts 5 working days and a step that waits for its
    objection window to close is taken a minute after it closes."""
    for action in actions:
        t = workflow_for(app.funding).transition(action)
        if t is None:
            raise ValueError(f"the {app.funding} workflow has no step {action!r}")
        if t.target in DECISION_TARGETS:
            review_by_panel(app)
        app, _ = app_services.application_transition(
            actor=_actor_for(world, app, t),
            application=app,
            action=action,
            comment=comment if comment is not None else ("意见" if t.comment_required else ""),
            amount=_amount_for(app, amount) if "amount" in t.needs else None,
            objection_days=5 if "objection_days" in t.needs else None,
            now=_after_window(app) if "objection_window_closed" in t.guards else None,
            voucher=f"测试凭证-{app.pk}-{action}" if "voucher" in t.needs else None,
        )
    return app


PANEL_EXPERT = "评审专家（测试）"


def review_by_panel(app: Application) -> None:
    """A completed expert review of `app`, when the guide reviews its project and no round has
    assigned it yet: a closed round in which one expert (not available to real rounds) has scored
    it. 拟立项 of a reviewed project is refused without one (`review_missing`); a test that runs
    its own round, or tests that refusal, takes the step itself."""
    from yongke.guide.selectors import compiled_for
    from yongke.review.models import Expert, ReviewAssignment, ReviewRound, Score
    from yongke.review.scoring import DEFAULT_RUBRIC, weighted_total
    from yongke.review.selectors import latest_round_of

    if not compiled_for(app.guide_version).guide.direction(app.direction).project.review or latest_round_of(app) is not None:
        return
    expert = Expert.objects.filter(person__name=PANEL_EXPERT).first()
    if expert is None:
        expert = Expert.objects.create(person=make_person(name=PANEL_EXPERT), available=False)
    rnd = ReviewRound.objects.create(call=app.call, directions=[app.direction], k=1, status="closed")
    task = ReviewAssignment.objects.create(round=rnd, application=app, expert=expert, affinity=1.0, state=ReviewAssignment.State.SUBMITTED)
    points = {c.key: 80.0 for c in DEFAULT_RUBRIC}
    Score.objects.create(assignment=task, points=points, total=weighted_total(DEFAULT_RUBRIC, points), comment="同意立项")


def _amount_for(app: Application, amount: int | None) -> int:
    if amount is not None:
        return amount
    if app.funding == "post" and app.quoted_amount is not None:
        return app.quoted_amount
    return 500_000


@functools.cache
def _shortest_paths(funding: str) -> dict[str, tuple[str, ...]]:
    """For each state of the workflow reachable from its initial state, the fewest actions that reach it."""
    wf = workflow_for(funding)
    paths: dict[str, tuple[str, ...]] = {wf.initial: ()}
    queue = deque([wf.initial])
    while queue:
        state = queue.popleft()
        for t in wf.available(state):
            if t.target not in paths:
                paths[t.target] = (*paths[state], t.action)
                queue.append(t.target)
    return paths


DIRECTION_FOR = {"pre": "1.1", "post": "35.1"}  # a direction of each funding mode


def make_application_in(
    state: str,
    *,
    world: World,
    direction: str | None = None,
    funding: str | None = None,
    call: Call | None = None,
    org: Organisation | None = None,
    facts: dict | None = None,
    amount: int | None = None,
    comment: str | None = None,
    **kwargs: Any,
) -> Application:
    """An application in `state`, reached from the initial state by the shortest path of real
    transitions (`advance`). By default of the world's organisation, made by its applicant, to
    direction 1.1 (or 35.1 with funding="post") in the world's call, with eligible facts; an
    application of `other_org` is its `stranger`'s."""
    org = org or world.org
    member = {world.org.pk: world.applicant, world.other_org.pk: world.stranger}.get(org.pk)
    direction = direction or DIRECTION_FOR[funding or "pre"]
    app = make_application(
        call=call or world.call,
        org=org,
        user=member,
        direction=direction,
        facts=ELIGIBLE.get(direction) if facts is None else facts,
        **kwargs,
    )
    if funding is not None and app.funding != funding:
        raise ValueError(f"direction {direction} is funded {app.funding}, not {funding}")
    path = _shortest_paths(app.funding).get(state)
    if path is None:
        raise ValueError(f"state {state!r} cannot be reached from the start of the {app.funding} workflow")
    return advance(app, world, *path, amount=amount, comment=comment)
