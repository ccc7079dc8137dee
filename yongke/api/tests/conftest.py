"""The API tests' world: the shared one of yongke.testing, with what the API tests add on top — a
spare call, a person of each organisation, a bearer token for every user, and applications of
each organisation (a submitted one with an attachment, and a draft). Built once, inside a
transaction that is rolled back when the last test of this package has run; each test runs in a
savepoint inside it, so whatever a test changes is gone before the next one starts."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings

from yongke import testing as t
from yongke.accounts.services import token_create
from yongke.applications import selectors as app_selectors
from yongke.applications import services as app_services
from yongke.orgs import services as org_services
from yongke.projects import services as project_services
from yongke.projects.rules import add_months

ROLES = ("anonymous", "org_admin", "applicant", "recommender", "officer", "finance", "expert", "auditor", "sysadmin")
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_ids = itertools.count(1)


@dataclass(kw_only=True)
class ApiWorld(t.World):
    """`_a` is the world's `org`'s, `_b` its `other_org`'s."""

    spare_call: Any
    person_a: Any
    person_b: Any
    tokens: dict[str, str]
    submitted_a: Any  # programme 1 (direction 1.1), submitted, with an attachment
    submitted_b: Any  # programme 2 (direction 14.1), submitted, with an attachment
    draft_a: Any
    draft_b: Any
    attachment_a: Any
    attachment_b: Any

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens.get(role)
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}


@dataclass(kw_only=True)
class ProjectSide:
    """The projects of one side, one in each state a step starts from. Side A is the world's `org`'s
    (direction 1.1, programme 1, 青秀区), side B its `other_org`'s (direction 14.1, programme 2, 西乡塘区)."""

    drafting: Any  # the task book being drawn up (complete: it may be sent)
    signing: Any  # sent, not signed by the unit
    signed: Any  # signed by the unit with the stamped PDF, awaiting the countersignature
    running: Any  # in progress: countersigned (version 0 kept), a bank account recorded, nothing paid
    signed_file: Any  # the stamped task book of `running`
    requested: Any  # a change of `running` (extension) awaiting the recommending unit's opinion
    reviewed: Any  # a change of `running` (termination) awaiting the officer's decision


@dataclass(kw_only=True)
class ProjectApiWorld(ApiWorld):
    project_a: ProjectSide
    project_b: ProjectSide
    call_a: Any  # a call opening only direction 1.1 (programme 1): the officer's to set up
    call_b: Any  # a call opening only direction 14.1 (programme 2)


def fresh_id_number() -> str:
    """An ID number no factory has used: born in 1990, sequence from a private counter."""
    from yongke.orgs.validators import id_with_check

    n = next(_ids)
    return id_with_check(f"450103199{n % 10}{(n % 12) + 1:02d}{(n % 28) + 1:02d}{500 + n % 500:03d}")


def build_api_world() -> ApiWorld:
    world = t.build_world(days=30, officer_programmes=("1",))
    spare_call = t.make_call(days=30)
    tokens = {name: token_create(actor=u, user=u, name="tests") for name, u in world.users.items()}
    person_a, person_b = t.make_person(world.org), t.make_person(world.other_org)

    def submitted(org, direction):
        # made, uploaded and submitted by a member, as it happens over the API
        member = world.applicant if org == world.org else world.stranger
        app = t.make_application(call=world.call, org=org, user=member, direction=direction, facts=t.ELIGIBLE[direction])
        att = app_services.attachment_add(
            actor=member, application=app, kind="申报书", filename="申报书.pdf", content=PDF + str(app.pk).encode()
        )
        return t.advance(app, world, "submit"), att

    submitted_a, attachment_a = submitted(world.org, "1.1")
    submitted_b, attachment_b = submitted(world.other_org, "14.1")
    return ApiWorld(
        **{f.name: getattr(world, f.name) for f in fields(world)},
        spare_call=spare_call,
        person_a=person_a,
        person_b=person_b,
        tokens=tokens,
        submitted_a=submitted_a,
        submitted_b=submitted_b,
        draft_a=t.make_application(call=world.call, org=world.org),
        draft_b=t.make_application(call=world.call, org=world.other_org),
        attachment_a=attachment_a,
        attachment_b=attachment_b,
    )


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER, MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_api_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _project_side(world: ApiWorld, side: str) -> ProjectSide:
    """Projects opened by 立项 and taken through the real steps, each by whoever may take it; the
    other organisation has no org admin in the world, so its unit's steps are the set-up's (TEST)."""
    if side == "a":
        where: dict[str, Any] = {}
        officer, unit, member, recommender, org = world.officer, world.org_admin, world.applicant, world.recommender, world.org
    else:
        where = {"org": world.other_org, "direction": "14.1"}
        officer, unit, member, recommender, org = world.other_officer, t.TEST, world.stranger, world.other_recommender, world.other_org

    def opened():
        return t.make_application_in("contracted", world=world, **where).project

    def step(project, who, action, **kwargs):
        return project_services.project_transition(actor=who, project=project, action=action, **kwargs)

    def signed():
        return step(step(opened(), officer, "send"), unit, "sign", filename="任务书（盖章）.pdf", content=PDF + b"%" + side.encode())

    org_services.bank_account_set(actor=t.TEST, organisation=org, bank="中国银行南宁分行", name=org.name, number="6222021234567890123")
    running = step(signed(), officer, "countersign")
    requested = project_services.change_request_create(
        actor=member,
        project=running,
        kind="extension",
        reasons="关键设备到货延迟",
        payload={"ends_on": add_months(running.ends_on, 6).isoformat()},
    )
    reviewed = project_services.change_request_create(actor=member, project=running, kind="termination", reasons="技术路线无法实现")
    reviewed = project_services.change_request_opinion(actor=recommender, change=reviewed, agrees=True, opinion="情况属实，同意终止")
    running.refresh_from_db()
    return ProjectSide(
        drafting=opened(),
        signing=step(opened(), officer, "send"),
        signed=signed(),
        running=running,
        signed_file=running.files.get(),
        requested=requested,
        reviewed=reviewed,
    )


@pytest.fixture(scope="module")
def project_world(world, django_db_blocker):
    """The world with projects of each side (`ProjectSide`). Made once per test module in a
    savepoint of the package's transaction, rolled back after the module's last test, so no other
    module sees them (their counts of applications stay what they assert)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield ProjectApiWorld(
                **{f.name: getattr(world, f.name) for f in fields(world)},
                project_a=_project_side(world, "a"),
                project_b=_project_side(world, "b"),
                call_a=t.make_call(days=30, directions=["1.1"]),
                call_b=t.make_call(days=30, directions=["14.1"]),
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def api(world, db):
    """A test client; `api.as_(role)` sends that role's bearer token."""
    return ApiClient(world)


@pytest.fixture
def expert_assigned(world, monkeypatch):
    """The review app will record assignments; until then the selector's seam is patched so that
    the expert is assigned application A (and nothing else)."""
    expert = world.users["expert"]
    monkeypatch.setattr(app_selectors, "_assigned_to", lambda user: [world.submitted_a.pk] if user.pk == expert.pk else [])
    return world.submitted_a


class ApiClient:
    def __init__(self, world: ApiWorld) -> None:
        self.world = world
        self.client = Client()
        self.role = "anonymous"

    def as_(self, role: str) -> ApiClient:
        other = ApiClient(self.world)
        other.role = role
        return other

    def request(self, method: str, path: str, json: Any = None, data: Any = None, **extra: Any):
        headers = {**self.world.headers(self.role), **extra}
        fn = getattr(self.client, method.lower())
        if json is not None:
            return fn(path, data=json, content_type="application/json", **headers)
        if data is not None:
            return fn(path, data=data, **headers)  # multipart
        return fn(path, **headers)

    def get(self, path: str, **extra: Any):
        return self.request("GET", path, **extra)

    def post(self, path: str, json: Any = None, data: Any = None, **extra: Any):
        if data is not None:
            return self.request("POST", path, data=data, **extra)
        return self.request("POST", path, json=json if json is not None else {}, **extra)

    def patch(self, path: str, json: Any = None, **extra: Any):
        return self.request("PATCH", path, json=json if json is not None else {}, **extra)
