"""Reads of the registry, each knowing who asks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from django.db.models import Q, QuerySet

from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.core import crypto
from yongke.orgs.models import BankAccount, CreditRecord, Organisation, Person


def organisations_visible_to(user) -> QuerySet[Organisation]:
    """Applicants see their own organisation; recommenders their jurisdiction; officers, finance,
    auditors and admins all."""
    scope = scope_of(user)
    qs = Organisation.objects.all()
    if scope.sees_everything or scope.has(Role.OFFICER, Role.FINANCE):
        return qs
    cond = Q(pk__in=scope.organisations)
    if scope.units:
        cond |= Q(zone__in=scope.units) | (Q(zone="") & Q(district__in=scope.units))
    if not scope.roles:
        return qs.none()
    return qs.filter(cond)


def people_visible_to(user) -> QuerySet[Person]:
    scope = scope_of(user)
    if scope.sees_everything or scope.has(Role.OFFICER):
        return Person.objects.all()
    return Person.objects.filter(Q(organisation__in=organisations_visible_to(user)) | Q(user=user) if scope.roles else Q(pk__in=[]))


def may_read_id_number(person: Person, viewer) -> bool:
    """Who sees a person's full 证件号码: the person themselves, an admin of their organisation,
    and an officer of a programme the person applies to (the leader or a team member of an
    application of that programme). Nobody else, whatever their role."""
    scope = scope_of(viewer)
    if scope.is_system:
        return True
    if person.user_id and getattr(viewer, "pk", None) == person.user_id:
        return True
    if person.organisation_id and person.organisation_id in scope.admin_of:
        return True
    if Role.OFFICER not in scope.roles:
        return False
    # Through the reverse relations: the registry sits below the applications app.
    led = Person.objects.filter(pk=person.pk).values_list("led_applications__programme", flat=True)
    member = Person.objects.filter(pk=person.pk).values_list("team_memberships__application__programme", flat=True)
    programmes = {p for p in (*led, *member) if p}
    return any(scope.officer_for(p) for p in programmes)


def person_id_number_for(person: Person, viewer, *, purpose: str = "") -> str:
    """The full ID number for whoever needs it (`may_read_id_number`), each read audited
    (`pii_read`); masked (4501**********1234) for everyone else."""
    from yongke.audit.services import audit_record

    if not may_read_id_number(person, viewer):
        return person.id_number_masked
    if not scope_of(viewer).is_system:
        audit_record(
            actor=viewer, action="pii_read", target_type="person", target_id=person.pk, data={"field": "id_number", "purpose": purpose}
        )
    return crypto.decrypt(person.id_number_encrypted)


def active_credit_records(*, organisation: Organisation | None = None, person: Person | None = None, on: dt.date) -> list[CreditRecord]:
    cond = Q(starts_on__lte=on) & (Q(ends_on__isnull=True) | Q(ends_on__gte=on))
    subject = Q()
    if organisation is not None:
        subject |= Q(organisation=organisation)
    if person is not None:
        subject |= Q(person=person)
    if not subject:
        return []
    return list(CreditRecord.objects.filter(cond & subject))


# The registry's own fields a guide fact may be answered by (a fact's `registry:` in the guide
# file). The guide declares the same names (`yongke.guide.model.RegistryField`); a test holds
# the two equal, as the guide and the registry are independent floors.
REGISTRY_FIELDS: dict[str, Callable[[Organisation], Any]] = {
    "in_city": lambda o: bool(o.district),  # registered in one of the city's districts
    "legal_person": lambda o: o.legal_person,
}


class FactDeclaration(Protocol):
    """What the registry reads of a guide's fact (`yongke.guide.model.Fact`)."""

    @property
    def registry(self) -> str | None: ...


def organisation_facts(organisation: Organisation, *, on: dt.date, facts: Mapping[str, FactDeclaration]) -> dict[str, Any]:
    """The facts of a guide (`facts`, its declarations by name) the registry knows about an
    organisation on a day.

    A fact declaring `registry: <field>` is that field of the registry (`REGISTRY_FIELDS`);
    every other fact comes from the dated attributes holding on that day (the newest when
    several hold).
    """
    out: dict[str, Any] = {}
    for name, fact in facts.items():
        if fact.registry is not None:
            if fact.registry not in REGISTRY_FIELDS:
                raise ValueError(f"{name}: 登记信息中没有字段 {fact.registry} / the registry has no field {fact.registry}")
            out[name] = REGISTRY_FIELDS[fact.registry](organisation)
    for a in organisation.attributes.order_by("valid_from", "id"):
        if a.name not in facts:
            continue
        if a.holds_on(on):
            out[a.name] = a.value
        elif isinstance(a.value, bool) and a.name not in out:
            # Known to the registry, but lapsed (or not yet in force) on that day.
            out[a.name] = False
    return out


def bank_account_of(organisation: Organisation) -> BankAccount | None:
    """The account in force that the organisation receives grants in (None when none is recorded)."""
    return BankAccount.objects.filter(organisation=organisation, replaced_at__isnull=True).first()
