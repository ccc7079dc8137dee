"""The plain data an assignment is computed on, and the result it produces.

Everything is held as numpy arrays over *eligible edges* — the scored pairs that no conflict
excludes — because every solver (flow, LP, sampling) works edge by edge, and 5,000 x 200
edges as Python objects would cost more time than the solve itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
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
        self.scale = integer_scale(self.score)
        self.score_int = np.rint(self.score * self.scale).astype(np.int64)

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
) -> Instance:
    """An instance from Python mappings — for tests and callers that do not go through CSV.

    `loads` maps an expert to (min, max). Applications and experts are numbered in order of
    first appearance in `scores`, as the CSV reader does.
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
    )


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
    return problems
