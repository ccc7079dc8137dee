"""Why an instance has no assignment, in words an officer can act on.

Simple counts come first because they name the culprit directly: this application has only
two eligible experts; this expert's minimum exceeds what they may review; the minimums add
up to more reviews than there are. When every count passes and the instance is still
infeasible, the cause is a *group*, and a minimum cut of a max flow is its certificate:
applications whose eligible experts together cannot take their reviews, or experts whose
minimums the applications they may review cannot fill. A third cut checks both kinds of
bound at once (the lower-bound transformation of the solver's own network); in thousands
of random trials the first two always sufficed, but it keeps any other case explained. If
even that finds nothing — or the solver failed for another reason — the diagnosis says so
plainly rather than guess.

The affinity floor and the one-expert-per-organisation rule narrow the candidates: an
application's counts then say how many pairs the floor removed (`below_floor`) and from how
many organisations its candidates come (`organisations`), and the cuts run on the solver's
network with its organisation nodes.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .flow import min_cut, pair_tails
from .model import Instance

LIST_IN_MESSAGE = 10


def _names(ids: list[str], idx: np.ndarray) -> str:
    shown = "、".join(ids[i] for i in idx[:LIST_IN_MESSAGE].tolist())
    return shown + (f" 等 {idx.size} 个" if idx.size > LIST_IN_MESSAGE else "")


def _units(x: int, q: int) -> int | float:
    """A count held in units of 1/q, back in reviews (a fraction only in random mode)."""
    return x // q if x % q == 0 else round(x / q, 3)


def diagnose(inst: Instance, *, cap: tuple[int, int] = (1, 1), reason: str | None = None) -> dict[str, Any]:
    """A JSON-ready diagnosis: {"feasible": false, "message", "problems": [...]}.

    `cap=(p, q)` is random mode's probability cap p/q: an application then needs k/cap
    eligible experts, not k. `reason` is a solver status other than infeasible, reported as is.
    """
    p, q = min(cap[0], cap[1]), cap[1]
    problems: list[dict[str, Any]] = []
    if reason:
        problems.append(
            {
                "code": "solver_failed",
                "message": f"求解器异常终止：{reason} / the solver failed: {reason}",
            }
        )
    n, m, k = inst.n, inst.m, inst.k
    experts = inst.experts
    fa, fe = inst.forced_per_app(), inst.forced_per_expert()
    free = ~inst.forced
    free_a = np.bincount(inst.edge_app[free], minlength=n)
    free_e = np.bincount(inst.edge_expert[free], minlength=m)
    cap_text = "" if p == q else f"（每对概率上限 {Fraction(p, q)}）"
    cap_gloss = "" if p == q else f" (pair probability cap {Fraction(p, q)})"

    problems.extend(_application_problems(inst, p, q, fa, free_a, cap_text, cap_gloss))
    bad = np.flatnonzero(fe > inst.max_load)
    if bad.size:
        problems.append(
            {
                "code": "expert_forced_over_max",
                "message": f"专家 {_names(experts, bad)} 的强制配对多于其负荷上限 / forced pairs exceed the expert's maximum load",
                "experts": [{"expert": experts[j], "forced": int(fe[j]), "max": int(inst.max_load[j])} for j in bad.tolist()],
            }
        )
    reach_e = fe * q + p * free_e
    bad = np.flatnonzero(inst.min_load * q > reach_e)
    if bad.size:
        problems.append(
            {
                "code": "expert_min_unreachable",
                "message": (
                    f"专家 {_names(experts, bad)} 的负荷下限高于其可评申请数{cap_text}"
                    f" / the expert's minimum load exceeds the applications they may review{cap_gloss}"
                ),
                "experts": [{"expert": experts[j], "min": int(inst.min_load[j]), "eligible": int(fe[j] + free_e[j])} for j in bad.tolist()],
            }
        )
    need = k * n
    sum_min = int(inst.min_load.sum())
    if sum_min > need:
        problems.append(
            {
                "code": "sum_of_minimums_too_high",
                "message": (
                    f"专家负荷下限之和 {sum_min} 超过评审总量 k×申请数 = {need} / the sum of minimum loads exceeds k x applications"
                ),
                "sum_min": sum_min,
                "reviews": need,
            }
        )
    sum_max = int(inst.max_load.sum())
    usable = int(np.minimum(inst.max_load * q, reach_e).sum())
    if usable < need * q:
        problems.append(
            {
                "code": "sum_of_maximums_too_low",
                "message": (
                    f"专家负荷上限之和 {sum_max}（按各自可评申请数折算为 {_units(usable, q)}）少于评审总量 k×申请数 = {need}"
                    f" / the sum of maximum loads (capped by what each expert may review) is below k x applications"
                ),
                "sum_max": sum_max,
                "usable": _units(usable, q),
                "reviews": need,
            }
        )
    if not problems or (reason and len(problems) == 1):
        problems.extend(_cuts(inst, p, q, fa, fe, free))
    if not problems:
        problems.append(
            {
                "code": "unexplained",
                "message": (
                    "求解器判定不可行，但以上各项检查都未找到原因 / the solver reports the instance infeasible "
                    "for a reason these checks do not cover"
                ),
            }
        )
    return {
        "feasible": False,
        "message": "; ".join(pr["message"] for pr in problems),
        "problems": problems,
    }


def _reach(inst: Instance, p: int, q: int, fa: np.ndarray) -> np.ndarray:
    """Per application, the most review units (1/q each) its candidates can give: p per pair, and
    at most one review (q) from each organisation's candidates when organisations bind."""
    free = np.flatnonzero(~inst.forced)
    slot_of, slot_app = inst.slots()
    direct = free[slot_of[free] < 0]
    reach = fa * q + p * np.bincount(inst.edge_app[direct], minlength=inst.n)
    if slot_app.size:
        size = np.bincount(slot_of[slot_of >= 0], minlength=slot_app.size)
        reach = reach + np.bincount(slot_app, weights=np.minimum(q, p * size), minlength=inst.n).astype(np.int64)
    return np.asarray(reach, dtype=np.int64)


def _organisations(inst: Instance, i: int) -> int:
    """How many different organisations application i's candidates come from (one without any counts alone)."""
    assert inst.group is not None
    g = inst.group[inst.edge_expert[inst.edge_app == i]]
    return int(np.unique(g[g >= 0]).size + (g < 0).sum())


def _application_problems(
    inst: Instance, p: int, q: int, fa: np.ndarray, free_a: np.ndarray, cap_text: str, cap_gloss: str
) -> list[dict[str, Any]]:
    """Applications forced beyond k or onto one organisation twice, and those with too few candidates."""
    k, apps = inst.k, inst.applications
    out: list[dict[str, Any]] = []
    bad = np.flatnonzero(fa > k)
    if bad.size:
        out.append(
            {
                "code": "application_forced_over_k",
                "message": f"申请 {_names(apps, bad)} 的强制配对多于每份申请的专家数 k={k} / forced pairs exceed k",
                "applications": [{"application": apps[i], "forced": int(fa[i])} for i in bad.tolist()],
            }
        )
    clash = inst.forced_clashes()
    if clash.size:
        out.append(
            {
                "code": "application_forced_same_organisation",
                "message": (
                    f"申请 {_names(apps, clash)} 被强制安排了同一单位的两位专家，而同一申请的专家须来自不同单位"
                    " / two forced experts of one application are of one organisation"
                ),
                "applications": [{"application": apps[i]} for i in clash.tolist()],
            }
        )
    plain = fa * q + p * free_a
    short = (_reach(inst, p, q, fa) < k * q) & (fa <= k)
    bad = np.flatnonzero(short & (plain < k * q))
    if bad.size:
        floor_text = "" if inst.floor is None else f"、匹配度高于 {inst.floor:g}"
        floor_gloss = "" if inst.floor is None else f", affinity above {inst.floor:g}"
        out.append(
            {
                "code": "application_too_few_eligible",
                "message": (
                    f"申请 {_names(apps, bad)} 的可选专家（有评分{'、' if floor_text else '且'}不回避{floor_text}）不足 k={k} 位{cap_text}"
                    f" / fewer than k eligible (scored, non-conflicted{floor_gloss}) experts{cap_gloss}"
                ),
                "applications": [_counts(inst, i, p, q, fa) for i in bad.tolist()],
            }
        )
    bad = np.flatnonzero(short & (plain >= k * q))
    if bad.size:
        out.append(
            {
                "code": "application_too_few_organisations",
                "message": (
                    f"申请 {_names(apps, bad)} 的可选专家来自的单位不足 k={k} 个（同一申请的专家须来自不同单位）{cap_text}"
                    f" / the eligible experts come from fewer than k organisations (one expert per organisation){cap_gloss}"
                ),
                "applications": [_counts(inst, i, p, q, fa) for i in bad.tolist()],
            }
        )
    return out


def _counts(inst: Instance, i: int, p: int, q: int, fa: np.ndarray) -> dict[str, Any]:
    """What an officer needs to see about one application's candidates."""
    k = inst.k
    row: dict[str, Any] = {
        "application": inst.applications[i],
        "eligible": int(np.count_nonzero(inst.edge_app == i)),
        "scored": int(inst.scored[i]),
        "conflicted": int(inst.conflicted[i]),
        "needed": k if p == q else int(fa[i]) + -(-(k - int(fa[i])) * q // p),
    }
    if inst.floor is not None:
        row["below_floor"] = int(inst.below_floor[i])
    if inst.group is not None:
        row["organisations"] = _organisations(inst, i)
        if inst.group_blocked[i]:
            row["same_organisation_as_forced"] = int(inst.group_blocked[i])
    return row


def _pair_arcs(inst: Instance, free: np.ndarray, slot_base: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The free pairs' arcs as the solver builds them (tail, expert node), and the slot arcs
    (application, slot node), with slot nodes numbered from slot_base."""
    tails, slot_app = pair_tails(inst, free)
    n, m = inst.n, inst.m
    tails = np.where(tails >= n + m + 1, tails - (n + m + 1) + slot_base, tails)
    return tails, inst.edge_expert[free] + n, slot_app, slot_base + np.arange(slot_app.size)


def _cuts(inst: Instance, p: int, q: int, fa: np.ndarray, fe: np.ndarray, free: np.ndarray) -> list[dict[str, Any]]:
    """Group shortfalls found as minimum cuts: apps short of experts, experts short of apps, both."""
    n, m, k = inst.n, inst.m, inst.k
    apps, experts = inst.applications, inst.experts
    demand = np.maximum(k - fa, 0) * q
    upper = np.maximum(inst.max_load - fe, 0) * q
    lower = np.maximum(inst.min_load - fe, 0) * q
    free = np.flatnonzero(free)
    arc_cap = np.full(free.size, p, dtype=np.int64)
    out: list[dict[str, Any]] = []

    # Applications whose eligible experts, all together, cannot take their reviews (Hall).
    s, t = n + m, n + m + 1
    ea, ee, sa, sn = _pair_arcs(inst, free, n + m + 2)
    slot_cap = np.full(sa.size, q, dtype=np.int64)
    tails = np.concatenate([np.full(n, s), ea, np.arange(n, n + m), sa])
    heads = np.concatenate([np.arange(n), ee, np.full(m, t), sn])
    flow, side = min_cut(tails, heads, np.concatenate([demand, arc_cap, upper, slot_cap]), s, t)
    if flow < demand.sum():
        group = side[(side < n)]
        group = group[demand[group] > 0]
        short = int(demand.sum()) - flow
        need = int(demand[group].sum())
        out.append(
            {
                "code": "applications_short_of_experts",
                "message": (
                    f"申请 {_names(apps, group)} 共需 {_units(need, q)} 个评审名额，但它们的可选专家在负荷上限内最多只能承担 "
                    f"{_units(need - short, q)} 个 / these applications need more reviews than their eligible experts can take"
                ),
                "applications": [apps[i] for i in group.tolist()],
                "reviews_needed": _units(need, q),
                "reviews_available": _units(need - short, q),
            }
        )
        return out

    # Experts whose minimum loads the applications they may review cannot fill.
    tails = np.concatenate([np.full(m, s), ee, np.arange(n), sn])
    heads = np.concatenate([np.arange(n, n + m), ea, np.full(n, t), sa])
    flow, side = min_cut(tails, heads, np.concatenate([lower, arc_cap, demand, slot_cap]), s, t)
    if flow < lower.sum():
        group = side[(side >= n) & (side < n + m)] - n
        group = group[lower[group] > 0]
        short = int(lower.sum()) - flow
        need = int(lower[group].sum())
        out.append(
            {
                "code": "experts_short_of_applications",
                "message": (
                    f"专家 {_names(experts, group)} 的负荷下限共 {_units(need, q)}，但他们可评的申请最多只能提供 "
                    f"{_units(need - short, q)} 个评审 / these experts' minimum loads cannot be filled by the applications they may review"
                ),
                "experts": [experts[j] for j in group.tolist()],
                "minimum_total": _units(need, q),
                "reviews_available": _units(need - short, q),
            }
        )
        return out

    # Both kinds of bound together: the lower-bound transformation as a max flow (Hoffman).
    sink, ss, tt = n + m, n + m + 1, n + m + 2
    ea, ee, sa, sn = _pair_arcs(inst, free, n + m + 3)
    rest = int(demand.sum() - lower.sum())
    tails = np.concatenate([np.full(n, ss), ea, np.arange(n, n + m), np.arange(n, n + m), [sink], sa])
    heads = np.concatenate([np.arange(n), ee, np.full(m, sink), np.full(m, tt), [tt], sn])
    caps = np.concatenate([demand, arc_cap, upper - lower, lower, [max(rest, 0)], slot_cap])
    flow, side = min_cut(tails, heads, caps, ss, tt)
    if flow < demand.sum():
        ga = side[side < n]
        ge = side[(side >= n) & (side < n + m)] - n
        out.append(
            {
                "code": "loads_conflict",
                "message": (
                    f"申请 {_names(apps, ga)} 与专家 {_names(experts, ge)} 之间，每份申请 k={k} 位专家与专家负荷上下限无法同时满足"
                    f"（缺 {_units(int(demand.sum()) - flow, q)} 个评审）/ k per application and the load bounds cannot all hold for these applications and experts"
                ),
                "applications": [apps[i] for i in ga.tolist()],
                "experts": [experts[j] for j in ge.tolist()],
                "shortfall": _units(int(demand.sum()) - flow, q),
            }
        )
    return out
