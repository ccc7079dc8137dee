"""Reads of background jobs, each knowing who asks."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from yongke.accounts.actors import Viewer
from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.core.errors import NotFound
from yongke.jobs.models import Job


def jobs_visible_to(user: Viewer) -> QuerySet[Job]:
    """Everyone sees the jobs they started; system admins see all but others' received steps (an
    applicant's 提交 is application business, not the administrator's); the system sees all."""
    qs = Job.objects.select_related("created_by")
    scope = scope_of(user)
    if scope.is_system:
        return qs
    if scope.has(Role.SYSADMIN) and isinstance(user, User):
        return qs.exclude(Q(kind=Job.Kind.TRANSITION) & ~Q(created_by=user))
    if not isinstance(user, User) or not user.is_authenticated:
        return qs.none()
    return qs.filter(created_by=user)


def job_for(user: Viewer, pk: int) -> Job:
    job = jobs_visible_to(user).filter(pk=pk).first()
    if job is None:
        raise NotFound(f"任务 {pk} 不存在或无权查看 / not found", detail={"id": pk})
    return job
