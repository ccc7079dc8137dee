"""Random mode (随机抽取): a draw with a cap on every pair's probability, replayable from its seed.

Two steps, each exact:

1. Marginals. The LP "maximise expected affinity, each pair's probability <= Q" is the
   assignment flow with every pair arc capped at Q. With Q = p/q, multiplying every
   capacity and supply by q turns it into an integral min-cost flow whose optimum, divided
   by q, is an optimal vertex of that LP (see `flow.solve_flow`). Forced pairs keep
   probability 1 — an obligation outranks the cap.
2. Sampling. Dependent rounding on the bipartite graph (Gandhi, Khuller, Parthasarathy and
   Srinivasan, JACM 2006): repeatedly take a cycle or a maximal path of fractional pairs,
   split it into two alternating matchings and shift probability mass between them by
   (+alpha, -alpha) with probability beta/(alpha+beta), else (-beta, +beta). Each pair's
   expected value never changes, so every pair is drawn with exactly its marginal
   probability (<= Q); an application's total is unchanged at every step (k exactly); an
   expert's load ends at the floor or ceiling of its fractional load, inside its integer
   bounds. All arithmetic is in integer units of 1/q and the coin is
   `randrange(alpha + beta) < beta`, so the draw is an exact function of the seed.

With organisations (`Instance.group`) the graph is the flow's own network: a pair in an
(application, organisation) slot hangs from the slot's node, which hangs from the application
by an arc carrying the slot's total. A walk pushes +step along the arcs it follows forward and
-step along those it follows backward, so every node keeps its balance; the slot's arc ends at
0 or 1, so no application ever gets two experts of one organisation. Without organisations the
walks, the coins and therefore the draws are exactly those of the bipartite graph.
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np

from yongke.core.errors import BadInput

from .flow import pair_tails
from .model import Instance, SolverError

MAX_DENOMINATOR = 10**6


def as_cap(value: str | float | Fraction) -> Fraction:
    """The probability cap as an exact fraction in (0, 1], never above what was asked for.

    A decimal string is taken exactly (the text 0.35 is 7/20); anything finer than 10^-6 is rounded
    *down*, so the promise "no pair above Q" still holds.
    """
    try:
        f = Fraction(str(value)) if not isinstance(value, Fraction) else value
    except (ValueError, ZeroDivisionError):
        f = Fraction(-1)
    if not 0 < f <= 1:
        raise BadInput(
            f"max_prob 应在 (0, 1] 之内「{value}」 / max_prob must be in (0, 1]", code="bad_max_prob", detail={"field": "max_prob"}
        )
    if f.denominator > MAX_DENOMINATOR:
        f = Fraction(int(f * MAX_DENOMINATOR), MAX_DENOMINATOR)
    return f


def dependent_round(inst: Instance, flows: np.ndarray, q: int, rng: random.Random) -> np.ndarray:
    """Round flows (units of 1/q, each in [0, q]) to a 0/1 choice with the same marginals."""
    graph = _FractionalGraph(inst, flows, q)
    cursor = 0
    while graph.remaining:
        while graph.next_edge(cursor, -1) < 0:
            cursor += 1
        is_cycle, edges, end = graph.walk(cursor)
        if not is_cycle:
            # A path found from an arbitrary start may not be maximal; walking again from its
            # dead end gives a cycle or a path whose both ends are dead ends.
            _, edges, _ = graph.walk(end)
        graph.shift(edges, rng)

    chosen = flows == q
    pairs = graph.f[: graph.pairs]
    chosen[graph.edge_ids[np.array(pairs, dtype=np.int64) == q]] = True
    return np.flatnonzero(chosen)


class _FractionalGraph:
    """The fractional arcs of the flow (applications 0..n-1, experts n..n+m-1, organisation slots
    from n+m+1), their flows in integer units of 1/q; an arc leaves the graph when its flow
    reaches 0 or q. The first `pairs` arcs are pairs (their edge ids in `edge_ids`), the rest
    slot arcs (application -> slot)."""

    def __init__(self, inst: Instance, flows: np.ndarray, q: int) -> None:
        n = inst.n
        self.q = q
        self.edge_ids = np.flatnonzero((flows > 0) & (flows < q))
        self.pairs = int(self.edge_ids.size)
        tails, slot_app = pair_tails(inst, self.edge_ids)
        self.f: list[int] = flows[self.edge_ids].tolist()
        self.ends_a: list[int] = tails.tolist()  # the tail of each arc
        self.ends_e: list[int] = (inst.edge_expert[self.edge_ids] + n).tolist()  # its head
        if slot_app.size:
            slot_of = inst.slots()[0]
            grouped = np.flatnonzero(slot_of >= 0)
            totals = np.bincount(slot_of[grouped], weights=flows[grouped].astype(np.float64), minlength=slot_app.size)
            slot_flow = np.rint(totals).astype(np.int64)
            frac = np.flatnonzero((slot_flow > 0) & (slot_flow < q))
            self.f += slot_flow[frac].tolist()
            self.ends_a += slot_app[frac].tolist()
            self.ends_e += (n + inst.m + 1 + frac).tolist()
        self.fractional = [True] * len(self.f)
        self.remaining = len(self.f)
        self.adj: list[list[int]] = [[] for _ in range(n + inst.m + 1 + slot_app.size)]
        for e, (a, x) in enumerate(zip(self.ends_a, self.ends_e, strict=True)):
            self.adj[a].append(e)
            self.adj[x].append(e)

    def next_edge(self, v: int, came: int) -> int:
        """A fractional edge at v other than the one we came by; -1 at a dead end."""
        lst, fractional = self.adj[v], self.fractional
        while lst and not fractional[lst[-1]]:
            lst.pop()
        for e in reversed(lst):
            if fractional[e] and e != came:
                return e
        return -1

    def walk(self, start: int) -> tuple[bool, list[tuple[int, bool]], int]:
        """Follow fractional arcs from start until a node repeats (cycle) or a dead end (path).

        Each arc comes with whether it was followed forward (tail to head)."""
        ends_a, ends_e = self.ends_a, self.ends_e
        seen = {start: 0}
        edges: list[tuple[int, bool]] = []
        v, came = start, -1
        while True:
            e = self.next_edge(v, came)
            if e < 0:
                return False, edges, v
            forward = ends_a[e] == v
            w = ends_e[e] if forward else ends_a[e]
            edges.append((e, forward))
            if w in seen:
                return True, edges[seen[w] :], w
            seen[w] = len(edges)
            v, came = w, e

    def shift(self, walked: list[tuple[int, bool]], rng: random.Random) -> None:
        """Move mass around a cycle or along a maximal path: the arcs followed in the first arc's
        sense gain what the others lose, (+alpha, -alpha) with probability beta/(alpha+beta), else
        (-beta, +beta), so every arc keeps its expected value and every inner node its balance.
        (On the bipartite graph these are its two alternating matchings.)"""
        f, q = self.f, self.q
        first = walked[0][1]
        up = [e for e, forward in walked if forward == first]
        down = [e for e, forward in walked if forward != first]
        edges = [e for e, _ in walked]
        alpha = min([q - f[e] for e in up] + [f[e] for e in down])
        beta = min([f[e] for e in up] + [q - f[e] for e in down])
        if alpha <= 0 or beta <= 0:
            raise SolverError("dependent rounding found no room to move")
        step = alpha if rng.randrange(alpha + beta) < beta else -beta
        for e in up:
            f[e] += step
        for e in down:
            f[e] -= step
        for e in edges:
            if f[e] == 0 or f[e] == q:
                self.fractional[e] = False
                self.remaining -= 1
