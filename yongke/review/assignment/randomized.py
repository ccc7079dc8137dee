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
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np

from yongke.core.errors import BadInput

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
    chosen[graph.edge_ids[np.array(graph.f, dtype=np.int64) == q]] = True
    return np.flatnonzero(chosen)


class _FractionalGraph:
    """The fractional pairs as a bipartite graph (applications 0..n-1, experts n..n+m-1),
    their flows in integer units of 1/q; a pair leaves the graph when its flow reaches 0 or q."""

    def __init__(self, inst: Instance, flows: np.ndarray, q: int) -> None:
        n = inst.n
        self.q = q
        self.edge_ids = np.flatnonzero((flows > 0) & (flows < q))
        self.f: list[int] = flows[self.edge_ids].tolist()
        self.ends_a: list[int] = inst.edge_app[self.edge_ids].tolist()
        self.ends_e: list[int] = (inst.edge_expert[self.edge_ids] + n).tolist()
        self.fractional = [True] * len(self.f)
        self.remaining = len(self.f)
        self.adj: list[list[int]] = [[] for _ in range(n + inst.m)]
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

    def walk(self, start: int) -> tuple[bool, list[int], int]:
        """Follow fractional edges from start until a node repeats (cycle) or a dead end (path)."""
        ends_a, ends_e = self.ends_a, self.ends_e
        seen = {start: 0}
        edges: list[int] = []
        v, came = start, -1
        while True:
            e = self.next_edge(v, came)
            if e < 0:
                return False, edges, v
            w = ends_e[e] if ends_a[e] == v else ends_a[e]
            edges.append(e)
            if w in seen:
                return True, edges[seen[w] :], w
            seen[w] = len(edges)
            v, came = w, e

    def shift(self, edges: list[int], rng: random.Random) -> None:
        """Move mass between the two alternating matchings of a cycle or maximal path: (+alpha, -alpha)
        with probability beta/(alpha+beta), else (-beta, +beta), so every pair keeps its expected value."""
        f, q = self.f, self.q
        up, down = edges[0::2], edges[1::2]
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
