"""The assignment's new constraints: the affinity floor, one expert per organisation on each
application, and fair mode's time limit — in every mode, on plain data.

As in test_assignment.py, optimality is checked against solvers that share no code with the
assignment package (brute force, and an LP/MILP written here against highspy with the
organisation rows), and every output is checked from the raw inputs. Instances are generated
from fixed seeds; no timing assertions (a stopped fair solve must still say only true things).
"""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from yongke.cli.main import run
from yongke.core.errors import BadInput
from yongke.review.assignment import Infeasible, assign, build_instance, read_instance, violations

Pair = tuple[str, str]


class Case:
    """A problem as plain data, with each expert's organisation and the floor."""

    def __init__(
        self,
        scores: dict[Pair, float],
        *,
        k: int,
        max_load: int,
        min_load: int = 0,
        loads: dict[str, tuple[int, int]] | None = None,
        conflicts: set[Pair] | None = None,
        forced: set[Pair] | None = None,
        floor: float | None = None,
        orgs: dict[str, str] | None = None,
    ) -> None:
        self.scores, self.k, self.floor, self.orgs = scores, k, floor, orgs
        self.conflicts, self.forced = set(conflicts or ()), set(forced or ())
        self.apps = sorted({a for a, _ in scores})
        self.experts = sorted({e for _, e in scores} | set(loads or {}))
        self.bounds = {e: (loads or {}).get(e, (min_load, max_load)) for e in self.experts}
        self.instance = build_instance(
            scores,
            k=k,
            min_load=min_load,
            max_load=max_load,
            loads=loads,
            conflicts=self.conflicts,
            forced=self.forced,
            floor=floor,
            organisations=orgs,
        )

    def allowed(self, pair: Pair) -> bool:
        return pair in self.scores and pair not in self.conflicts and (self.floor is None or self.scores[pair] > self.floor)

    def eligible(self, a: str) -> list[str]:
        return sorted(e for (x, e) in self.scores if x == a and self.allowed((x, e)))

    def check(self, mapping: dict[str, list[dict]]) -> float:
        """Assert the output is a valid assignment under every constraint; return its total."""
        assert set(mapping) == set(self.apps)
        load: Counter[str] = Counter()
        total = 0.0
        for a, lst in mapping.items():
            experts = [x["expert"] for x in lst]
            assert len(experts) == self.k == len(set(experts)), a
            for e in experts:
                assert self.allowed((a, e)), f"{(a, e)} may not be assigned"
                load[e] += 1
                total += self.scores[(a, e)]
            if self.orgs is not None:
                orgs = [self.orgs[e] for e in experts if self.orgs.get(e)]
                assert len(orgs) == len(set(orgs)), f"{a}: two experts of one organisation {orgs}"
        for e, (lo, hi) in self.bounds.items():
            assert lo <= load[e] <= hi, (e, load[e], lo, hi)
        for a, e in self.forced:
            assert e in [x["expert"] for x in mapping[a]]
        return total

    def worst(self, mapping: dict[str, list[dict]]) -> float:
        return min(sum(self.scores[(a, x["expert"])] for x in lst) for a, lst in mapping.items())


def generated(
    seed: int,
    *,
    apps: int,
    experts: int,
    k: int,
    organisations: int,
    density: float = 0.8,
    hi: int = 5,
    lo: int = 0,
    floor: float | None = 0.0,
    zero_rate: float = 0.15,
    forced: int = 0,
) -> Case:
    """Feasible by construction: a planted assignment (k experts of k different organisations per
    application, scores above the floor) is kept; other pairs may score 0 (at the floor) or conflict."""
    rng = random.Random(seed)
    exps = [f"E{j}" for j in range(experts)]
    orgs = {e: f"O{j % organisations}" for j, e in enumerate(exps)}
    load: Counter[str] = Counter()
    planted: set[Pair] = set()
    for i in range(apps):
        used: set[str] = set()
        for e in sorted(exps, key=lambda x: (load[x], rng.random())):
            if len(used) == k:
                break
            if orgs[e] in used or load[e] >= hi:
                continue
            planted.add((f"A{i}", e))
            used.add(orgs[e])
            load[e] += 1
        assert len(used) == k, "the generator could not plant a feasible assignment"
    scores: dict[Pair, float] = {}
    for i in range(apps):
        for e in exps:
            pair = (f"A{i}", e)
            if pair in planted:
                scores[pair] = round(0.05 + 0.95 * rng.random(), 3)
            elif rng.random() < density:
                scores[pair] = 0.0 if rng.random() < zero_rate else round(rng.random(), 3)
    conflicts = {p for p in scores if p not in planted and rng.random() < 0.05}
    loads = {e: (min(lo, load[e]), hi) for e in exps}
    return Case(
        scores,
        k=k,
        max_load=hi,
        loads=loads,
        conflicts=conflicts,
        forced=set(rng.sample(sorted(planted), forced)),
        floor=floor,
        orgs=orgs,
    )


def highs_model(case: Case, *, cap: float = 1.0, integer: bool = False, side: float | None = None, objective: str = "total"):
    """The case as an LP/MILP written directly against highspy: a column per allowed pair, rows
    for k, the loads and "at most one per (application, organisation)"; (status, objective)."""
    import highspy

    h = highspy.Highs()
    h.silent()
    h.setOptionValue("mip_rel_gap", 0.0)
    pairs = [p for p in case.scores if case.allowed(p)]
    kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
    x = {p: h.addVariable(lb=1.0 if p in case.forced else 0.0, ub=1.0 if p in case.forced else min(cap, 1.0), type=kind) for p in pairs}
    for a in case.apps:
        h.addConstr(sum(x[p] for p in pairs if p[0] == a) == case.k)
        if case.orgs is not None:
            for org in {case.orgs[e] for (b, e) in pairs if b == a and case.orgs.get(e)}:
                row = [x[p] for p in pairs if p[0] == a and case.orgs.get(p[1]) == org]
                if len(row) > 1:
                    h.addConstr(sum(row) <= 1)
    for e, (lo, hi) in case.bounds.items():
        row = [x[p] for p in pairs if p[1] == e]
        if row:
            h.addConstr(sum(row) >= lo)
            h.addConstr(sum(row) <= hi)
        elif lo > 0:
            return "Infeasible", None
    affinity = {a: sum(case.scores[p] * x[p] for p in pairs if p[0] == a) for a in case.apps}
    if side is not None:
        for a in case.apps:
            h.addConstr(affinity[a] >= side - 1e-7)
    if objective == "worst":
        t = h.addVariable(lb=-1e9, ub=1e9)
        for a in case.apps:
            h.addConstr(affinity[a] >= t)
        h.maximize(t)
    else:
        h.maximize(sum(case.scores[p] * x[p] for p in pairs))
    status = h.modelStatusToString(h.getModelStatus())
    return status, (h.getInfo().objective_function_value if status == "Optimal" else None)


def brute_force(case: Case) -> list[tuple[int, int]]:
    """Every valid assignment's (total, worst) in integer thousandths."""
    options = []
    for a in case.apps:
        must = {e for (x, e) in case.forced if x == a}
        combos = []
        for c in itertools.combinations(case.eligible(a), case.k):
            orgs = [case.orgs[e] for e in c if case.orgs and case.orgs.get(e)]
            if must <= set(c) and len(orgs) == len(set(orgs)):
                combos.append(c)
        options.append(combos)
    out = []
    for choice in itertools.product(*options):
        load = Counter(e for c in choice for e in c)
        if all(lo <= load[e] <= hi for e, (lo, hi) in case.bounds.items()):
            sums = [sum(round(case.scores[(a, e)] * 1000) for e in c) for a, c in zip(case.apps, choice, strict=True)]
            out.append((sum(sums), min(sums)))
    return out


def solve(case: Case, mode: str = "optimal", **kw):
    result = assign(case.instance, mode=mode, **kw)
    mapping = result.as_mapping()
    return result, mapping, case.check(mapping)


# --------------------------------------------------------------------------- the floor


def test_a_pair_at_the_floor_is_never_assigned_even_when_it_is_the_only_way_to_a_higher_total():
    # Without the floor X would take A (0.0) so that Y gets B (0.9); with it, A is no candidate for X.
    case = Case({("X", "A"): 0.0, ("X", "B"): 0.5, ("Y", "B"): 0.9, ("Y", "C"): 0.1}, k=1, max_load=1, floor=0.0)
    _, mapping, _ = solve(case)
    assert mapping["X"] == [{"expert": "B", "score": 0.5}]
    assert mapping["Y"] == [{"expert": "C", "score": 0.1}]


@pytest.mark.parametrize("mode", ["optimal", "fair", "random"])
def test_no_mode_assigns_a_pair_at_or_below_the_floor(mode):
    case = generated(1, apps=12, experts=9, k=2, organisations=9, floor=0.2, zero_rate=0.3, density=1.0, hi=6)
    _, mapping, _ = solve(case, mode, **({"seed": 5, "max_prob": Fraction(9, 10)} if mode == "random" else {}))
    assert all(x["score"] > 0.2 for lst in mapping.values() for x in lst)


def test_without_a_floor_a_zero_pair_may_still_be_assigned():
    # The file contract stands: with no floor, every scored pair is a candidate.
    case = Case({("X", "A"): 0.0}, k=1, max_load=1, floor=None)
    _, mapping, _ = solve(case)
    assert mapping == {"X": [{"expert": "A", "score": 0.0}]}


def test_too_few_experts_above_the_floor_is_diagnosed_with_the_count_it_removed():
    case = Case({("X", "A"): 0.0, ("X", "B"): 0.0, ("X", "C"): 0.4, ("Y", "A"): 0.5, ("Y", "B"): 0.5}, k=2, max_load=2, floor=0.0)
    with pytest.raises(Infeasible) as e:
        assign(case.instance)
    first = e.value.diagnosis["problems"][0]
    assert first["code"] == "application_too_few_eligible"
    assert first["applications"] == [{"application": "X", "eligible": 1, "scored": 3, "conflicted": 0, "needed": 2, "below_floor": 2}]
    assert "匹配度高于 0" in first["message"]


def test_a_forced_pair_at_the_floor_is_refused_as_bad_input():
    with pytest.raises(BadInput) as e:
        build_instance({("X", "A"): 0.0, ("X", "B"): 0.5}, k=1, max_load=1, forced={("X", "A")}, floor=0.0)
    assert e.value.code == "forced_below_floor"


# --------------------------------------------------------------------------- one expert per organisation


def test_two_experts_of_one_organisation_are_never_on_one_application():
    # A and B (same university) are X's two best; the rule makes X take C instead of B.
    scores = {("X", "A"): 0.9, ("X", "B"): 0.8, ("X", "C"): 0.1, ("Y", "A"): 0.2, ("Y", "B"): 0.3, ("Y", "C"): 0.2}
    case = Case(scores, k=2, max_load=2, orgs={"A": "广西大学", "B": "广西大学", "C": "桂林电子科技大学"})
    _, mapping, _ = solve(case)
    assert sorted(x["expert"] for x in mapping["X"]) == ["A", "C"]
    assert sorted(x["expert"] for x in mapping["Y"]) == ["B", "C"]


def test_experts_without_an_organisation_are_not_grouped():
    case = Case({("X", "A"): 0.9, ("X", "B"): 0.8}, k=2, max_load=1, orgs={"A": "", "B": ""})
    _, mapping, _ = solve(case)
    assert sorted(x["expert"] for x in mapping["X"]) == ["A", "B"]


@pytest.mark.parametrize("seed", range(10))
def test_optimal_with_organisations_and_floor_equals_an_independent_lp(seed):
    case = generated(500 + seed, apps=25, experts=16, k=3, organisations=6, lo=seed % 2, hi=6, forced=seed % 3)
    _, _, total = solve(case)
    status, bound = highs_model(case)
    assert status == "Optimal"
    assert total == pytest.approx(bound, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_optimal_with_organisations_equals_brute_force_on_tiny_instances(seed):
    case = generated(600 + seed, apps=4, experts=5, k=2, organisations=3, hi=3, lo=seed % 2, forced=seed % 2)
    _, _, total = solve(case)
    assert round(total * 1000) == max(t for t, _ in brute_force(case))


@pytest.mark.parametrize("seed", range(6))
def test_fair_with_organisations_is_lexicographically_optimal_on_tiny_instances(seed):
    case = generated(700 + seed, apps=4, experts=5, k=2, organisations=3, hi=3, lo=seed % 2, forced=seed % 2)
    _, mapping, total = solve(case, "fair")
    everything = brute_force(case)
    best_worst = max(w for _, w in everything)
    assert round(case.worst(mapping) * 1000) == best_worst
    assert round(total * 1000) == max(t for t, w in everything if w == best_worst)


@pytest.mark.parametrize("seed", range(5))
def test_fair_with_organisations_matches_an_independent_milp(seed):
    case = generated(800 + seed, apps=14, experts=10, k=2, organisations=4, lo=1, hi=5, forced=seed % 2)
    result, mapping, total = solve(case, "fair")
    _, t_star = highs_model(case, integer=True, objective="worst")
    assert case.worst(mapping) == pytest.approx(t_star, abs=1e-6)
    _, best_total = highs_model(case, integer=True, side=t_star)
    assert total == pytest.approx(best_total, abs=1e-6)
    assert result.info["proven_optimal"] is True
    assert result.info["gap"] == {"worst": 0.0, "total": 0.0, "total_upper_bound": pytest.approx(total)}


@pytest.mark.parametrize("seed", range(4))
def test_random_with_organisations_keeps_the_rule_in_every_draw_and_its_marginals_are_the_capped_lp(seed):
    case = generated(900 + seed, apps=16, experts=12, k=2, organisations=4, lo=1, hi=5, density=0.9)
    for draw in range(25):
        solve(case, "random", seed=draw, max_prob=Fraction(1, 2))  # case.check: the rule holds in every draw
    result = assign(case.instance, mode="random", seed=1, max_prob=Fraction(1, 2))
    _, lp = highs_model(case, cap=0.5)
    assert result.info["expected_affinity"] == pytest.approx(lp, abs=1e-6)


def test_random_with_organisations_draws_each_pair_at_its_marginal():
    # X needs 2 experts from {A, B (same organisation), C, D}; with cap 1/2 the LP spreads X over
    # them, and the draw must never pair A with B.
    scores = {("X", e): s for e, s in {"A": 0.9, "B": 0.9, "C": 0.5, "D": 0.4}.items()}
    case = Case(scores, k=2, max_load=1, orgs={"A": "甲", "B": "甲", "C": "乙", "D": "丙"})
    counts = Counter[str]()
    for seed in range(800):
        _, mapping, _ = solve(case, "random", seed=seed, max_prob=Fraction(1, 2))
        counts.update(x["expert"] for x in mapping["X"])
    # A and B share one place: 1/4 each at most under the LP's optimum (A+B <= 1, each <= 1/2).
    for e, c in counts.items():
        assert c / 800 <= 0.5 + 0.07, e
    assert (counts["A"] + counts["B"]) / 800 == pytest.approx(1.0, abs=1e-9)


def test_organisations_that_bind_nothing_leave_the_random_draw_unchanged():
    # Every expert of an organisation of their own: no (application, organisation) slot, so the
    # network, the walks and the coins are those of the plain instance — a seed keeps its draw.
    case = generated(3, apps=10, experts=8, k=2, organisations=8, floor=None, zero_rate=0.0)
    plain = build_instance(case.scores, k=2, max_load=5, loads=dict(case.bounds), conflicts=case.conflicts)
    assert case.instance.slots()[1].size == 0
    for seed in (1, 11, 12345):
        assert assign(case.instance, mode="random", seed=seed).as_mapping() == assign(plain, mode="random", seed=seed).as_mapping()


def test_an_application_whose_candidates_come_from_too_few_organisations_is_diagnosed():
    scores = {("X", "A"): 0.5, ("X", "B"): 0.6, ("X", "C"): 0.7, ("Y", "C"): 0.5, ("Y", "D"): 0.5, ("Y", "E"): 0.5}
    orgs = {"A": "甲", "B": "甲", "C": "甲", "D": "乙", "E": "丙"}
    case = Case(scores, k=2, max_load=2, orgs=orgs)
    with pytest.raises(Infeasible) as e:
        assign(case.instance)
    problem = e.value.diagnosis["problems"][0]
    assert problem["code"] == "application_too_few_organisations"
    assert problem["applications"] == [{"application": "X", "eligible": 3, "scored": 3, "conflicted": 0, "needed": 2, "organisations": 1}]
    assert "不同单位" in problem["message"]


def test_a_group_short_of_organisations_is_named_by_the_cut():
    # X and Y each have experts of two organisations, but both need 甲's only place... twice: the
    # per-application counts pass; the cut over the organisation nodes finds the group.
    scores = {(a, e): 0.5 for a in "XY" for e in "ABC"}
    orgs = {"A": "甲", "B": "甲", "C": "乙"}
    case = Case(scores, k=2, max_load=1, orgs=orgs)
    with pytest.raises(Infeasible) as e:
        assign(case.instance)
    codes = [p["code"] for p in e.value.diagnosis["problems"]]
    assert "unexplained" not in codes
    assert set(codes) & {"applications_short_of_experts", "sum_of_maximums_too_low", "loads_conflict"}


def test_two_forced_experts_of_one_organisation_are_diagnosed():
    scores = {("X", "A"): 0.5, ("X", "B"): 0.5, ("X", "C"): 0.5}
    case = Case(scores, k=2, max_load=1, orgs={"A": "甲", "B": "甲", "C": "乙"}, forced={("X", "A"), ("X", "B")})
    with pytest.raises(Infeasible) as e:
        assign(case.instance)
    assert e.value.diagnosis["problems"][0]["code"] == "application_forced_same_organisation"


def test_a_forced_expert_takes_the_organisations_place():
    scores = {("X", "A"): 0.1, ("X", "B"): 0.9, ("X", "C"): 0.5, ("Y", "B"): 0.2, ("Y", "C"): 0.2}
    case = Case(scores, k=2, max_load=2, orgs={"A": "甲", "B": "甲", "C": "乙"}, forced={("X", "A")})
    _, mapping, _ = solve(case)
    assert sorted(x["expert"] for x in mapping["X"]) == ["A", "C"]
    assert case.instance.group_blocked.tolist() == [1, 0]


def test_every_infeasible_instance_with_floor_and_organisations_gets_a_named_cause():
    rng = random.Random(0)
    seen = 0
    for _ in range(300):
        apps = [f"A{i}" for i in range(rng.randint(2, 4))]
        experts = [f"E{j}" for j in range(rng.randint(2, 6))]
        scores = {(a, e): rng.choice([0.0, 0.5, 0.8]) for a in apps for e in experts if rng.random() < 0.7}
        orgs = {e: rng.choice(["甲", "乙", ""]) for e in experts}
        loads = {e: (lo := rng.randint(0, 2), rng.randint(lo, 3)) for e in experts}
        if not scores:
            continue
        try:
            assign(build_instance(scores, k=rng.randint(1, 3), max_load=2, loads=loads, floor=0.0, organisations=orgs))
        except Infeasible as e:
            seen += 1
            assert "unexplained" not in [p["code"] for p in e.diagnosis["problems"]]  # noqa: PT017 - only some instances are infeasible
    assert seen > 100


def test_violations_names_a_same_organisation_pair():
    case = Case({("X", "A"): 0.5, ("X", "B"): 0.5, ("X", "C"): 0.1}, k=2, max_load=1, orgs={"A": "甲", "B": "甲", "C": "乙"})
    both = [i for i, e in enumerate(case.instance.edge_expert.tolist()) if case.instance.experts[e] in "AB"]
    assert "an application has two experts of one organisation" in violations(case.instance, both)


# --------------------------------------------------------------------------- fair mode's time limit


def hard_fair_case() -> Case:
    """Everyone wants the same few experts, with organisations and binding minimum loads."""
    rng = random.Random(42)
    quality = {f"E{j}": rng.random() for j in range(24)}
    scores = {
        (f"A{i}", e): round(0.3 * rng.random() + 0.7 * q * rng.uniform(0.5, 1.0), 3)
        for i in range(60)
        for e, q in quality.items()
        if rng.random() < 0.7
    }
    return Case(scores, k=3, min_load=2, max_load=12, orgs={e: f"O{j % 8}" for j, e in enumerate(quality)}, floor=0.0)


@pytest.mark.parametrize("limit", [1e-6, 0.05, 0.3])
def test_a_stopped_fair_solve_returns_a_valid_assignment_and_only_true_bounds(limit):
    case = hard_fair_case()
    result, mapping, total = solve(case, "fair", time_limit=limit)
    info = result.info
    _, t_star = highs_model(case, integer=True, objective="worst")
    worst = case.worst(mapping)
    assert info["time_limit"] == limit
    assert worst == pytest.approx(info["threshold"], abs=1e-9)
    # What it claims is proven is true: the best worst lies in [threshold, threshold_upper_bound].
    assert info["threshold"] <= t_star + 1e-6
    assert info["threshold_upper_bound"] >= t_star - 1e-6
    assert info["gap"]["worst"] == pytest.approx(info["threshold_upper_bound"] - info["threshold"])
    assert info["gap"]["total"] >= -1e-9
    assert total <= info["gap"]["total_upper_bound"] + 1e-9
    if info["timed_out"]:
        assert info["proven_optimal"] is False
    else:
        assert worst == pytest.approx(t_star, abs=1e-6)


def test_a_fair_solve_stopped_at_once_returns_the_optimal_assignment_with_its_gap():
    case = hard_fair_case()
    result, _, total = solve(case, "fair", time_limit=1e-9)
    _, _, best_total = solve(case, "optimal")
    assert result.info["timed_out"] is True
    assert result.info["proven_optimal"] is False
    assert total == pytest.approx(best_total)  # the optimal flow is the best found so far, and exact for its threshold
    assert result.info["gap"]["total"] == pytest.approx(0.0, abs=1e-9)
    assert result.info["gap"]["worst"] > 0


def test_a_fair_solve_with_time_to_spare_is_proven_optimal():
    case = generated(11, apps=20, experts=12, k=2, organisations=5, lo=1, hi=6)
    result, mapping, _ = solve(case, "fair", time_limit=600)
    _, t_star = highs_model(case, integer=True, objective="worst")
    assert result.info["timed_out"] is False
    assert result.info["proven_optimal"] is True
    assert result.info["gap"]["worst"] == 0.0
    assert case.worst(mapping) == pytest.approx(t_star, abs=1e-6)


def test_a_milp_stopped_with_an_incumbent_gives_that_assignment_and_the_bound_it_proved(monkeypatch):
    # Stand-in for HiGHS running out of time: the MILP's own solution comes back as an incumbent
    # with a dual bound 5 units above it. The solve must return it, at the threshold it was
    # checking, and report a total gap no wider than what is proven.
    from yongke.review.assignment import fair

    real = fair._Check.milp

    def stopped(self, sets, pairs):
        out = real(self, sets, pairs)
        if out is None:
            return None
        chosen, value = out
        raise fair.Stopped((chosen, value, value + 5.0))

    monkeypatch.setattr(fair._Check, "milp", stopped)
    case = hard_fair_case()  # its fair solve runs MILPs (see the test above)
    result, mapping, total = solve(case, "fair")
    info = result.info
    assert info["milps"] >= 1
    assert info["timed_out"] is True
    assert info["proven_optimal"] is False
    assert case.worst(mapping) >= info["threshold"] - 1e-9
    assert info["threshold"] > info["optimal_mode_worst"]  # the incumbent, not the optimal flow's assignment
    assert 0 <= info["gap"]["total"] <= 5.0 / case.instance.scale + 1e-9
    assert info["gap"]["total_upper_bound"] == pytest.approx(total + info["gap"]["total"])
    assert info["checks"][-1]["feasible"] is None


@pytest.mark.parametrize("limit", [0, -1, 3601])
def test_a_time_limit_outside_its_range_is_bad_input(limit):
    case = generated(2, apps=3, experts=4, k=1, organisations=4)
    with pytest.raises(BadInput) as e:
        assign(case.instance, mode="fair", time_limit=limit)
    assert e.value.detail["field"] == "time_limit"


# --------------------------------------------------------------------------- files and the CLI


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    write(tmp_path / "scores.csv", "application_id,expert_id,score\nX,A,0.9\nX,B,0.8\nX,C,0.0\nX,D,0.3\nY,A,0.2\nY,B,0.7\nY,D,0.6\n")
    write(tmp_path / "conflicts.csv", "")
    write(tmp_path / "orgs.csv", "expert_id,organisation\nA,广西大学\nB,广西大学\nC,\nD,南宁师范大学\n")
    return tmp_path


def cli(d: Path, *extra: str) -> list[str]:
    return [
        "review",
        "assign",
        "--scores",
        str(d / "scores.csv"),
        "--conflicts",
        str(d / "conflicts.csv"),
        "--k",
        "2",
        "--min-load",
        "0",
        "--max-load",
        "2",
        "--out",
        str(d / "out.json"),
        *extra,
    ]


def test_reading_the_organisations_file_and_the_floor(files):
    inst = read_instance(
        files / "scores.csv", files / "conflicts.csv", k=2, min_load=0, max_load=2, floor=0.0, organisations=files / "orgs.csv"
    )
    assert inst.below_floor.tolist() == [1, 0]
    assert inst.group is not None
    assert inst.group[inst.experts.index("A")] == inst.group[inst.experts.index("B")]
    assert inst.group[inst.experts.index("C")] == -1


def test_a_duplicate_expert_in_the_organisations_file_names_the_line(files):
    write(files / "orgs.csv", "A,甲\nA,乙\n")
    with pytest.raises(BadInput) as e:
        read_instance(files / "scores.csv", organisations=files / "orgs.csv", k=1, min_load=0, max_load=2)
    assert "line 2" in e.value.message
    assert "duplicate expert" in e.value.message


def test_cli_with_floor_and_organisations_extends_the_summary_and_keeps_the_file_contract(files, capsys):
    assert run([*cli(files), "--affinity-floor", "0", "--organisations", str(files / "orgs.csv")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["affinity_floor"] == 0.0
    assert summary["below_floor_excluded"] == 1
    assert summary["one_per_organisation"] is True
    assert summary["feasible"] is True  # the keys of before are all still there
    assert {"mode", "total_affinity", "applications", "experts", "k", "pairs", "worst_application", "out"} <= set(summary)
    out = json.loads((files / "out.json").read_text(encoding="utf-8"))
    assert sorted(x["expert"] for x in out["X"]) == ["A", "D"]  # not A with B (one university), never C (0.0)
    assert sorted(x["expert"] for x in out["Y"]) == ["B", "D"]


def test_cli_without_the_new_options_still_assigns_a_zero_pair(files, capsys):
    write(files / "scores.csv", "X,C,0.0\nX,A,0.5\n")
    assert run([*cli(files), "--k", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["below_floor_excluded"] == 0
    assert sorted(x["expert"] for x in json.loads((files / "out.json").read_text(encoding="utf-8"))["X"]) == ["A", "C"]


def test_cli_fair_reports_the_time_limit_and_the_gap(files, capsys):
    assert run([*cli(files), "--mode", "fair", "--time-limit", "5", "--organisations", str(files / "orgs.csv")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["time_limit"] == 5.0
    assert summary["timed_out"] is False
    assert summary["proven_optimal"] is True
    assert summary["gap"]["worst"] == 0.0


def test_cli_infeasible_after_the_organisation_rule_exits_1_with_the_diagnosis(files, capsys):
    write(files / "orgs.csv", "A,甲\nB,甲\nC,甲\nD,甲\n")
    assert run([*cli(files), "--organisations", str(files / "orgs.csv")]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["feasible"] is False
    assert out["problems"][0]["code"] == "application_too_few_organisations"
    assert not (files / "out.json").exists()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--time-limit", "5"], "--time-limit"),  # fair mode only
        (["--mode", "fair", "--time-limit", "0"], "--time-limit"),
        (["--mode", "fair", "--time-limit", "soon"], "--time-limit"),
        (["--affinity-floor", "nan"], "--affinity-floor"),
    ],
)
def test_cli_bad_new_options_exit_2_with_one_line(files, capsys, extra, needle):
    assert run([*cli(files), *extra]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert err.count("\n") == 1
