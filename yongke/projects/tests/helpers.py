"""What the projects' tests share: a project opened by the real 立项 step, taken on through the
task book's signing, and the unit's bank account for payments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from yongke.orgs.services import bank_account_set
from yongke.projects import services as svc
from yongke.projects.models import Project
from yongke.testing import PDF_BYTES, TEST, World, make_application_in

ACCOUNT = "6222020200012345678"


def opened(world: World, *, amount: int = 500_000, **kwargs: Any) -> Project:
    """The project of an application taken through every step to 立项 (`contract`)."""
    app = make_application_in("contracted", world=world, amount=amount, **kwargs)
    return Project.objects.get(application=app)


def fresh(project: Project) -> Project:
    return Project.objects.get(pk=project.pk)


def sent(world: World, project: Project | None = None, *, now: dt.datetime | None = None, **kwargs: Any) -> Project:
    p = project or opened(world, **kwargs)
    return svc.project_transition(actor=world.officer, project=p, action="send", now=now)


def signed(world: World, project: Project | None = None, *, now: dt.datetime | None = None, **kwargs: Any) -> Project:
    p = project if project is not None and project.state == "signing" else sent(world, project, now=now, **kwargs)
    return svc.project_transition(actor=world.org_admin, project=p, action="sign", filename="任务书.pdf", content=PDF_BYTES, now=now)


def in_progress(world: World, project: Project | None = None, *, now: dt.datetime | None = None, **kwargs: Any) -> Project:
    """A project whose task book is signed by both parties (执行中)."""
    p = signed(world, project, now=now, **kwargs)
    return svc.project_transition(actor=world.officer, project=p, action="countersign", now=now)


def with_account(world: World, org: Any = None) -> None:
    bank_account_set(actor=TEST, organisation=org or world.org, bank="中国工商银行南宁分行", name="测试单位", number=ACCOUNT)


def today() -> dt.date:
    return timezone.localdate()
