"""Writes of notifications: the background delivery (inbox entries, email, SMS), marking read,
and each user's channels per kind. Announcing an event, which writes nothing and queues the
delivery, is `yongke.notifications.events`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from yongke.accounts.actors import Actor
from yongke.accounts.models import Role, RoleGrant
from yongke.accounts.selectors import scope_of
from yongke.audit.services import audit_record
from yongke.audit.services import changes as audit_changes
from yongke.core.errors import BadInput, NotFound, PermissionDenied
from yongke.notifications import messages, sms
from yongke.notifications.models import Channel, Kind, Notification, Preference
from yongke.notifications.selectors import email_of, phone_of

logger = logging.getLogger(__name__)

APPLICANT_ROLES = (Role.APPLICANT, Role.ORG_ADMIN)


# --------------------------------------------------------------------------- delivery


@dataclass
class Delivered:
    """What one delivery did: new inbox entries, emails and text messages sent."""

    created: int = 0
    emailed: int = 0
    sms: int = 0
    skipped: int = 0  # entries that already existed (the event was delivered before)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "emailed": self.emailed, "sms": self.sms, "skipped": self.skipped, "failed": self.failed}


def _recipients(to: Mapping[str, Any]) -> list[int]:
    """The active users an event is for: an organisation's applicants and admins, or named users."""
    if "organisation" in to:
        qs = RoleGrant.objects.filter(organisation_id=to["organisation"], role__in=APPLICANT_ROLES, user__is_active=True)
        return sorted(set(qs.values_list("user_id", flat=True)))
    ids = [int(i) for i in to.get("users", [])]
    return sorted(set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True)))


def _rows(events: Iterable[Mapping[str, Any]]) -> list[Notification]:
    """The inbox entries the events make, minus those already delivered."""
    rows: list[Notification] = []
    for event in events:
        template = event["template"]
        if template not in messages.TEMPLATES:
            raise BadInput(f"template: 未知的通知模板 {template} / unknown template", detail={"field": "template", "value": template})
        title, body = messages.render_sent(template, event.get("params", {}))
        rows.extend(
            Notification(
                user_id=user_id,
                kind=messages.TEMPLATES[template].kind,
                template=template,
                key=str(event["key"])[:120],
                title=title[:300],
                body=body,
                link=str(event.get("link", ""))[:300],
                params=dict(event.get("params", {})),
            )
            for user_id in _recipients(event["to"])
        )
    return rows


def _store(rows: list[Notification]) -> tuple[list[Notification], int]:
    """Save the entries not yet in anyone's inbox; (saved, already there). An entry is unique per
    user and event key, so a second delivery of the same event adds nothing."""
    keys = {r.key for r in rows}
    have = set(Notification.objects.filter(key__in=keys).values_list("user_id", "key"))
    fresh: dict[tuple[int, str], Notification] = {}
    for r in rows:
        if (r.user_id, r.key) not in have:
            fresh.setdefault((r.user_id, r.key), r)
    saved: list[Notification] = []
    for r in fresh.values():
        # The one-per-event constraint is the database's to enforce (below), not a query per row.
        r.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():  # a savepoint: a concurrent delivery of the same event wins, this one skips
                r.save()
        except IntegrityError:
            continue
        saved.append(r)
    return saved, len(rows) - len(saved)


def _switched_off(saved: list[Notification]) -> set[tuple[int, str, str]]:
    """(user, kind, channel) switched off."""
    off: set[tuple[int, str, str]] = set()
    for p in Preference.objects.filter(user_id__in={n.user_id for n in saved}, kind__in={n.kind for n in saved}):
        if not p.email:
            off.add((p.user_id, p.kind, Channel.EMAIL))
        if not p.sms:
            off.add((p.user_id, p.kind, Channel.SMS))
    return off


def _site_url(path: str) -> str:
    if not path:
        return ""
    return f"{settings.YONGKE_SITE_URL.rstrip('/')}{path}" if path.startswith("/") else path


def _preferences_url() -> str:
    try:
        return _site_url(reverse("portal:notification_preferences"))
    except NoReverseMatch:  # a deployment without the portal
        return ""


def _send(saved: list[Notification], done: Delivered) -> None:
    """Email and SMS for the new entries, as each recipient chose; the time each went out is kept."""
    off = _switched_off(saved)
    users = {u.pk: u for u in User.objects.filter(pk__in={n.user_id for n in saved}).select_related("person")}
    footer_prefs = _preferences_url()
    mails: list[tuple[Notification, EmailMessage]] = []
    texts: list[tuple[Notification, sms.SmsMessage]] = []
    for n in saved:
        user = users[n.user_id]
        address, phone = email_of(user), phone_of(user)
        if address and (n.user_id, n.kind, Channel.EMAIL) not in off:
            body = f"{n.body}\n\n{messages.email_footer(_site_url(n.link), footer_prefs)}"
            mails.append((n, EmailMessage(subject=n.title, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])))
        if phone and (n.user_id, n.kind, Channel.SMS) not in off:
            texts.append((n, sms.SmsMessage(to=phone, text=messages.sms_text(n.title))))
    now = timezone.now()
    if mails:
        try:
            done.emailed = mailers.default.send_messages([m for _, m in mails]) or 0
            Notification.objects.filter(pk__in=[n.pk for n, _ in mails]).update(emailed_at=now)
        except Exception:  # the inbox entries stand: the mail server's failure is logged and reported
            logger.exception("notification email failed for %d message(s)", len(mails))
            done.failed.append("email")
    if texts:
        try:
            done.sms = sms.send_sms([m for _, m in texts])
            Notification.objects.filter(pk__in=[n.pk for n, _ in texts]).update(sms_at=now)
        except Exception:  # as for email: the gateway's failure must not lose the inbox entries
            logger.exception("notification SMS failed for %d message(s)", len(texts))
            done.failed.append("sms")


def notifications_deliver(*, actor: Actor, events: list[dict[str, Any]]) -> Delivered:
    """The background half of an announcement (`yongke.notifications.tasks.deliver`): one inbox
    entry per recipient of each event, then the email and SMS each recipient has not switched
    off. Only the system (the task queue) delivers; a person, an administrator too, cannot forge one."""
    if not scope_of(actor).is_system:
        raise PermissionDenied("只有系统可以发送通知 / only the system delivers notifications")
    done = Delivered()
    with transaction.atomic():
        saved, done.skipped = _store(_rows(events))
    done.created = len(saved)
    if saved:
        _send(saved, done)  # after the commit: the inbox entries stand whatever the mail server says
    return done


# --------------------------------------------------------------------------- the reader's side


def _me(actor: Actor) -> User:
    if not isinstance(actor, User) or not actor.is_authenticated:
        raise PermissionDenied("请先登录 / sign in first")
    return actor


@transaction.atomic
def notification_mark_read(*, actor: Actor, notification: Notification) -> Notification:
    """Mark one of one's own notifications read (another's is missing, as if it did not exist).
    Not audited: the entry's read time is the record, and it concerns nobody else."""
    me = _me(actor)
    n = Notification.objects.select_for_update().filter(pk=notification.pk, user=me).first()
    if n is None:
        raise NotFound(f"通知 {notification.pk} 不存在 / not found", detail={"id": notification.pk})
    if n.read_at is None:
        n.read_at = timezone.now()
        n.save(update_fields=["read_at"])
    return n


@transaction.atomic
def notifications_mark_all_read(*, actor: Actor) -> int:
    """Mark all of one's unread notifications read; returns how many were unread."""
    me = _me(actor)
    return Notification.objects.filter(user=me, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_set(*, actor: Actor, user: User, choices: Mapping[str, Mapping[str, bool]]) -> list[Preference]:
    """Switch email and SMS on or off per kind: `{"returned": {"email": False, "sms": True}, …}`.
    A user sets their own; the system and system admins may set anyone's. Kinds not named keep
    their choice; the inbox cannot be switched off."""
    scope = scope_of(actor)
    if not (scope.is_system or scope.has(Role.SYSADMIN) or (isinstance(actor, User) and actor.pk == user.pk and actor.is_authenticated)):
        raise PermissionDenied("只能修改本人的通知设置 / only your own settings")
    known = set(Kind.values)
    out = []
    was: dict[str, Any] = {}
    for kind, channels in choices.items():
        if kind not in known:
            raise BadInput(f"kind: 未知的通知类别 {kind} / unknown kind", detail={"field": "kind", "value": kind})
        unknown = sorted(set(channels) - {Channel.EMAIL.value, Channel.SMS.value})
        if unknown:
            raise BadInput(f"{kind}.{unknown[0]}: 未知的通知方式 / unknown channel", detail={"field": f"{kind}.{unknown[0]}"})
        for name, value in channels.items():
            if not isinstance(value, bool):
                raise BadInput(f"{kind}.{name}: 应为 true 或 false / must be a boolean", detail={"field": f"{kind}.{name}"})
        pref, _ = Preference.objects.get_or_create(user=user, kind=kind)
        was[kind] = {"email": pref.email, "sms": pref.sms}
        pref.email = channels.get(Channel.EMAIL.value, pref.email)
        pref.sms = channels.get(Channel.SMS.value, pref.sms)
        pref.full_clean()
        pref.save()
        out.append(pref)
    audit_record(
        actor=actor,
        action="notification_preferences_set",
        target_type="user",
        target_id=user.pk,
        data={
            **{p.kind: {"email": p.email, "sms": p.sms} for p in out},
            "changes": audit_changes(was, {p.kind: {"email": p.email, "sms": p.sms} for p in out}),
        },
    )
    return out
