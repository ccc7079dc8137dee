"""One min-cost flow with lower bounds: the exact optimum of the assignment.

The network is apps -> experts -> sink. Each application supplies k units; each eligible
pair is an arc of capacity 1 and cost -score; each expert's arc to the sink carries between
min and max units. Lower bounds are removed by the standard transformation — the expert
arc keeps capacity max - min, the expert node demands min units and the sink demands the
rest — so a *single* flow sees every bound at once. Solving "max loads first, then patch
the minimums" with two flows, or greedily, is what misses the optimum when minimums bind.

The constraint matrix is totally unimodular, so the integral flow OR-Tools returns is also
an optimum of the LP relaxation: nothing fractional can do better.

`cap=(p, q)` scales every unit by q and caps each pair at p: the integral optimum of that
network is the exact optimum of the LP with x_ij <= p/q, which is what random mode samples
from.

Experts of different organisations (`Instance.group`): each (application, organisation) with
two or more candidates becomes a node between the application and those experts, reached by
one arc of capacity one review (q units). The network stays a network — the application rows
and their organisation rows are one laminar family, the expert rows another — so the matrix
is still totally unimodular and the flow is still the LP optimum, constraint included.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from .model import Instance, SolverError


def _bounds(inst: Instance, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Per-application supply and per-expert (lower, upper) after forced pairs, in units of 1/q.

    None when a forced pair alone already breaks a bound (the diagnosis names it).
    """
    fa = inst.forced_per_app()
    fe = inst.forced_per_expert()
    supply = (inst.k - fa) * q
    upper = (inst.max_load - fe) * q
    lower = np.maximum(inst.min_load - fe, 0) * q
    if (supply < 0).any() or (upper < 0).any() or inst.forced_clashes().size:
        return None
    return supply, lower, upper


def solve_flow(inst: Instance, *, cap: tuple[int, int] = (1, 1)) -> np.ndarray | None:
    """Flow on every edge (units of 1/q; forced edges carry q), or None when infeasible.

    Costs are the integer-scaled scores (see `model.integer_scale`), so the optimum is exact.
    """
    p, q = cap
    p = min(p, q)
    flows = np.where(inst.forced, q, 0).astype(np.int64)
    if inst.n == 0:
        return flows if not (inst.min_load > 0).any() else None
    b = _bounds(inst, q)
    if b is None:
        return None
    supply, lower, upper = b
    total = int(supply.sum())
    rest = total - int(lower.sum())
    if rest < 0:
        return None
    n, m = inst.n, inst.m
    free = np.flatnonzero(~inst.forced)
    tails, slot_app = pair_tails(inst, free)
    g = min_cost_flow.SimpleMinCostFlow()
    if free.size:
        g.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int32),
            (inst.edge_expert[free] + n).astype(np.int32),
            np.full(free.size, p, dtype=np.int64),
            -inst.score_int[free],
        )
    if m:
        g.add_arcs_with_capacity_and_unit_cost(
            np.arange(n, n + m, dtype=np.int32),
            np.full(m, n + m, dtype=np.int32),
            (upper - lower).astype(np.int64),
            np.zeros(m, dtype=np.int64),
        )
    if slot_app.size:
        g.add_arcs_with_capacity_and_unit_cost(
            slot_app.astype(np.int32),
            np.arange(n + m + 1, n + m + 1 + slot_app.size, dtype=np.int32),
            np.full(slot_app.size, q, dtype=np.int64),
            np.zeros(slot_app.size, dtype=np.int64),
        )
    supplies = np.concatenate([supply, -lower, [-rest], np.zeros(slot_app.size)]).astype(np.int64)
    g.set_nodes_supplies(np.arange(n + m + 1 + slot_app.size, dtype=np.int32), supplies)
    status = g.solve()
    if status == g.INFEASIBLE or status == g.UNBALANCED:
        return None
    if status != g.OPTIMAL:
        raise SolverError(f"min-cost flow status {status!r}")
    if free.size:
        flows[free] = g.flows(np.arange(free.size, dtype=np.int32))
    return flows


def pair_tails(inst: Instance, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The node each pair's arc leaves from, and each organisation slot's application.

    Nodes: applications 0..n-1, experts n..n+m-1, the sink n+m, then one node per slot
    (`Instance.slots`). A pair in a slot leaves from the slot's node, any other from its
    application.
    """
    slot_of, slot_app = inst.slots()
    s = slot_of[edges]
    tails = np.where(s >= 0, inst.n + inst.m + 1 + s, inst.edge_app[edges])
    return tails, slot_app


def min_cut(tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, source: int, sink: int) -> tuple[int, np.ndarray]:
    """Max-flow value and the source side of a minimum cut (the diagnosis's certificate)."""
    g = max_flow.SimpleMaxFlow()
    if tails.size:
        g.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64))
    # The terminals may have no arcs of their own; a zero arc makes sure both nodes exist.
    g.add_arc_with_capacity(source, sink, 0)
    status = g.solve(source, sink)
    if status != g.OPTIMAL:
        raise SolverError(f"max-flow status {status!r}")
    side = np.asarray(g.get_source_side_min_cut(), dtype=np.int64)
    return int(g.optimal_flow()), side
