"""Writes that a portal page makes in one step out of several domain services.

Each only sequences domain services inside one transaction and checks nothing those services
would not; see docs/portal.md for why they live here (the domain lacks them, reported).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from yongke.accounts.models import Role
from yongke.accounts.selectors import scope_of
from yongke.accounts.services import user_add
from yongke.core.errors import Conflict, PermissionDenied
from yongke.orgs.models import Organisation
from yongke.orgs.services import organisation_upsert, person_create
from yongke.orgs.validators import check_uscc


@transaction.atomic
def registration_submit(*, organisation: dict[str, Any], username: str, password: str, full_name: str = "", email: str = ""):
    """A new organisation and its first account (its admin), both or neither.

    `organisation_upsert` would overwrite an organisation already registered under the same
    code; a self-registration must never do that, so an existing code is a conflict.
    """
    verdict = check_uscc(organisation.get("uscc", ""))
    if verdict.valid and Organisation.objects.filter(uscc=verdict.value).exists():
        raise Conflict("该统一社会信用代码已注册，请联系本单位管理员开通账户 / already registered", code="organisation_exists",
                       detail={"field": "uscc", "value": verdict.value})
    org, _ = organisation_upsert(actor=None, data=organisation)
    user = user_add(actor=None, username=username, password=password, role=Role.ORG_ADMIN, organisation=org, full_name=full_name, email=email)
    return org, user


@transaction.atomic
def member_create(*, actor, organisation: Organisation, username: str, password: str, full_name: str, email: str = "",
                  id_number: str = "", title: str = ""):
    """An organisation admin adds a member account; with an ID number the member is also
    registered as a person who may lead projects."""
    if organisation.pk not in scope_of(actor).admin_of:
        raise PermissionDenied("只有本单位管理员可以创建成员账户 / org admins only")
    user = user_add(actor=actor, username=username, password=password, role=Role.APPLICANT, organisation=organisation,
                    full_name=full_name, email=email)
    person = None
    if id_number:
        person = person_create(actor=actor, name=full_name, id_number=id_number, organisation=organisation, title=title, user=user)
    return user, person
