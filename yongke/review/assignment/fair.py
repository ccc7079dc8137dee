"""Fair mode: raise the worst-served application first, then maximise the total.

Lexicographic and exact: t* is the largest value such that some valid assignment gives
every application an affinity (the sum of its experts' scores) of at least t*; among those
assignments, the one with the largest total is returned.

Why not the textbook MILP (a binary per pair, "affinity >= t" rows, maximise t, then the
total)? Max-min allocation is NP-hard, and that model's LP relaxation is weak — half a great
expert plus half a poor one meets an application's row on paper — so branch and bound must
close a wide gap over a million columns; on the benchmark instance HiGHS had not finished
its root node after five minutes. The method here keeps every step exact and small:

1. **Bisection over the threshold.** Scores are integers here (`model.integer_scale`), so
   t* is an integer. The optimal mode's worst application is a feasible lower end; the
   smallest "best this application could get on its own" is an upper end nothing can beat.
   The upper end is tried first (it is usually attained), then an integer bisection.
2. **check(T)**: the max-total assignment with every application >= T, or a proof that
   none exists. It maximises the total, so the last successful check *is* phase two.

   * Pairs that cannot appear (score + the best k-1 other scores of that application < T)
     are dropped.
   * A *configuration* LP: one column per (application, set of k experts reaching T), so
     each application's own constraint holds exactly inside every column — the strongest
     relaxation for per-application constraints (on the benchmark it had no gap at all).
     Columns are generated: pricing an application means "best k experts by reduced profit
     whose scores reach T". Most applications need only a sort; the rest get a small branch
     and bound (`_search`) whose bound uses a Lagrangian multiplier on the score row
     (`_multipliers`). Artificial columns with a big-M cost let the LP start anywhere; if
     any survive, an exact phase one decides: if even the LP cannot meet the loads with
     every application >= T, no assignment can.
   * Lagrangian bound and fixing: for the expert duals v of the final LP, every assignment
     has total <= L(v) - sum over applications of how far its chosen set falls below that
     application's best reduced profit. So an assignment better than L(v) - G uses, for
     every application, a set within G of its best. Those sets are enumerated and a MILP
     over them is solved (HiGHS). If its optimum is >= L(v) - G, nothing outside can beat
     it; otherwise G becomes L(v) - that optimum and one more round is exact. An
     application with too many sets within G is modelled by its pairs instead (a binary
     per pair plus its own row), which is equally exact.
   * If no enumerated family is feasible, G grows until the enumeration is complete, where
     the MILP's infeasibility is a proof.

Experts of different organisations (`Instance.group`): a set is a column only if its experts
come from different organisations. "At most one per organisation, k in all" is a matroid, so
the best set by any weight is still greedy (each organisation's best, then the top k of those),
and every bound above — which drops that rule — stays a valid bound; the branch and bound skips
a second expert of an organisation already in the set, and a pair-modelled application gets a
row per organisation.

A time limit (`time_limit`, seconds) bounds the whole fair phase: each LP and MILP is given
what is left of it, the branch and bound looks at the clock, and when it runs out the best
assignment found so far is returned with what is proven about it: the worst application's
affinity lies between `threshold` and `threshold_upper_bound`, and the total is within
`gap.total` of the best total at that threshold. Without a stop both gaps are zero.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .model import Instance, SolverError, violations

# Initial Lagrangian gap, as a fraction of k x one score unit of 1.0 (10^-3 of a typical total).
START_GAP = 5e-4
# Beyond this many sets within the gap, an application is modelled by its pairs instead.
MAX_SETS_PER_APP = 300
MAX_PRICING_ROUNDS = 1000
DEFAULT_TIME_LIMIT = 30.0  # seconds for the fair phase when the caller sets none
CLOCK_EVERY = 2048  # branch-and-bound nodes between two looks at the clock


class Stopped(Exception):
    """The time limit ran out. `partial`: an assignment meeting the threshold being checked,
    with an upper bound on the best total at that threshold, when the MILP had one."""

    def __init__(self, partial: tuple[np.ndarray, float, float] | None = None) -> None:
        super().__init__("time limit reached")
        self.partial = partial


def top_mask(app_sorted: np.ndarray, grp_sorted: np.ndarray | None, r: np.ndarray) -> np.ndarray:
    """Within each application's run (sorted best first), its best r positions with at most one per
    organisation (grp >= 0; -1: none): each organisation's first, then the first r of those.
    Greedy is exact here: "r in all, one per organisation" is a matroid."""
    size = app_sorted.size
    if grp_sorted is None:
        eligible = np.ones(size, dtype=bool)
    else:
        eligible = grp_sorted < 0
        grouped = np.flatnonzero(grp_sorted >= 0)
        if grouped.size:
            key = app_sorted[grouped] * (int(grp_sorted.max()) + 1) + grp_sorted[grouped]
            _, first = np.unique(key, return_index=True)
            eligible[grouped[first]] = True
    idx = np.flatnonzero(eligible)
    a = app_sorted[idx]
    rank = np.arange(idx.size) - np.searchsorted(a, a, side="left")
    mask = np.zeros(size, dtype=bool)
    mask[idx[rank < r[a]]] = True
    return mask


_banner_shown = False


def quiet_highs() -> Any:
    """A silent HiGHS instance.

    highspy prints a banner on fd 1 the first time a `Highs` is built in a process, which
    would corrupt the JSON the CLI writes on stdout. That first construction has fd 1
    pointed at stderr for its duration; later ones need nothing.
    """
    global _banner_shown
    import highspy

    if _banner_shown:
        h = highspy.Highs()
    else:
        saved = os.dup(1)
        try:
            os.dup2(2, 1)
            h = highspy.Highs()
            _banner_shown = True
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


def _sorted_free(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-forced pairs sorted by (application, score descending), per-app starts, prefix sums."""
    free = np.flatnonzero(~inst.forced)
    order = free[np.lexsort((-inst.score_int[free], inst.edge_app[free]))]
    starts = np.searchsorted(inst.edge_app[order], np.arange(inst.n + 1))
    csum = np.concatenate([[0], np.cumsum(inst.score_int[order])])
    return order, starts, csum


def _forced_sum(inst: Instance) -> np.ndarray:
    return np.bincount(inst.edge_app[inst.forced], weights=inst.score_int[inst.forced].astype(float), minlength=inst.n).astype(np.int64)


SortedFree = tuple[np.ndarray, np.ndarray, np.ndarray]


def best_possible(inst: Instance, sf: SortedFree | None = None) -> np.ndarray:
    """Each application's affinity if it alone chose: forced pairs plus its best free pairs
    (one per organisation when organisations bind)."""
    order, starts, csum = sf or _sorted_free(inst)
    if inst.group is None:
        r = np.clip(inst.k - inst.forced_per_app(), 0, starts[1:] - starts[:-1])
        best: np.ndarray = _forced_sum(inst) + csum[starts[:-1] + r] - csum[starts[:-1]]
        return best
    r = np.maximum(inst.k - inst.forced_per_app(), 0)
    a = inst.edge_app[order]
    chosen = top_mask(a, inst.group[inst.edge_expert[order]], r)
    picked = np.bincount(a[chosen], weights=inst.score_int[order][chosen].astype(float), minlength=inst.n).astype(np.int64)
    grouped: np.ndarray = _forced_sum(inst) + picked
    return grouped


def _usable(inst: Instance, T: int, sf: SortedFree | None = None) -> np.ndarray | None:
    """Free pairs that can appear in an assignment where every application reaches T (None: none can)."""
    sf = sf or _sorted_free(inst)
    if (best_possible(inst, sf) < T).any():
        return None
    order, starts, csum = sf
    r = np.maximum(inst.k - inst.forced_per_app(), 0)
    rest = csum[starts[:-1] + np.maximum(r - 1, 0)] - csum[starts[:-1]]
    need = T - _forced_sum(inst) - rest  # the least score a free pair must have to leave room for T
    a = inst.edge_app[order]
    usable: np.ndarray = order[(inst.score_int[order] >= need[a]) & (r[a] > 0)]
    return usable


def _search(
    w: list[float] | np.ndarray,
    s: list[int] | np.ndarray,
    r: int,
    tau: int,
    *,
    lam: float = 0.0,
    floor: float | None = None,
    cap: int = 1,
    incumbent: float = -np.inf,
    groups: np.ndarray | None = None,
    deadline: float = np.inf,
) -> list[tuple[float, tuple[int, ...]]] | None:
    """Sets of r positions with sum(s) >= tau: the best by sum(w) (floor None), or all with sum(w) >= floor.

    A small branch and bound. For any lam >= 0 and any completion C of a partial set,
    sum_C w <= sum_C (w + lam s) - lam (tau - s so far), and with positions sorted by
    w + lam s the best completion is the next positions — so both tests below only get worse
    as the position moves right and the loop stops at the first failure. `lam` near the
    Lagrangian optimum (see `_multipliers`) makes the bound tight and the tree tiny; lam = 0
    is still correct. Returns None when more than `cap` sets qualify. In best mode,
    `incumbent` is the weight of a set already known to reach tau: only strictly better sets
    are looked for (an empty list means none exists). `groups` (per position, -1: none): a set
    holds at most one position of each group. Past `deadline` (perf_counter) it raises Stopped.
    """
    if len(w) < r:
        return []
    tree = _SetSearch(w, s, r, tau, lam=lam, floor=floor, cap=cap, incumbent=incumbent, groups=groups, deadline=deadline)
    if r == 0:
        return [(0.0, ())] if tau <= 0 else []
    if not tree.branch(0, r, 0.0, 0):
        return None
    return [(v, tuple(sorted(tree.perm[list(c)].tolist()))) for v, c in tree.found]


class _SetSearch:
    """The branch and bound of `_search`: positions sorted by w + lam s, the bounds' tables, and the sets found."""

    def __init__(
        self,
        w: list[float] | np.ndarray,
        s: list[int] | np.ndarray,
        r: int,
        tau: int,
        *,
        lam: float,
        floor: float | None,
        cap: int,
        incumbent: float,
        groups: np.ndarray | None = None,
        deadline: float = np.inf,
    ) -> None:
        size = len(w)
        wv = np.asarray(w, dtype=np.float64)
        sv = np.asarray(s, dtype=np.int64)
        key = wv + lam * sv
        self.perm = np.argsort(-key, kind="stable")
        self.W: list[float] = wv[self.perm].tolist()
        self.S: list[int] = sv[self.perm].tolist()
        self.ck: list[float] = np.concatenate([[0.0], np.cumsum(key[self.perm])]).tolist()
        # top_s[p][q]: the sum of the q largest s among positions p.. (q <= r), to prune sets
        # that can no longer reach tau.
        low = np.iinfo(np.int64).min // 4
        grid = np.where(np.arange(size)[None, :] >= np.arange(size)[:, None], sv[self.perm][None, :], low)
        q = min(r, size)
        part = -np.sort(-np.partition(grid, size - q, axis=1)[:, size - q :], axis=1) if q else np.zeros((size, 0), dtype=np.int64)
        self.top_s: list[list[int]] = np.concatenate([np.zeros((size, 1), dtype=np.int64), np.cumsum(part, axis=1)], axis=1).tolist()
        self.size, self.tau, self.lam, self.cap = size, tau, lam, cap
        self.found: list[tuple[float, tuple[int, ...]]] = []
        self.best = incumbent
        # Far above float64 rounding of these sums, far below one score unit.
        self.eps = 1e-12 * (1.0 + float(np.abs(key).sum())) + 1e-9
        self.combo: list[int] = []
        self.best_mode = floor is None
        self.lo_floor = (floor - self.eps) if floor is not None else 0.0
        # Each position's group (-1: none) and the groups the partial set holds.
        self.G: list[int] | None = None if groups is None else np.asarray(groups, dtype=np.int64)[self.perm].tolist()
        self.held: set[int] = set()
        self.deadline, self.nodes = deadline, 0

    def branch(self, start: int, need: int, cur_w: float, cur_s: int) -> bool:
        """Extend the partial set `combo` by `need` positions from `start` on; False when more than `cap` sets qualify."""
        W, S, ck, top_s, tau, eps, G, held = self.W, self.S, self.ck, self.top_s, self.tau, self.eps, self.G, self.held
        best_mode, lo_floor = self.best_mode, self.lo_floor
        self.nodes += 1
        if self.nodes % CLOCK_EVERY == 0 and time.perf_counter() > self.deadline:
            raise Stopped()
        slack = self.lam * (tau - cur_s)
        for p in range(start, self.size - need + 1):
            # Both bounds ignore the groups, so they only overestimate: stopping on them stays exact.
            bound = cur_w + ck[p + need] - ck[p] - slack
            if (bound <= self.best + eps) if best_mode else (bound < lo_floor):
                break
            if cur_s + top_s[p][need] < tau:
                break
            g = G[p] if G is not None else -1
            if g >= 0 and g in held:
                continue  # a second expert of an organisation already in the set
            if need == 1:
                if S[p] + cur_s >= tau and not self.complete(p, cur_w + W[p]):
                    return False
                continue
            self.combo.append(p)
            if g >= 0:
                held.add(g)
            ok = self.branch(p + 1, need - 1, cur_w + W[p], cur_s + S[p])
            held.discard(g)
            self.combo.pop()
            if not ok:
                return False
        return True

    def complete(self, p: int, total: float) -> bool:
        """The partial set plus position p reaches tau: keep it if it qualifies; False when more than `cap` sets do."""
        if self.best_mode:
            if total > self.best + self.eps:
                self.best = total
                self.found[:] = [(total, (*self.combo, p))]
        elif total >= self.lo_floor:
            self.found.append((total, (*self.combo, p)))
            if len(self.found) > self.cap:
                return False
        return True


def _multipliers(group: np.ndarray, w: np.ndarray, s: np.ndarray, r: np.ndarray, tau: np.ndarray, steps: int = 10) -> np.ndarray:
    """For each group (an application's candidates, grouped), a lam >= 0 near argmin of the
    Lagrangian bound max_{|S|=r} sum(w + lam s) - lam tau, by bisection on the sign of its
    slope in log space. Any lam gives a valid bound; a good one prunes `_search` hard.
    """
    ng = r.size
    gstart = np.searchsorted(group, np.arange(ng + 1))
    lo = np.full(ng, -4.0)
    hi = np.full(ng, 4.0)
    for _ in range(steps):
        mid = (lo + hi) / 2
        key = w + (10.0**mid)[group] * s
        # One float sort instead of a lexsort: groups are spaced wider than any key range.
        # Rounding can only swap near-equal keys, which moves lam a little — any lam is valid.
        span = float(key.max() - key.min()) * 2.0 + 1.0 if key.size else 1.0
        order = np.argsort(group * span - key)
        g = group[order]
        top = np.arange(order.size) - gstart[g] < r[g]
        slope = np.bincount(g[top], weights=s[order][top].astype(float), minlength=ng) - tau
        hi = np.where(slope >= 0, mid, hi)
        lo = np.where(slope < 0, mid, lo)
    return 10.0**hi


@dataclass
class _Pricing:
    """One pricing pass: each application's best set by reduced profit, and how to get it."""

    best: np.ndarray  # float[n], best sum of free-pair weights
    order: np.ndarray  # positions into the free-pair arrays, by (app, weight desc)
    hard: dict[int, tuple[int, ...]]  # app -> positions (into order slice) of its best set
    lam: dict[int, float]  # app -> the multiplier its search used (hard apps only)


class _Check:
    """check(T): everything about one threshold, from pruning to the exact MILP."""

    def __init__(self, solver: FairSolver, T: int, free: np.ndarray) -> None:
        inst = solver.inst
        self.solver, self.inst, self.T = solver, inst, T
        n = inst.n
        self.free = free[np.argsort(inst.edge_app[free], kind="stable")]
        self.app = inst.edge_app[self.free]
        self.expert = inst.edge_expert[self.free]
        self.s = inst.score_int[self.free]
        self.starts = np.searchsorted(self.app, np.arange(n + 1))
        fa = inst.forced_per_app()
        self.r = np.maximum(inst.k - fa, 0)
        self.fsum = _forced_sum(inst)
        self.tau = T - self.fsum
        forced = np.flatnonzero(inst.forced)
        self.forced = forced[np.argsort(inst.edge_app[forced], kind="stable")]
        self.fstarts = np.searchsorted(inst.edge_app[self.forced], np.arange(n + 1))
        self.tol = 1e-7 * max(1.0, float(np.abs(inst.score_int).max(initial=1)) * max(inst.k, 1))
        # Each free pair's organisation (-1: none), when organisations bind.
        self.grp: np.ndarray | None = None if inst.group is None else inst.group[self.expert]
        # Each application's best set by score (one per organisation): it reaches tau whenever any set does.
        self.by_score = top_mask(self.app, self.grp, self.r)

    # ----------------------------------------------------------------- pricing

    def price(self, w: np.ndarray, cut: np.ndarray | None = None) -> _Pricing:
        """Best set per application for pair weights w (aligned with self.free).

        With `cut`, an application whose Lagrangian set (best by w + lam s, which reaches
        tau) already weighs more than its cut is given that set without the exact search:
        column generation only needs *an* improving column, and a round that adds one is
        never the last, so every weight the final bound uses is still exact.
        """
        n = self.inst.n
        # One float sort instead of a lexsort (3x faster on a million pairs): applications are
        # spaced wider than the range of w, and the ~1e-6 rounding at that magnitude can only
        # swap near-ties, far inside the slack the bound allows (see `solve`).
        span = float(w.max() - w.min()) * 2.0 + 1.0 if w.size else 1.0
        order = np.argsort(self.app * span - w)
        app_sorted = self.app[order]
        rank = np.arange(order.size) - self.starts[app_sorted]
        top = rank < self.r[app_sorted]
        regrouped = np.zeros(0, dtype=np.int64)
        if self.grp is not None:
            # The best r by weight, one per organisation (greedy is exact on that matroid).
            grouped_top = top_mask(app_sorted, self.grp[order], self.r)
            regrouped = np.unique(app_sorted[top != grouped_top])
            top = grouped_top
        ws = w[order]
        best = np.bincount(app_sorted[top], weights=ws[top], minlength=n)
        reach = np.bincount(app_sorted[top], weights=self.s[order][top].astype(float), minlength=n)
        hard: dict[int, tuple[int, ...]] = {}
        lams: dict[int, float] = {}
        hard_apps = np.flatnonzero(reach < self.tau - 0.5)
        if hard_apps.size:
            self._price_hard(w, cut, order, rank, best, hard, lams, hard_apps)
        for i in regrouped.tolist():
            if i not in hard:  # its best set is not simply its first r positions
                hard[i] = tuple(np.flatnonzero(top[self.starts[i] : self.starts[i + 1]]).tolist())
        return _Pricing(best, order, hard, lams)

    def _price_hard(
        self,
        w: np.ndarray,
        cut: np.ndarray | None,
        order: np.ndarray,
        rank: np.ndarray,
        best: np.ndarray,
        hard: dict[int, tuple[int, ...]],
        lams: dict[int, float],
        hard_apps: np.ndarray,
    ) -> None:
        """The applications whose best set by weight misses tau: a Lagrangian set that already beats
        the cut, else the exact branch and bound; fills best, hard and lams for them."""
        n = self.inst.n
        app_sorted = self.app[order]
        ws = w[order]
        # The best-by-score set reaches tau whenever any set does, so its weight is a
        # floor for the search; a pair that cannot lift a set to that floor is skipped.
        first, r = self.starts[:-1], self.r
        by_score = self.by_score
        floor = np.bincount(self.app[by_score], weights=w[by_score], minlength=n)
        cw = np.concatenate([[0.0], np.cumsum(ws)])
        top_r1 = cw[first + np.maximum(r - 1, 0)] - cw[first]
        useful = (rank < r[app_sorted] - 1) | (ws + top_r1[app_sorted] >= floor[app_sorted] - self.tol)
        is_hard = np.zeros(n, dtype=bool)
        is_hard[hard_apps] = True
        cand = np.flatnonzero(useful & is_hard[app_sorted])
        gid = np.searchsorted(hard_apps, app_sorted[cand])
        lam = _multipliers(gid, ws[cand], self.s[order][cand], r[hard_apps], self.tau[hard_apps].astype(float))
        quick: dict[int, tuple[float, np.ndarray]] = {}
        if cut is not None:
            key = ws[cand] + lam[gid] * self.s[order][cand]
            o2 = np.lexsort((-key, gid))
            top2 = top_mask(gid[o2], None if self.grp is None else self.grp[order][cand][o2], r[hard_apps])
            sel = cand[o2][top2]
            g_sel = gid[o2][top2]
            wsum = np.bincount(g_sel, weights=ws[sel], minlength=hard_apps.size)
            ssum = np.bincount(g_sel, weights=self.s[order][sel].astype(float), minlength=hard_apps.size)
            good = np.flatnonzero((ssum >= self.tau[hard_apps] - 0.5) & (wsum > cut[hard_apps]))
            for g in good.tolist():
                quick[int(hard_apps[g])] = (float(wsum[g]), sel[g_sel == g])
        for g, i in enumerate(hard_apps.tolist()):
            lams[i] = float(lam[g])
            if i in quick:
                best[i] = quick[i][0]
                hard[i] = tuple(sorted((quick[i][1] - self.starts[i]).tolist()))
                continue
            lo, hi = self.starts[i], self.starts[i + 1]
            local = np.flatnonzero(useful[lo:hi])
            pos = order[lo:hi][local]
            res = _search(
                w[pos],
                self.s[pos],
                int(self.r[i]),
                int(self.tau[i]),
                lam=float(lam[g]),
                incumbent=float(floor[i]),
                groups=None if self.grp is None else self.grp[pos],
                deadline=self.solver.deadline,
            )
            if res:
                best[i] = res[0][0]
                hard[i] = tuple(local[list(res[0][1])].tolist())
            else:  # nothing beats the best-by-score set
                best[i] = floor[i]
                seg = order[lo:hi]
                rank_of = np.empty(seg.size, dtype=np.int64)
                rank_of[seg - lo] = np.arange(seg.size)
                hard[i] = tuple(sorted(rank_of[np.flatnonzero(by_score[lo:hi])].tolist()))

    def best_set(self, pr: _Pricing, i: int) -> np.ndarray:
        """Free edge ids of application i's best set in a pricing pass."""
        lo, hi = self.starts[i], self.starts[i + 1]
        seg = pr.order[lo:hi]
        chosen: np.ndarray = self.free[seg[list(pr.hard[i])]] if i in pr.hard else self.free[seg[: self.r[i]]]
        return chosen

    # ----------------------------------------------------------------- the configuration LP

    def column(self, i: int, free_edges: np.ndarray) -> tuple[float, np.ndarray]:
        """(cost, row indices) of the set: application row i, and the row of each expert in it."""
        inst = self.inst
        edges = np.concatenate([self.forced[self.fstarts[i] : self.fstarts[i + 1]], free_edges])
        rows = np.concatenate([[i], inst.n + inst.edge_expert[edges]])
        return float(inst.score_int[edges].sum()), rows

    def lp(self, ref: np.ndarray) -> tuple[np.ndarray, float, _Pricing] | None:
        """Column generation on the configuration LP: (expert duals v, bound L(v), last pricing), or None if infeasible.

        Artificial columns (+1 and -1 on every expert row) let the LP start from any sets.
        They first carry a big-M penalty, which usually drives them out while the real
        objective is optimised (one pass). Only if some remain does an exact phase one run
        (maximise -sum of artificials): if even that LP cannot reach zero, no assignment
        with every application >= T exists.
        """
        import highspy

        inst, n, m = self.inst, self.inst.n, self.inst.m
        h = quiet_highs()
        h.setOptionValue("presolve", "off")
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.addRows(
            n + m,
            np.concatenate([np.ones(n), inst.min_load]).astype(float),
            np.concatenate([np.ones(n), inst.max_load]).astype(float),
            0,
            np.zeros(n + m, dtype=np.int32),
            np.array([], dtype=np.int32),
            np.array([], dtype=float),
        )
        big_m = 10.0 * max(inst.k, 1) * (float(np.abs(inst.score_int).max(initial=0)) + 1.0)
        arts = np.arange(2 * m, dtype=np.int32)
        h.addCols(
            2 * m,
            np.full(2 * m, -big_m),
            np.zeros(2 * m),
            np.full(2 * m, np.inf),
            2 * m,
            arts,
            np.repeat(np.arange(n, n + m, dtype=np.int32), 2),
            np.tile([1.0, -1.0], m),
        )
        self.col_cost: list[float] = []
        phase = {"one": False}

        def add(items: list[tuple[int, np.ndarray]]) -> None:
            costs, starts, index = [], [], []
            nnz = 0
            for i, fe in items:
                cost, rows = self.column(i, fe)
                self.col_cost.append(cost)
                costs.append(0.0 if phase["one"] else cost)
                starts.append(nnz)
                index.append(rows)
                nnz += rows.size
            idx = np.concatenate(index).astype(np.int32)
            h.addCols(
                len(items),
                np.array(costs),
                np.zeros(len(items)),
                np.ones(len(items)),
                int(idx.size),
                np.array(starts, dtype=np.int32),
                idx,
                np.ones(idx.size),
            )

        def generate() -> tuple[np.ndarray, _Pricing, np.ndarray]:
            """Price and add columns until none improves; the last duals, pricing and constants."""
            stats = self.solver.stats
            for _ in range(MAX_PRICING_ROUNDS):
                h.setOptionValue("time_limit", h.getRunTime() + self.solver.remaining())  # HiGHS's clock adds up its runs
                t0 = time.perf_counter()
                h.run()
                stats["lps"] += 1
                stats["lp_seconds"] += time.perf_counter() - t0
                status = h.modelStatusToString(h.getModelStatus())
                if status == "Time limit reached":
                    raise Stopped()
                if status != "Optimal":
                    raise SolverError(f"HiGHS LP status {status}")
                y = np.asarray(h.getSolution().row_dual, dtype=float)
                u, v = y[:n], y[n:]
                fcost = np.bincount(inst.edge_app[self.forced], weights=v[inst.edge_expert[self.forced]], minlength=n)
                own = 0.0 if phase["one"] else 1.0
                w = own * self.s - v[self.expert]
                const = own * self.fsum - fcost
                # Phase one's duals are in artificial units (about 1): its tolerance is tight, or
                # it could stop early and call a feasible threshold infeasible.
                tol = 1e-7 if phase["one"] else self.tol
                t0 = time.perf_counter()
                pr = self.price(w, cut=u - const + tol)
                stats["pricing_seconds"] += time.perf_counter() - t0
                better = np.flatnonzero(pr.best + const - u > tol)
                if not better.size:
                    self.w = w
                    return v, pr, const
                add([(i, self.best_set(pr, i)) for i in better.tolist()])
            raise SolverError("configuration LP did not converge")

        # Starting sets: each application's best by score, and the reference assignment's set
        # wherever it already reaches T (together they usually satisfy the loads at once).
        pr = self.price(self.s.astype(float))
        start = [(i, self.best_set(pr, i)) for i in range(n)]
        totals = self.solver.totals(ref)
        ref_free = ref[~inst.forced[ref]]
        ref_free = ref_free[np.argsort(inst.edge_app[ref_free], kind="stable")]
        rstarts = np.searchsorted(inst.edge_app[ref_free], np.arange(n + 1))
        start.extend((i, ref_free[rstarts[i] : rstarts[i + 1]]) for i in np.flatnonzero(totals >= self.T).tolist())
        add(start)

        v, pr, const = generate()
        if float(np.asarray(h.getSolution().col_value)[: 2 * m].sum()) > 1e-6:
            phase["one"] = True
            ncols = len(self.col_cost)
            configs = np.arange(2 * m, 2 * m + ncols, dtype=np.int32)
            h.changeColsCost(2 * m, arts, np.full(2 * m, -1.0))
            h.changeColsCost(ncols, configs, np.zeros(ncols))
            generate()
            if h.getInfo().objective_function_value < -1e-6:
                return None  # even fractionally the loads cannot be met with every application >= T
            phase["one"] = False
            ncols = len(self.col_cost)
            h.changeColsBounds(2 * m, arts, np.zeros(2 * m), np.zeros(2 * m))
            h.changeColsCost(ncols, np.arange(2 * m, 2 * m + ncols, dtype=np.int32), np.array(self.col_cost))
            v, pr, const = generate()
        bound = float(np.maximum(v * inst.max_load, v * inst.min_load).sum() + (pr.best + const).sum())
        return v, bound, pr

    # ----------------------------------------------------------------- enumeration and MILP

    def enumerate_sets(self, pr: _Pricing, G: float) -> tuple[dict[int, list[np.ndarray]], dict[int, np.ndarray]]:
        """Per application: every set within G of its best (or, if too many, its usable pairs)."""
        n = self.inst.n
        w = self.w
        order = pr.order
        app_sorted = self.app[order]
        rank = np.arange(order.size) - self.starts[app_sorted]
        ws = w[order]
        csum = np.concatenate([[0.0], np.cumsum(ws)])
        r = self.r
        first = self.starts[:-1]
        top_r1 = csum[first + np.maximum(r - 1, 0)] - csum[first]
        floor = pr.best - G
        # A pair outside the top r-1 is in some set within G only if w + (top r-1) reaches the floor.
        keep = (rank < r[app_sorted] - 1) | (ws >= floor[app_sorted] - top_r1[app_sorted] - self.tol)
        keep &= r[app_sorted] > 0
        kept = order[keep]
        kstarts = np.searchsorted(self.app[kept], np.arange(n + 1))
        counts = kstarts[1:] - kstarts[:-1]
        sets: dict[int, list[np.ndarray]] = {}
        pairs: dict[int, np.ndarray] = {}
        lam = pr.lam
        for i in range(n):
            seg = kept[kstarts[i] : kstarts[i + 1]]
            if r[i] == 0:
                sets[i] = [self.free[seg[:0]]]
                continue
            if counts[i] == r[i]:
                sets[i] = [self.free[seg]]  # only one candidate set; it is the best, so feasible
                continue
            res = _search(
                w[seg],
                self.s[seg],
                int(r[i]),
                int(self.tau[i]),
                lam=float(lam.get(i, 0.0)),
                floor=float(floor[i]),
                cap=MAX_SETS_PER_APP,
                groups=None if self.grp is None else self.grp[seg],
                deadline=self.solver.deadline,
            )
            if res is None:
                pairs[i] = self.free[seg]
            else:
                sets[i] = [self.free[seg[list(c)]] for _, c in res]
        return sets, pairs

    def milp(self, sets: dict[int, list[np.ndarray]], pairs: dict[int, np.ndarray]) -> tuple[np.ndarray, float] | None:
        """Exact MILP over the enumerated sets (and pair-modelled applications); None if infeasible."""
        import highspy

        inst, n, m = self.inst, self.inst.n, self.inst.m
        h = quiet_highs()
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        side_apps = sorted(pairs)
        side_row = {i: n + m + t for t, i in enumerate(side_apps)}
        # A pair-modelled application takes at most one expert of each organisation: a row per one.
        own_edges = {i: np.concatenate([self.forced[self.fstarts[i] : self.fstarts[i + 1]], pairs[i]]) for i in side_apps}
        org_row = self._org_rows(own_edges, n + m + len(side_apps))
        row_lo = np.concatenate([np.ones(n), inst.min_load, [self.T - 0.5] * len(side_apps), np.zeros(len(org_row))]).astype(float)
        row_hi = np.concatenate([np.ones(n), inst.max_load, [np.inf] * len(side_apps), np.ones(len(org_row))]).astype(float)
        for i in side_apps:
            row_lo[i] = row_hi[i] = inst.k
        h.addRows(
            row_lo.size, row_lo, row_hi, 0, np.zeros(row_lo.size, dtype=np.int32), np.array([], dtype=np.int32), np.array([], dtype=float)
        )
        costs: list[float] = []
        lower: list[float] = []
        starts: list[int] = []
        index: list[np.ndarray] = []
        values: list[np.ndarray] = []
        meaning: list[np.ndarray] = []  # the edges each column stands for
        nnz = 0
        for i, lst in sets.items():
            for fe in lst:
                cost, rows = self.column(i, fe)
                costs.append(cost)
                lower.append(0.0)
                starts.append(nnz)
                index.append(rows)
                values.append(np.ones(rows.size))
                meaning.append(np.concatenate([self.forced[self.fstarts[i] : self.fstarts[i + 1]], fe]))
                nnz += rows.size
        for i in side_apps:
            for e in own_edges[i].tolist():
                sc = float(inst.score_int[e])
                costs.append(sc)
                lower.append(1.0 if inst.forced[e] else 0.0)
                starts.append(nnz)
                prow = [i, n + int(inst.edge_expert[e]), side_row[i]]
                g = -1 if inst.group is None else int(inst.group[inst.edge_expert[e]])
                if g >= 0:
                    prow.append(org_row[(i, g)])
                index.append(np.array(prow))
                values.append(np.array([1.0, 1.0, sc, 1.0][: len(prow)]))
                meaning.append(np.array([e]))
                nnz += len(prow)
        ncols = len(costs)
        idx = np.concatenate(index).astype(np.int32)
        h.addCols(
            ncols,
            np.array(costs),
            np.array(lower),
            np.ones(ncols),
            int(idx.size),
            np.array(starts, dtype=np.int32),
            idx,
            np.concatenate(values),
        )
        h.changeColsIntegrality(ncols, np.arange(ncols, dtype=np.int32), np.full(ncols, int(highspy.HighsVarType.kInteger), dtype=np.uint8))
        return self._run_milp(h, meaning, ncols)

    def _org_rows(self, own_edges: dict[int, np.ndarray], first: int) -> dict[tuple[int, int], int]:
        """A row for each (pair-modelled application, organisation) of its candidates, numbered from first."""
        inst = self.inst
        rows: dict[tuple[int, int], int] = {}
        if inst.group is not None:
            for i, edges in own_edges.items():
                for g in inst.group[inst.edge_expert[edges]].tolist():
                    if g >= 0:
                        rows.setdefault((i, g), first + len(rows))
        return rows

    def _run_milp(self, h: Any, meaning: list[np.ndarray], ncols: int) -> tuple[np.ndarray, float] | None:
        """Solve the MILP built in h within what is left of the time limit."""
        inst = self.inst
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.5)  # the objective is an integer: less than 1 apart is optimal
        h.setOptionValue("time_limit", h.getRunTime() + self.solver.remaining())  # HiGHS's clock adds up its runs
        t0 = time.perf_counter()
        h.run()
        self.solver.stats["milps"] += 1
        self.solver.stats["milp_seconds"] += time.perf_counter() - t0
        self.solver.stats["milp_columns"] = max(self.solver.stats.get("milp_columns", 0), ncols)
        status = h.modelStatusToString(h.getModelStatus())
        if status == "Infeasible":
            return None
        if status == "Time limit reached":
            info = h.getInfo()
            if info.primal_solution_status != 2:  # no feasible point yet
                raise Stopped()
            chosen = self._chosen(h, meaning)
            raise Stopped((chosen, float(inst.score_int[chosen].sum()), float(info.mip_dual_bound)))
        if status != "Optimal":
            raise SolverError(f"HiGHS MILP status {status}")
        chosen = self._chosen(h, meaning)
        return chosen, float(inst.score_int[chosen].sum())

    def _chosen(self, h: Any, meaning: list[np.ndarray]) -> np.ndarray:
        """The edges of the MILP's solution, checked: a solver slip must never reach a file."""
        x = np.asarray(h.getSolution().col_value) > 0.5
        chosen = np.sort(np.concatenate([meaning[c] for c in np.flatnonzero(x).tolist()]))
        if violations(self.inst, chosen) or (self.solver.totals(chosen) < self.T).any():
            raise SolverError("HiGHS returned an assignment that breaks a constraint")
        return chosen

    def solve(self, ref: np.ndarray) -> np.ndarray | None:
        res = self.lp(ref)
        if res is None:
            return None
        _v, bound, pr = res
        inst = self.inst
        w = self.w
        # The widest gap ever needed: every set of every application is then within it.
        order = pr.order
        app_sorted = self.app[order]
        rank_from_end = self.starts[app_sorted + 1] - 1 - (np.arange(order.size))
        worst = np.bincount(
            app_sorted[rank_from_end < self.r[app_sorted]], weights=w[order][rank_from_end < self.r[app_sorted]], minlength=inst.n
        )
        full_gap = float((pr.best - worst).max(initial=0.0)) + 1.0
        G = max(1.0, START_GAP * inst.scale * max(inst.k, 1))
        # L(v) as computed may fall short of the true bound by floating-point error (each
        # application's best by far less than 1e-3 units); the acceptance test is made that much
        # stricter, so a solution is only accepted when nothing unenumerated can beat it.
        slack = 2.0 + 1e-3 * inst.n + 1e-9 * abs(bound)
        while True:
            sets, pairs = self.enumerate_sets(pr, G)
            self.solver.stats["gap_rounds"] += 1
            try:
                out = self.milp(sets, pairs)
            except Stopped as stop:
                if stop.partial is not None:
                    # Sets outside the enumeration are worth at most bound - G: the total's bound is
                    # the MILP's own or that, whichever is higher, and never above the LP's.
                    chosen, value, dual = stop.partial
                    stop.partial = (chosen, value, min(bound + slack, max(dual, bound - G + slack)))
                raise
            if out is None:
                if full_gap <= G:
                    return None
                G = min(G * 8, full_gap)
                continue
            chosen, value = out
            if value >= bound - G + slack:
                return chosen  # nothing outside the enumerated sets can reach value
            G = bound - value + slack


class FairSolver:
    """The lexicographic max-min solve; `stats` records every check for the audit trail.

    `time_limit` (seconds, None: DEFAULT_TIME_LIMIT) bounds everything after the optimal flow.
    """

    def __init__(self, inst: Instance, optimal: np.ndarray, *, time_limit: float | None = None) -> None:
        self.inst = inst
        self.optimal = optimal
        self.sorted_free = _sorted_free(inst)
        self.time_limit = DEFAULT_TIME_LIMIT if time_limit is None else float(time_limit)
        self.deadline = time.perf_counter() + self.time_limit
        self.stats: dict[str, Any] = {
            "checks": [],
            "lps": 0,
            "milps": 0,
            "gap_rounds": 0,
            "lp_seconds": 0.0,
            "pricing_seconds": 0.0,
            "milp_seconds": 0.0,
        }

    def remaining(self) -> float:
        """Seconds left before the time limit; Stopped when none are."""
        left = self.deadline - time.perf_counter()
        if left <= 0:
            raise Stopped()
        return left

    def totals(self, chosen: np.ndarray) -> np.ndarray:
        inst = self.inst
        return np.bincount(inst.edge_app[chosen], weights=inst.score_int[chosen].astype(float), minlength=inst.n).astype(np.int64)

    def solve(self) -> tuple[np.ndarray, dict[str, Any]]:
        inst = self.inst
        state = _Bisection(self, self.optimal)
        if inst.n:
            try:
                state.run()
            except Stopped as stop:
                state.stopped(stop)
        scale = inst.scale
        total = float(inst.score_int[state.best].sum())
        info = {
            "threshold": state.lo / scale,
            "upper_bound": state.ub / scale,
            "threshold_upper_bound": state.hi / scale,
            "optimal_mode_worst": float(self.totals(self.optimal).min()) / scale if inst.n else 0.0,
            "proven_optimal": not state.timed_out,
            "timed_out": state.timed_out,
            "time_limit": self.time_limit,
            "gap": {
                "worst": (state.hi - state.lo) / scale,
                "total": (state.total_bound - total) / scale,
                "total_upper_bound": state.total_bound / scale,
            },
            **{k: round(v, 3) if isinstance(v, float) else v for k, v in self.stats.items()},
        }
        return state.best, info

    def check(self, T: int, ref: np.ndarray) -> np.ndarray | None:
        """Max-total assignment with every application >= T, or None when none exists.

        `ref` is a valid assignment maximising the total under a lower threshold; if it
        already reaches T it is the answer (a relaxation's optimum that is feasible).
        Raises Stopped when the time limit runs out first.
        """
        t0 = time.perf_counter()
        result: np.ndarray | None
        try:
            if (self.totals(ref) >= T).all():
                result = ref
            else:
                self.remaining()
                free = _usable(self.inst, T, self.sorted_free)
                result = None if free is None else _Check(self, T, free).solve(ref)
        except Stopped:
            self.stats["checks"].append({"threshold": T / self.inst.scale, "feasible": None, "seconds": round(time.perf_counter() - t0, 3)})
            raise
        self.stats["checks"].append(
            {
                "threshold": T / self.inst.scale,
                "feasible": result is not None,
                "seconds": round(time.perf_counter() - t0, 3),
            }
        )
        return result


class _Bisection:
    """The search over the threshold: what is found (lo, best) and proven (hi, total_bound) so far."""

    def __init__(self, solver: FairSolver, optimal: np.ndarray) -> None:
        self.solver = solver
        inst = solver.inst
        self.best = optimal
        # The optimal flow has the largest total of all: exact for its own worst application.
        self.total_bound = int(inst.score_int[optimal].sum())
        self.lo = int(solver.totals(optimal).min()) if inst.n else 0
        self.ub = int(best_possible(inst, solver.sorted_free).min()) if inst.n else 0
        self.hi = max(self.ub, self.lo)
        self.timed_out = False
        self.checking = self.hi

    def found(self, T: int, chosen: np.ndarray, total_bound: int) -> None:
        self.best = chosen
        self.lo = max(T, int(self.solver.totals(chosen).min()))
        self.total_bound = total_bound

    def run(self) -> None:
        solver, inst = self.solver, self.solver.inst
        if self.hi <= self.lo:
            return
        self.checking = self.hi
        found = solver.check(self.hi, self.best)
        if found is not None:
            self.found(self.hi, found, int(inst.score_int[found].sum()))
            return
        self.hi -= 1
        while self.lo < self.hi:
            mid = (self.lo + self.hi + 1) // 2
            self.checking = mid
            found = solver.check(mid, self.best)
            if found is None:
                self.hi = mid - 1
            else:
                self.found(mid, found, int(inst.score_int[found].sum()))

    def stopped(self, stop: Stopped) -> None:
        """The time limit: keep what is proven; an assignment the MILP had at the threshold being checked counts."""
        self.timed_out = True
        if stop.partial is not None:
            chosen, _value, bound = stop.partial
            self.found(self.checking, chosen, int(np.floor(bound + 1e-9)))
