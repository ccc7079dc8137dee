"""Who may do what to a project, in the domain: every write service against every role, of the
project's own unit, recommending unit and programme and of others'. The one table of it;
the API's matrix checks its faces against the same answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from yongke.core.errors import PermissionDenied
from yongke.projects import services as svc
from yongke.projects.models import ChangeRequest, Project
from yongke.projects.tests.helpers import in_progress, opened, sent, signed, today, with_account
from yongke.testing import PDF_BYTES, World, build_world, make_call, make_user

USERS = [
    "org_admin",  # the project's unit
    "applicant",  # a member of the project's unit
    "other_admin",  # the admin of another unit
    "stranger",  # a member of another unit
    "recommender",  # the project's recommending unit
    "other_recommender",  # another district's
    "officer",  # the project's programme
    "other_officer",  # another programme's
    "finance",
    "expert",
    "auditor",
    "sysadmin",
]


@dataclass
class Scene:
    world: World
    users: dict[str, Any]
    drafting: Project
    signing: Project
    signed: Project
    running: Project
    requested: ChangeRequest
    reviewed: ChangeRequest
    call: Any  # a call of the project's programme only


def _scene() -> Scene:
    world = build_world()
    with_account(world)
    running = in_progress(world)
    requested = svc.change_request_create(
        actor=world.org_admin,
        project=running,
        kind="extension",
        reasons="延期",
        payload={"ends_on": running.ends_on.replace(year=running.ends_on.year + 1).isoformat()},
    )
    reviewed = svc.change_request_create(actor=world.org_admin, project=running, kind="termination", reasons="无法实施", payload={})
    reviewed = svc.change_request_opinion(actor=world.recommender, change=reviewed, agrees=True, opinion="同意")
    users = {**world.users, "other_admin": make_user("org_admin", organisation=world.other_org)}
    return Scene(
        world=world,
        users=users,
        drafting=opened(world),
        signing=sent(world),
        signed=signed(world),
        running=running,
        requested=requested,
        reviewed=reviewed,
        call=make_call(directions=["1.1", "1.2"]),
    )


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker, tmp_path_factory):
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _scene()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _step(project: str, action: str, **kwargs: Any) -> Callable[[Scene, Any], Any]:
    return lambda s, actor: svc.project_transition(actor=actor, project=getattr(s, project), action=action, **kwargs)


SERVICES: dict[str, tuple[Callable[[Scene, Any], Any], set[str]]] = {
    "project_open": (lambda s, a: svc.project_open(actor=a, application=s.running.application), {"officer"}),
    "task_book_update": (
        lambda s, a: svc.task_book_update(actor=a, project=s.drafting, lock_version=None, changes={"title": "新名称"}),
        {"officer"},
    ),
    "send": (_step("drafting", "send"), {"officer"}),
    "revoke": (_step("drafting", "revoke", comment="放弃"), {"officer"}),
    "sign": (_step("signing", "sign", filename="任务书.pdf", content=PDF_BYTES), {"org_admin"}),
    "reopen": (_step("signing", "reopen", comment="请修改"), {"org_admin", "officer"}),
    "countersign": (_step("signed", "countersign"), {"officer"}),
    "project_terminate": (lambda s, a: svc.project_terminate(actor=a, project=s.running, comment="终止"), {"officer"}),
    "project_rescind": (
        lambda s, a: svc.project_rescind(actor=a, project=s.running, comment="弄虚作假", misconduct=True),
        {"officer"},
    ),
    "payment_record": (
        lambda s, a: svc.payment_record(actor=a, project=s.running, tranche=1, amount=1_000, paid_on=today(), voucher="P-1"),
        {"finance"},
    ),
    "change_request_create": (
        lambda s, a: svc.change_request_create(actor=a, project=s.running, kind="targets", reasons="调整", payload={"content": "新内容"}),
        {"org_admin", "applicant"},
    ),
    "change_request_opinion": (
        lambda s, a: svc.change_request_opinion(actor=a, change=s.requested, agrees=True, opinion="同意"),
        {"recommender"},
    ),
    "change_request_withdraw": (lambda s, a: svc.change_request_withdraw(actor=a, change=s.requested), {"org_admin", "applicant"}),
    "change_request_decide": (
        lambda s, a: svc.change_request_decide(actor=a, change=s.reviewed, approve=True),
        {"officer"},
    ),
    "call_project_settings_set": (lambda s, a: svc.call_project_settings_set(actor=a, call=s.call, sign_days=20), {"officer"}),
    "projects_revoke_unsigned": (lambda s, a: svc.projects_revoke_unsigned(actor=a), {"officer", "other_officer"}),
    "signing_reminders": (lambda s, a: svc.signing_reminders(actor=a), {"officer", "other_officer"}),
}

CASES = [
    pytest.param(service, user, user in allowed, id=f"{service}-{user}") for service, (_call, allowed) in SERVICES.items() for user in USERS
]


@pytest.mark.django_db
@pytest.mark.parametrize(("service", "user", "allowed"), CASES)
def test_who_may_call_a_project_service(scene, service, user, allowed):
    call, _allowed = SERVICES[service]
    before = {p.pk: (p.state, p.lock_version) for p in Project.objects.all()}
    if allowed:
        call(scene, scene.users[user])
        return
    with pytest.raises(PermissionDenied):
        call(scene, scene.users[user])
    assert {p.pk: (p.state, p.lock_version) for p in Project.objects.all()} == before


@pytest.mark.django_db
def test_an_officer_of_some_of_a_calls_programmes_may_not_set_its_projects_rules(scene):
    with pytest.raises(PermissionDenied) as e:
        svc.call_project_settings_set(
            actor=scene.world.officer, call=scene.world.call, sign_days=20
        )  # the world's call opens programme 2 too
    assert "2" in e.value.detail["programmes"]
