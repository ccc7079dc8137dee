"""Post-subsidy claims in the lifecycle: quotes with the organisation's real history, claims
found by 免申即享 screening (awaiting the organisation's confirmation), checks at the quoted
amount, and budget allocation across a direction's claims."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from yongke.accounts.actors import Actor, System
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role, scope_of
from yongke.applications import history as hist
from yongke.applications import services as app_services
from yongke.applications.models import Application, Call
from yongke.applications.selectors import direction_programmes, organisation_history
from yongke.applications.workflow import COMMITTED_POST_STATES
from yongke.audit.services import audit_record
from yongke.awards.allocate import allocate
from yongke.awards.quote import award_quote
from yongke.core.errors import BadInput, PermissionDenied, Refused
from yongke.guide.selectors import compiled_for
from yongke.orgs.models import Organisation

# Quote facts that are application fields, not guide facts of the claim.
_FIELD_FACTS = ("requested_amount", "self_raised_amount")


def claim_quote(app: Application) -> dict[str, Any]:
    """The award the claim would receive now, explained, with caps and exclusions across the
    organisation's other claims in the same guide year."""
    compiled = compiled_for(app.guide_version)
    if compiled.award_rule(app.direction) is None:
        raise BadInput(f"方向 {app.direction} 不按公式计算补助 / not a formula award", detail={"field": "direction"})
    # The facts the history decides are left to the quote, which applies the same history to
    # what the claim itself declares (an award received outside the plan is known only so).
    recorded = hist.recorded_facts(compiled.guide)
    facts = {k: v for k, v in app_services.application_stated_facts(app).items() if k not in _FIELD_FACTS and k not in recorded}
    facts.update({k: v for k, v in app.facts.items() if k in recorded})
    year = int(app.guide_version.label) if app.guide_version.label.isdigit() else None
    history = organisation_history(app.organisation, year_label=app.guide_version.label, exclude=app) if year is not None else None
    return award_quote(
        compiled, direction=app.direction, facts=facts, org=app.organisation.uscc, year=year, history=history, decides=recorded
    )


@transaction.atomic
def claim_check(*, actor: Actor, application: Application, comment: str = "") -> tuple[Application, dict[str, Any]]:
    """Check a claim at its quoted amount; a claim the quote refuses is refused with the reasons.
    The organisation's other claims are read under its lock: two checks of its claims at once
    cannot both find the yearly cap's room or a one-time award unpaid."""
    # The application's row, then its organisation's: the order every step takes them in.
    list(Application.objects.select_for_update().filter(pk=application.pk).values_list("pk", flat=True))
    app_services.lock_organisation_history(application.organisation_id)
    quote = claim_quote(application)
    if not quote["eligible"]:
        reasons = "；".join(r["message"] for r in quote["reasons"] if r["code"] != "to_verify")
        app, _ = app_services.application_transition(actor=actor, application=application, action="refuse", comment=reasons or "不符合条件")
        return app, quote
    app, _ = app_services.application_transition(
        actor=actor, application=application, action="check", amount=quote["amount"], comment=comment
    )
    return app, quote


@transaction.atomic
def claims_from_screening(*, actor: Actor, call: Call, found: list[dict[str, Any]]) -> dict[str, Any]:
    """Turn screening results into claims awaiting each organisation's confirmation (意愿确认).

    `found` rows: {"uscc", "direction", "amount", "facts"}. Organisations not in the registry
    and directions not open in the call are reported, not created; a claim already made for
    the same organisation and direction in the call is not made twice.
    """
    authorize_registry_screen(actor=actor, call=call)
    _require_officer_of(
        actor,
        call,
        sorted({str(f["direction"]) for f in found}),
        message="只能为本专项的方向提出免申即享 / your programmes' directions only",
    )
    created, skipped = 0, []
    orgs = {o.uscc: o for o in Organisation.objects.filter(uscc__in=[f["uscc"] for f in found])}
    existing = set(Application.objects.filter(call=call).values_list("organisation__uscc", "direction"))
    guide = compiled_for(call.guide_version).guide
    for row in found:
        org = orgs.get(row["uscc"])
        if org is None:
            skipped.append({**{k: row[k] for k in ("uscc", "direction")}, "reason": "单位不在单位库中 / not in the registry"})
            continue
        if row["direction"] not in call.directions:
            skipped.append({"uscc": row["uscc"], "direction": row["direction"], "reason": "本批次未开放该方向 / not open in this call"})
            continue
        if (org.uscc, row["direction"]) in existing:
            continue
        facts = {k: v for k, v in (row.get("facts") or {}).items() if k in guide.facts and v is not None}
        # The claim is the organisation's (awaiting its confirmation), proposed by the system on
        # the officer's instruction; the officer's own act is audited below.
        app = app_services.application_create(
            actor=System("免申即享"),
            call=call,
            direction=row["direction"],
            organisation=org,
            title=f"{guide.direction(row['direction']).name}（免申即享）",
            facts=facts,
            state="proposed",
        )
        existing.add((org.uscc, row["direction"]))
        created += 1
        audit_record(
            actor=actor,
            action="claim_proposed",
            target_type="application",
            target_id=app.pk,
            to_state="proposed",
            data={"amount": row.get("amount")},
        )
    return {"created": created, "skipped": skipped}


def _carried(call: Call, direction: str) -> int:
    """What the budget a direction's claims draw on (its own, else its project's) already carries
    besides them: the claims published or paid under it, and the checked claims of its other
    directions."""
    key, _budget = call.budget_for(direction)
    return sum(
        int(amount or 0)
        for d, state, amount in Application.objects.filter(
            call=call, funding="post", state__in=(*COMMITTED_POST_STATES, "checked")
        ).values_list("direction", "state", "decided_amount")
        if call.budget_for(d)[0] == key and (state in COMMITTED_POST_STATES or d != direction)
    )


def claims_ranked(user, call: Call, direction: str) -> dict[str, Any]:
    """A direction's claims checked, published or paid, largest first, with the budget line the
    allocation draws: the checked ones scaled to what the budget has left (`claims_allocate`),
    the published and paid ones as they stand."""
    from yongke.applications.selectors import applications_visible_to

    claims = list(
        applications_visible_to(user)
        .filter(call=call, direction=direction, funding="post", state__in=("checked", "published", "paid"))
        .order_by("-decided_amount", "pk")
    )
    key, budget = call.budget_for(direction)
    total = sum(int(c.decided_amount or 0) for c in claims)
    checked = [c for c in claims if c.state == "checked"]
    left = None if budget is None else max(0, budget - _carried(call, direction))
    allocation = allocate(left, [(c.pk, int(c.decided_amount or 0)) for c in checked]) if left is not None and checked else None
    paid = dict(allocation.amounts) if allocation else {}
    return {
        "direction": direction,
        "budget_key": key,
        "budget": budget,
        "claimed": total,
        "fits": left is None or sum(int(c.decided_amount or 0) for c in checked) <= left,
        "left": left,
        "ratio": str(allocation.ratio) if allocation else "1",
        "claims": [
            {
                "id": c.pk,
                "organisation": c.organisation.name,
                "uscc": c.organisation.uscc,
                "state": c.state,
                "amount": int(c.decided_amount or 0),
                "allocated": paid.get(c.pk, int(c.decided_amount or 0)),
            }
            for c in claims
        ],
    }


def _refuse_claims_that_cannot_both_be_paid(call: Call, direction: str, claims: list[Application]) -> None:
    """A one-time award is paid once per organisation and thing: a set holding two such claims
    is refused, both named, before any money is allocated."""
    compiled = compiled_for(call.guide_version)
    award = compiled.award_rule(direction)
    if award is None or award.rule.once is None or not call.guide_version.label.isdigit():
        return
    year = int(call.guide_version.label)
    seen: list[Application] = []
    for c in claims:
        earlier = [o for o in seen if o.organisation_id == c.organisation_id]
        if earlier:
            once = award.rule.once
            raw = [
                {
                    "direction": direction,
                    "year": year,
                    "pending": True,
                    "ref": f"申报 #{o.pk}",
                    "facts": hist.once_entry_facts(once, o.facts),
                }
                for o in earlier
            ]
            entries = hist.parse_history(raw, compiled.guide)
            found = hist.paid_once(entries, once, guide=compiled.guide, direction=direction, year=year, facts=dict(c.facts))
            if found.hits:
                other = found.hits[0].ref
                raise Refused(
                    f"{other} 与 申报 #{c.pk} 是同一单位的同一项{once.what}，只能支付一次，请先退回或驳回其一（指南原文：{once.source}）"
                    " / two claims of one one-time award",
                    code="paid_once",
                    detail={"applications": [int(other.split("#")[1]), c.pk]},
                )
        seen.append(c)


@transaction.atomic
def claims_allocate(*, actor: Actor, call: Call, direction: str) -> dict[str, Any]:
    """Scale a direction's checked claims to its budget (exact, largest remainder) before 公示:
    to what the budget has left once the claims it already carries are counted — those
    published or paid, and the checked claims of the other directions drawing on the same
    budget (a project's)."""
    authorize_claims_allocate(actor=actor, call=call, direction=direction)
    key, budget = call.budget_for(direction)
    if budget is None:
        raise Refused(f"批次未设置方向 {direction} 或项目 {key} 的预算 / no budget set", code="no_budget")
    Call.objects.select_for_update().filter(pk=call.pk).first()  # one allocation or 公示 of the budget at a time
    claims = list(
        Application.objects.select_for_update().filter(call=call, direction=direction, funding="post", state="checked").order_by("pk")
    )
    _refuse_claims_that_cannot_both_be_paid(call, direction, claims)
    carried = _carried(call, direction)
    left = max(0, budget - carried)
    result = allocate(left, [(c.pk, int(c.decided_amount or 0)) for c in claims])
    amounts = dict(result.amounts)
    for c in claims:
        if amounts[c.pk] != c.decided_amount:
            audit_record(
                actor=actor,
                action="claim_allocate",
                target_type="application",
                target_id=c.pk,
                data={"from": c.decided_amount, "to": amounts[c.pk], "budget": budget, "left": left, "ratio": str(result.ratio)},
            )
            c.decided_amount = amounts[c.pk]
            c.save(update_fields=["decided_amount", "updated_at"])
    return {
        "direction": direction,
        "budget": budget,
        "carried": carried,
        "left": left,
        "ratio": str(result.ratio),
        "allocations": [{"id": i, "amount": a} for i, a in result.amounts],
    }


def _require_officer_of(actor: Actor, call: Call, directions: list[str], *, message: str) -> None:
    """The officers of the programmes (专项) of these directions of the call ("*" for all)."""
    scope = require_role(actor, Role.OFFICER, message=message)
    others = sorted(p for p in direction_programmes(call.guide_version, directions) if not scope.officer_for(p))
    if others:
        raise PermissionDenied(message, detail={"programmes": others, "directions": sorted(directions)})


def _own_directions(actor: Actor, call: Call) -> list[str]:
    """The call's directions of the actor's programmes."""
    scope = scope_of(actor)
    return [d for d in call.directions if all(scope.officer_for(p) for p in direction_programmes(call.guide_version, [d]))]


def authorize_claims_allocate(*, actor: Actor, call: Call, direction: str) -> None:
    """Who may allocate a direction's budget among its claims: the officers of its programme."""
    _require_officer_of(actor, call, [direction], message="只有本专项的项目处人员可以分配预算 / officers of the programme only")


def authorize_registry_screen(*, actor: Actor, call: Call) -> None:
    """Who may propose 免申即享 claims for a call: the officers of a programme it opens (checked
    before the work is queued, and again when it runs); each screens their own programmes' directions."""
    require_role(actor, Role.OFFICER, message="只有项目处人员可以发起免申即享 / officers only")
    if not _own_directions(actor, call):
        raise PermissionDenied("本批次没有您负责的专项的方向 / the call opens no direction of your programmes", detail={"call": call.pk})


def _orgs_frame(pl: Any, rows: list[Any]) -> Any:
    """The rows as a table: each an object of plain values (text, number, yes/no, empty), each
    column of one kind; refused naming the row and the column otherwise."""
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise BadInput(f"orgs[{i}]: 每行应为对象（列名: 值）/ each row must be an object", detail={"field": f"orgs[{i}]"})
        for key, value in row.items():
            if value is not None and not isinstance(value, str | int | float | bool):
                raise BadInput(f"orgs[{i}].{key}: 值应为文本、数值或真假值 / must be a plain value", detail={"field": f"orgs[{i}].{key}"})
    try:
        return pl.DataFrame(rows, infer_schema_length=None)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as e:
        raise BadInput(
            f"orgs: 同一列的值类型不一致（{str(e).splitlines()[0]}）/ a column mixes kinds of values", detail={"field": "orgs"}
        ) from None


def organisations_screen(*, actor: Actor, rows: list[dict[str, Any]], directions: list[str] | None = None) -> dict[str, Any]:
    """免申即享 screening of organisations' facts given as rows (name, uscc and facts) under the
    current guide: the awards each may receive, with amounts. Officers only (it reads no
    registry, but it is the officers' tool)."""
    import polars as pl

    from yongke.awards.screen import awards_screen, check_orgs
    from yongke.guide.selectors import guide_version_current

    require_role(actor, Role.OFFICER, message="只有项目处人员可以筛查 / officers only")
    if not rows:
        raise BadInput("orgs: 至少一行 / at least one row", detail={"field": "orgs"})
    compiled = compiled_for(guide_version_current())
    frame = check_orgs(_orgs_frame(pl, rows), compiled)
    result = awards_screen(compiled, frame, directions=directions)
    return {**result.summary(), "awards": result.listed().to_dicts()}


@transaction.atomic
def registry_screen(*, actor: Actor, call: Call) -> dict[str, Any]:
    """免申即享: screen every organisation in the registry against the call's award directions
    with what the registry knows, and propose the claims found (awaiting confirmation).

    Registry facts an organisation has no record of are unknown; an award that depends on
    an unknown fact is not proposed (the organisation may still claim it itself)."""
    import polars as pl
    from django.utils import timezone

    from yongke.awards.screen import NAME, USCC, awards_screen, check_orgs
    from yongke.orgs.selectors import organisation_facts

    authorize_registry_screen(actor=actor, call=call)
    compiled = compiled_for(call.guide_version)
    today = timezone.localdate()
    rows = []
    for org in Organisation.objects.order_by("pk"):
        facts = organisation_facts(org, on=today, facts=compiled.guide.facts)
        rows.append({NAME: org.name, USCC: org.uscc, **facts})
    if not rows:
        return {"created": 0, "skipped": [], "found": 0}
    names = sorted({k for r in rows for k in r} - {NAME, USCC})
    frame = pl.DataFrame([{k: r.get(k) for k in (NAME, USCC, *names)} for r in rows], infer_schema_length=None)
    result = awards_screen(
        compiled, check_orgs(frame, compiled), directions=[d for d in _own_directions(actor, call) if compiled.award_rule(d)]
    )
    # Only awards the registry fully supports: a claim is proposed to an organisation only
    # when every condition is known to hold, never on a guess left to verify.
    listed = [r for r in result.listed().to_dicts() if not r["to_verify"]]
    by_uscc = {r[USCC]: r for r in rows}
    found = [
        {
            "uscc": r[USCC],
            "direction": r["direction"],
            "amount": r["amount"],
            "facts": {k: v for k, v in by_uscc[r[USCC]].items() if k not in (NAME, USCC)},
        }
        for r in listed
    ]
    out = claims_from_screening(actor=actor, call=call, found=found)
    out["found"] = len(found)
    return out
