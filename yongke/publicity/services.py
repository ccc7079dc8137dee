"""Every write of the 公示: an objection lodged by anyone, its handling by an officer, a call's
contact for objections. Each is atomic, checked and audited."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone

from yongke.accounts.actors import Actor, System, user_of
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role, scope_of
from yongke.applications.models import Application, Call
from yongke.audit.services import audit_record
from yongke.audit.services import changes as audit_changes
from yongke.core.errors import BadInput, NotFound, PermissionDenied, Refused
from yongke.core.workdays import format_deadline
from yongke.publicity.models import CallPublicity, Objection

# The public 公示 page acts as this: whoever lodges an objection is named in it, not signed in.
PUBLIC_PAGE = System("publicity")

# A mainland mobile (11 digits), a fixed line with its area code (0771-5551234, extension
# allowed) or an e-mail address: an objection nobody can answer cannot be handled.
_PHONE = re.compile(r"^(?:\+?86)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REASONS_MIN = 10  # characters: the reasons an officer can act on, not a bare "有异议"
HANDLING_MIN = 4
OUTCOMES = {
    Objection.Outcome.UPHELD: "异议成立",
    Objection.Outcome.DISMISSED: "异议不成立",
    Objection.Outcome.NOT_ACCEPTED: "不予受理",
}


def objection_errors(*, name: str, contact: str, reasons: str) -> dict[str, str]:
    """What is wrong with an objection as typed, by field, every problem at once (empty: none)."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "异议人：请填写真实姓名或单位名称（匿名异议不予受理）"
    elif len(name.strip()) > 100:
        errors["name"] = "异议人：不超过100个字"
    plain = re.sub(r"[\s()（）]", "", contact)
    if not plain:
        errors["contact"] = "联系方式：请填写手机号、固定电话或电子邮箱"
    elif not (_PHONE.match(plain) or _EMAIL.match(plain)) or len(plain) > 100:
        errors["contact"] = "联系方式：应为手机号（11位）、带区号的固定电话或电子邮箱"
    if len(reasons.strip()) < REASONS_MIN:
        errors["reasons"] = f"异议内容及理由：请写明异议的事实和理由（至少{REASONS_MIN}个字）"
    return errors


def _bad(errors: dict[str, str], gloss: str) -> BadInput:
    first = next(iter(errors))
    return BadInput("；".join(errors.values()) + f" / {gloss}", detail={"field": first, "errors": errors})


@transaction.atomic
def objection_lodge(
    *,
    application: Application,
    name: str,
    contact: str,
    reasons: str,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> Objection:
    """An objection to an application in 公示, from anyone, named and reachable, within the window.

    A public write: nobody need sign in (the 公示 invites objections from the public), so it
    takes no actor and acts as the public page (PUBLIC_PAGE) in the audit log."""
    now = now or timezone.now()
    app = Application.objects.select_for_update(of=("self",)).filter(pk=application.pk, state="published").first()
    if app is None:
        raise NotFound("该项目不在公示中 / not in publicity", detail={"application": application.pk})
    errors = objection_errors(name=name, contact=contact, reasons=reasons)
    if errors:
        raise _bad(errors, "the objection is incomplete")
    if app.objection_ends_at is None or now >= app.objection_ends_at:
        ends = format_deadline(app.objection_ends_at) if app.objection_ends_at else ""
        raise Refused(
            f"该项目的公示异议期已于 {ends}（北京时间）结束，不再受理异议 / the objection window has closed",
            code="objection_window_closed",
            detail={"objection_ends_at": ends},
        )
    objection = Objection(
        application=app,
        name=name.strip(),
        contact=contact.strip(),
        reasons=reasons.strip(),
        lodged_at=now,
        address=address,
    )
    objection.full_clean()
    objection.save()
    audit_record(
        actor=PUBLIC_PAGE,
        action="objection_lodge",
        target_type="application",
        target_id=app.pk,
        address=address,
        data={"objection": objection.pk},
    )
    return objection


@transaction.atomic
def objection_handle(*, actor: Actor, objection: Objection, outcome: str, handling: str, now: dt.datetime | None = None) -> Objection:
    """The officer of the application's programme records how an objection was handled."""
    obj = Objection.objects.select_for_update(of=("self",)).select_related("application").get(pk=objection.pk)
    if not scope_of(actor).officer_for(obj.application.programme):
        raise PermissionDenied("只有本专项的项目处可以处理异议 / officers of the programme only", detail={"objection": obj.pk})
    errors: dict[str, str] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "处理结果：请选择异议成立、异议不成立或不予受理"
    if len(handling.strip()) < HANDLING_MIN:
        errors["handling"] = f"处理情况：请写明核查和处理的情况（至少{HANDLING_MIN}个字）"
    if errors:
        raise _bad(errors, "the handling is incomplete")
    before = obj.outcome
    obj.outcome = outcome
    obj.handling = handling.strip()
    obj.handled_by = user_of(actor)
    obj.handled_at = now or timezone.now()
    obj.full_clean()
    obj.save()
    audit_record(
        actor=actor,
        action="objection_handle",
        target_type="application",
        target_id=obj.application_id,
        comment=obj.handling,
        data={"objection": obj.pk, "outcome": outcome, "before": before},
    )
    return obj


@transaction.atomic
def call_publicity_set(*, actor: Actor, call: Call, contact: str) -> CallPublicity:
    """A call's contact for objections, shown on its 公示 (else the settings' default)."""
    require_role(actor, Role.OFFICER, Role.SYSADMIN)
    text = " ".join(contact.split())
    if not text:
        raise BadInput(
            "异议受理联系方式：请填写联系人及电话或地址 / contact required",
            detail={"field": "contact", "errors": {"contact": "异议受理联系方式：请填写联系人及电话或地址"}},
        )
    if len(text) > 300:
        raise BadInput(
            "异议受理联系方式：不超过300个字 / at most 300 characters",
            detail={"field": "contact", "errors": {"contact": "异议受理联系方式：不超过300个字"}},
        )
    was = CallPublicity.objects.filter(call=call).values_list("contact", flat=True).first()
    row, _ = CallPublicity.objects.update_or_create(call=call, defaults={"contact": text, "updated_by": user_of(actor)})
    audit_record(
        actor=actor,
        action="call_publicity_set",
        target_type="call",
        target_id=call.pk,
        data={"contact": text, "changes": audit_changes({"contact": was}, {"contact": text})},
    )
    return row
