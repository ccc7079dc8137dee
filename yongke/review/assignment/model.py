"""The plain data an assignment is computed on, and the result it produces.

Everything is held as numpy arrays over *eligible edges* — the scored pairs that no conflict
excludes — because every solver (flow, LP, sampling) works edge by edge, and 5,000 x 200
edges as Python objects would cost more time than the solve itself.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from yongke.core.errors import BadInput

# Scores are turned into integers (score x 10^d) so the min-cost flow and the MILPs compare
# exact integers: a tie or a one-unit improvement is never lost to floating-point noise.
MAX_DECIMALS = 6
# Keeps |cost| x nodes far below 2^63, the range OR-Tools checks before it scales costs.
MAX_SCALED_SCORE = 10**9


class Infeasible(Exception):
    """No assignment meets the constraints; `diagnosis` says why (see `diagnose.py`)."""

    def __init__(self, diagnosis: dict[str, Any]) -> None:
        super().__init__(diagnosis.get("message", "infeasible"))
        self.diagnosis = diagnosis


class SolverError(Exception):
    """A solver stopped for a reason other than infeasibility (a bug or a numerical failure)."""


def integer_scale(score: np.ndarray) -> int:
    """The smallest power of ten that makes every score an integer (at most 10^6).

    Scores typed with up to six decimals are then represented exactly; finer scores are
    rounded to 10^-6, which is the precision every optimality claim is made at.
    """
    if score.size == 0:
        return 1
    biggest = float(np.max(np.abs(score)))
    scale = 1
    for _ in range(MAX_DECIMALS + 1):
        scaled = score * scale
        if np.all(np.abs(scaled - np.rint(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            break
        if biggest * scale * 10 > MAX_SCALED_SCORE:
            break
        scale *= 10
    return scale


@dataclass
class Instance:
    """One assignment problem: who may review what, how well, and how much each expert takes.

    Edges are the eligible pairs only; a conflicted pair is not an edge at all, so no solver
    can ever pick it. `scored` and `conflicted` are kept per application so that a diagnosis
    can say *why* an application has too few candidates.
    """

    applications: list[str]
    experts: list[str]
    k: int
    edge_app: np.ndarray  # int64[E], index into applications
    edge_expert: np.ndarray  # int64[E], index into experts
    score: np.ndarray  # float64[E], as read
    forced: np.ndarray  # bool[E], pairs that must be assigned
    min_load: np.ndarray  # int64[m]
    max_load: np.ndarray  # int64[m]
    scored: np.ndarray  # int64[n], scored pairs per application, conflicted ones included
    conflicted: np.ndarray  # int64[n], scored pairs removed by a conflict
    conflicts_unscored: int = 0  # conflict rows naming a pair that has no score (nothing to remove)
    # Pairs scored at or below the floor are never edges (None: every scored pair may be assigned).
    floor: float | None = None
    # Each expert's organisation (any integer id; -1: none). Given, the experts of one application
    # come from different organisations: at most one per (application, organisation).
    group: np.ndarray | None = None
    below_floor: np.ndarray = field(init=False)  # int64[n], scored pairs removed by the floor
    group_blocked: np.ndarray = field(init=False)  # int64[n], pairs removed: a forced expert of that organisation
    _slots: tuple[np.ndarray, np.ndarray] | None = field(init=False, default=None, repr=False)
    scale: int = field(init=False)
    score_int: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.edge_app = np.asarray(self.edge_app, dtype=np.int64)
        self.edge_expert = np.asarray(self.edge_expert, dtype=np.int64)
        self.score = np.asarray(self.score, dtype=np.float64)
        self.forced = np.asarray(self.forced, dtype=bool)
        self.min_load = np.asarray(self.min_load, dtype=np.int64)
        self.max_load = np.asarray(self.max_load, dtype=np.int64)
        self.scored = np.asarray(self.scored, dtype=np.int64)
        self.conflicted = np.asarray(self.conflicted, dtype=np.int64)
        if self.group is not None:
            self.group = np.asarray(self.group, dtype=np.int64)
            if self.group.shape != (self.m,):
                raise ValueError("group: one organisation per expert")
            if not (self.group >= 0).any():
                self.group = None  # nobody has an organisation: the constraint binds nothing
        self.below_floor = np.zeros(self.n, dtype=np.int64)
        self.group_blocked = np.zeros(self.n, dtype=np.int64)
        self._apply_floor()
        self._apply_groups()
        self._slots = None
        self.scale = integer_scale(self.score)
        self.score_int = np.rint(self.score * self.scale).astype(np.int64)

    def _keep(self, keep: np.ndarray) -> None:
        self.edge_app, self.edge_expert = self.edge_app[keep], self.edge_expert[keep]
        self.score, self.forced = self.score[keep], self.forced[keep]

    def _apply_floor(self) -> None:
        """Drop every pair at or below the floor; a forced pair there is a contradiction, not a choice."""
        if self.floor is None:
            return
        low = self.score <= self.floor
        if (low & self.forced).any():
            i = int(np.flatnonzero(low & self.forced)[0])
            a, e = self.applications[self.edge_app[i]], self.experts[self.edge_expert[i]]
            raise BadInput(
                f"强制配对 {a},{e} 的评分 {self.score[i]:g} 不高于下限 {self.floor:g} / a forced pair is at or below the affinity floor",
                code="forced_below_floor",
                detail={"application": a, "expert": e, "score": float(self.score[i]), "floor": self.floor},
            )
        self.below_floor = np.bincount(self.edge_app[low], minlength=self.n).astype(np.int64)
        self._keep(~low)

    def _apply_groups(self) -> None:
        """With organisations: a forced expert takes their organisation's one place on that application,
        so the other pairs of that organisation there are no edges."""
        if self.group is None or not self.forced.any():
            return
        g = self.group[self.edge_expert]
        key = self.edge_app * (int(self.group.max()) + 1) + g
        taken = np.unique(key[self.forced & (g >= 0)])
        blocked = ~self.forced & (g >= 0) & np.isin(key, taken)
        self.group_blocked = np.bincount(self.edge_app[blocked], minlength=self.n).astype(np.int64)
        self._keep(~blocked)

    def forced_clashes(self) -> np.ndarray:
        """Applications forced to two experts of one organisation (nothing can satisfy them)."""
        if self.group is None or not self.forced.any():
            return np.zeros(0, dtype=np.int64)
        f = np.flatnonzero(self.forced & (self.group[self.edge_expert] >= 0))
        key = self.edge_app[f] * (int(self.group.max()) + 1) + self.group[self.edge_expert[f]]
        uniq, counts = np.unique(key, return_counts=True)
        return np.unique(uniq[counts > 1] // (int(self.group.max()) + 1)).astype(np.int64)

    def slots(self) -> tuple[np.ndarray, np.ndarray]:
        """The (application, organisation) places that bind: those with two or more free pairs.

        (slot of each edge, -1 when it is in none; the application of each slot). Every solver
        adds "at most one pair per slot"; an organisation with a single candidate binds nothing.
        """
        if self._slots is None:
            slot_of = np.full(self.edges, -1, dtype=np.int64)
            slot_app = np.zeros(0, dtype=np.int64)
            if self.group is not None:
                g = self.group[self.edge_expert]
                cand = np.flatnonzero((g >= 0) & ~self.forced)
                key = self.edge_app[cand] * (int(self.group.max()) + 1) + g[cand]
                uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
                multi = counts >= 2
                number = np.cumsum(multi) - 1
                chosen = multi[inverse]
                slot_of[cand[chosen]] = number[inverse[chosen]]
                slot_app = (uniq[multi] // (int(self.group.max()) + 1)).astype(np.int64)
            self._slots = (slot_of, slot_app)
        return self._slots

    @property
    def n(self) -> int:
        return len(self.applications)

    @property
    def m(self) -> int:
        return len(self.experts)

    @property
    def edges(self) -> int:
        return int(self.edge_app.size)

    def forced_per_app(self) -> np.ndarray:
        return np.bincount(self.edge_app[self.forced], minlength=self.n)

    def forced_per_expert(self) -> np.ndarray:
        return np.bincount(self.edge_expert[self.forced], minlength=self.m)

    def eligible_per_app(self) -> np.ndarray:
        return np.bincount(self.edge_app, minlength=self.n)

    def eligible_per_expert(self) -> np.ndarray:
        return np.bincount(self.edge_expert, minlength=self.m)


def build_instance(
    scores: Mapping[tuple[str, str], float],
    *,
    k: int,
    min_load: int = 0,
    max_load: int,
    conflicts: Iterable[tuple[str, str]] = (),
    forced: Iterable[tuple[str, str]] = (),
    loads: Mapping[str, tuple[int, int]] | None = None,
    floor: float | None = None,
    organisations: Mapping[str, Hashable] | None = None,
) -> Instance:
    """An instance from Python mappings — for tests and callers that do not go through CSV.

    `loads` maps an expert to (min, max). Applications and experts are numbered in order of
    first appearance in `scores`, as the CSV reader does. `floor`: pairs scored at or below it
    are never assigned. `organisations` maps an expert to their organisation (None or missing:
    none): when given, no application gets two experts of one organisation.
    """
    conflict_set = set(conflicts)
    forced_set = set(forced)
    if conflict_set & forced_set:
        raise BadInput("同一配对既回避又强制 / a pair is both conflicted and forced", code="bad_input")
    apps: dict[str, int] = {}
    experts: dict[str, int] = {}
    ea: list[int] = []
    ee: list[int] = []
    sc: list[float] = []
    fo: list[bool] = []
    scored_pairs: list[int] = []
    conflicted_pairs: list[int] = []
    for (a, e), s in scores.items():
        ai = apps.setdefault(a, len(apps))
        ej = experts.setdefault(e, len(experts))
        scored_pairs.append(ai)
        if (a, e) in conflict_set:
            conflicted_pairs.append(ai)
            continue
        if not math.isfinite(s):
            raise BadInput(f"评分不是有限数 {a},{e} / score is not finite", code="bad_score")
        ea.append(ai)
        ee.append(ej)
        sc.append(float(s))
        fo.append((a, e) in forced_set)
    missing = forced_set - set(scores)
    if missing:
        raise BadInput(f"强制配对没有评分 {sorted(missing)[0]} / forced pair has no score", code="forced_unscored")
    for e in loads or {}:
        experts.setdefault(e, len(experts))
    lo = np.full(len(experts), min_load, dtype=np.int64)
    hi = np.full(len(experts), max_load, dtype=np.int64)
    for e, (emin, emax) in (loads or {}).items():
        lo[experts[e]], hi[experts[e]] = emin, emax
    return Instance(
        applications=list(apps),
        experts=list(experts),
        k=k,
        edge_app=np.array(ea, dtype=np.int64),
        edge_expert=np.array(ee, dtype=np.int64),
        score=np.array(sc, dtype=np.float64),
        forced=np.array(fo, dtype=bool),
        min_load=lo,
        max_load=hi,
        scored=np.bincount(np.array(scored_pairs, dtype=np.int64), minlength=len(apps)),
        conflicted=np.bincount(np.array(conflicted_pairs, dtype=np.int64), minlength=len(apps)),
        conflicts_unscored=len(conflict_set - set(scores)),
        floor=floor,
        group=group_ids(list(experts), organisations) if organisations is not None else None,
    )


def group_ids(experts: list[str], organisations: Mapping[str, Hashable]) -> np.ndarray:
    """Each expert's organisation as a small integer (-1: none), in the order of `experts`."""
    ids: dict[Hashable, int] = {}
    out = np.full(len(experts), -1, dtype=np.int64)
    for j, e in enumerate(experts):
        org = organisations.get(e)
        if org is not None and org != "":
            out[j] = ids.setdefault(org, len(ids))
    return out


@dataclass
class Assignment:
    """A solved assignment: the chosen edges plus what each mode wants on the record."""

    instance: Instance
    mode: str
    chosen: np.ndarray  # int64 edge indices, ascending
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    def app_totals(self) -> np.ndarray:
        """Each application's affinity: the sum of its assigned experts' scores."""
        inst = self.instance
        return np.bincount(inst.edge_app[self.chosen], weights=inst.score[self.chosen], minlength=inst.n)

    def app_totals_int(self) -> np.ndarray:
        inst = self.instance
        return np.bincount(inst.edge_app[self.chosen], weights=inst.score_int[self.chosen].astype(np.float64), minlength=inst.n).astype(
            np.int64
        )

    def total(self) -> float:
        return float(self.instance.score[self.chosen].sum())

    def worst(self) -> tuple[str | None, float]:
        """The worst-served application and its affinity (None when there are none)."""
        if self.instance.n == 0:
            return None, 0.0
        totals = self.app_totals()
        i = int(np.argmin(totals))
        return self.instance.applications[i], float(totals[i])

    def as_mapping(self) -> dict[str, list[dict[str, Any]]]:
        """The file contract: {application_id: [{"expert": id, "score": s}]}, best first."""
        inst = self.instance
        out: dict[str, list[dict[str, Any]]] = {a: [] for a in inst.applications}
        order = self.chosen[np.lexsort((-inst.score[self.chosen], inst.edge_app[self.chosen]))]
        apps, experts = inst.applications, inst.experts
        for e, ai, s in zip(order.tolist(), inst.edge_app[order].tolist(), inst.score[order].tolist(), strict=True):
            out[apps[ai]].append({"expert": experts[inst.edge_expert[e]], "score": s})
        return out


def violations(inst: Instance, chosen: np.ndarray) -> list[str]:
    """Every way `chosen` breaks the constraints; empty when it is a valid assignment.

    Used by the tests and, cheaply, after every solve: a solver bug must never reach a file.
    """
    problems: list[str] = []
    chosen = np.asarray(chosen, dtype=np.int64)
    if chosen.size and (chosen.min() < 0 or chosen.max() >= inst.edges):
        return ["edge index out of range"]
    if np.unique(chosen).size != chosen.size:
        problems.append("a pair is assigned twice")
    per_app = np.bincount(inst.edge_app[chosen], minlength=inst.n)
    bad = np.flatnonzero(per_app != inst.k)
    if bad.size:
        problems.append(f"{bad.size} applications do not get exactly k={inst.k} experts")
    load = np.bincount(inst.edge_expert[chosen], minlength=inst.m)
    bad = np.flatnonzero((load < inst.min_load) | (load > inst.max_load))
    if bad.size:
        problems.append(f"{bad.size} experts outside their load bounds")
    missing = np.setdiff1d(np.flatnonzero(inst.forced), chosen)
    if missing.size:
        problems.append(f"{missing.size} forced pairs missing")
    if inst.floor is not None and (inst.score[chosen] <= inst.floor).any():
        problems.append("a pair at or below the affinity floor is assigned")
    if inst.group is not None:
        g = inst.group[inst.edge_expert[chosen]]
        key = inst.edge_app[chosen][g >= 0] * (int(inst.group.max()) + 1) + g[g >= 0]
        if np.unique(key).size != key.size:
            problems.append("an application has two experts of one organisation")
    return problems
