"""Reads of the inbox: everyone sees their own notifications and nobody else's."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet

from yongke.accounts.actors import Viewer
from yongke.core.errors import NotFound
from yongke.notifications.models import Kind, Notification, Preference


def _person(user: Viewer) -> User | None:
    return user if isinstance(user, User) and user.is_authenticated and user.is_active else None


def notifications_for(user: Viewer, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's own notifications, newest first (nothing for nobody or the system);
    `unread=True` only the unread, `False` only the read."""
    me = _person(user)
    if me is None:
        return Notification.objects.none()
    qs = Notification.objects.filter(user=me)
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs


def notification_for(user: Viewer, pk: int) -> Notification:
    """One of the user's notifications; another's is missing, exactly as one that does not exist."""
    n = notifications_for(user).filter(pk=pk).first()
    if n is None:
        raise NotFound(f"通知 {pk} 不存在 / not found", detail={"id": pk})
    return n


def unread_count(user: Viewer) -> int:
    return notifications_for(user, unread=True).count()


@dataclass(frozen=True)
class Choice:
    kind: str
    label: str
    email: bool
    sms: bool


def preferences_for(user: Viewer) -> list[Choice]:
    """The user's email and SMS choice for every kind (on unless switched off)."""
    me = _person(user)
    saved = {p.kind: p for p in Preference.objects.filter(user=me)} if me is not None else {}
    return [
        Choice(kind=k.value, label=str(k.label), email=saved[k].email if k in saved else True, sms=saved[k].sms if k in saved else True)
        for k in Kind
    ]


def phone_of(user: User) -> str:
    """The mobile number SMS goes to: the one registered with the user's person record."""
    person = getattr(user, "person", None)
    return (getattr(person, "phone", "") or "").strip()


def email_of(user: User) -> str:
    """The address email goes to: the account's, else the person record's."""
    person = getattr(user, "person", None)
    return (user.email or getattr(person, "email", "") or "").strip()
