"""Verified self-registration: a registered organisation waits, with its business licence, until
the recommending unit of its district or zone (or an officer) approves or rejects it.

While pending its people may sign in but not create applications (applications.services
application_create refuses); once rejected its accounts are disabled and its code stays taken
(an officer settles a dispute over it).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from yongke.accounts.actors import Actor, Viewer, user_of
from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.audit.services import audit_record
from yongke.core.errors import BadInput, Conflict, PermissionDenied
from yongke.orgs.models import Organisation

LICENCE_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def licence_type(head: bytes) -> str | None:
    """The licence file's type from its first bytes (PDF, JPEG, PNG), or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _reviewable(scope_filter: Q | None) -> QuerySet[Organisation]:
    pending = Organisation.objects.filter(status=Organisation.Status.PENDING)
    return pending if scope_filter is None else pending.filter(scope_filter)


def registrations_pending_for(viewer: Viewer) -> QuerySet[Organisation]:
    """The registrations `viewer` may decide: every one for an officer; for a recommending unit,
    those of its district or development zone (an organisation in a zone belongs to the zone)."""
    scope = scope_of(viewer)
    if scope.is_system or Role.OFFICER in scope.roles:
        return _reviewable(None).order_by("created_at", "pk")
    if Role.RECOMMENDER in scope.roles and scope.units:
        units = list(scope.units)
        return _reviewable(Q(zone__in=units) | Q(zone="", district__in=units)).order_by("created_at", "pk")
    return Organisation.objects.none()


def _require_reviewer(actor: Actor, organisation: Organisation) -> None:
    if not registrations_pending_for(actor).filter(pk=organisation.pk).exists():
        if organisation.status != Organisation.Status.PENDING:
            raise Conflict(
                "该单位的注册已审核 / this registration was already decided",
                code="registration_decided",
                detail={"organisation": organisation.pk, "status": organisation.status},
            )
        raise PermissionDenied(
            "只有该单位所在县区或开发区的推荐单位、或项目处人员可以审核注册 / its recommending unit or an officer only",
            detail={"organisation": organisation.pk, "unit": organisation.recommending_unit},
        )


def _decide(*, actor: Actor, organisation: Organisation, status: str, reason: str) -> Organisation:
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _require_reviewer(actor, org)
    org.status = status
    org.reviewed_by = user_of(actor)
    org.reviewed_at = timezone.now()
    org.review_reason = reason
    org.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    audit_record(
        actor=actor,
        action="registration_approve" if status == Organisation.Status.ACTIVE else "registration_reject",
        target_type="organisation",
        target_id=org.pk,
        from_state=Organisation.Status.PENDING,
        to_state=status,
        comment=reason,
        data={"uscc": org.uscc},
    )
    return org


@transaction.atomic
def registration_approve(*, actor: Actor, organisation: Organisation, comment: str = "") -> Organisation:
    """The registration checked against its licence: the organisation may apply."""
    return _decide(actor=actor, organisation=organisation, status=Organisation.Status.ACTIVE, reason=(comment or "").strip()[:2000])


@transaction.atomic
def registration_reject(*, actor: Actor, organisation: Organisation, reason: str) -> Organisation:
    """The registration refused, with the reason; the organisation's accounts are disabled."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("reason: 请填写不予通过的理由 / a reason is required", detail={"field": "reason"})
    org = _decide(actor=actor, organisation=organisation, status=Organisation.Status.REJECTED, reason=reason[:2000])
    get_user_model().objects.filter(role_grants__organisation=org).update(is_active=False)
    return org
