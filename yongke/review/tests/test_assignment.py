"""Expert assignment: optimality, fairness, the random draw, the diagnosis and the file contract.

Optimality is checked against solvers that share no code with the assignment package:
brute force on tiny instances and an LP/MILP written here directly against highspy. Every
output is checked for feasibility from the raw inputs (k per application, loads, no
conflicted or unscored pair, forced pairs present). No timing assertions.
"""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from yongke.cli.main import run
from yongke.core.errors import BadInput
from yongke.review.assignment import Infeasible, assign, build_instance, read_instance
from yongke.review.assignment.io import read_scores, read_scores_exactly
from yongke.review.assignment.randomized import as_cap

Pair = tuple[str, str]


# --------------------------------------------------------------------------- helpers


class Case:
    """A problem as plain data, so that checks never go through the solver's own structures."""

    def __init__(
        self,
        scores: dict[Pair, float],
        *,
        k: int,
        min_load: int = 0,
        max_load: int,
        loads: dict[str, tuple[int, int]] | None = None,
        conflicts: set[Pair] = frozenset(),  # type: ignore[assignment]
        forced: set[Pair] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        self.scores, self.k, self.conflicts, self.forced = scores, k, set(conflicts), set(forced)
        self.apps = sorted({a for a, _ in scores})
        self.experts = sorted({e for _, e in scores} | set(loads or {}))
        self.bounds = {e: (loads or {}).get(e, (min_load, max_load)) for e in self.experts}
        self.instance = build_instance(scores, k=k, min_load=min_load, max_load=max_load, loads=loads, conflicts=conflicts, forced=forced)

    def eligible(self, a: str) -> list[str]:
        return sorted(e for (x, e) in self.scores if x == a and (x, e) not in self.conflicts)

    def check(self, mapping: dict[str, list[dict]]) -> float:
        """Assert the output is a valid assignment; return its total affinity."""
        assert set(mapping) == set(self.apps)
        load: Counter[str] = Counter()
        total = 0.0
        for a, lst in mapping.items():
            experts = [x["expert"] for x in lst]
            assert len(experts) == self.k == len(set(experts)), a
            for x in lst:
                pair = (a, x["expert"])
                assert pair in self.scores, f"unscored {pair}"
                assert pair not in self.conflicts, f"conflicted {pair}"
                assert x["score"] == self.scores[pair]
                load[x["expert"]] += 1
                total += self.scores[pair]
        for e, (lo, hi) in self.bounds.items():
            assert lo <= load[e] <= hi, (e, load[e], lo, hi)
        for a, e in self.forced:
            assert e in [x["expert"] for x in mapping[a]], f"forced {(a, e)} missing"
        return total

    def app_totals(self, mapping: dict[str, list[dict]]) -> dict[str, float]:
        return {a: sum(self.scores[(a, x["expert"])] for x in lst) for a, lst in mapping.items()}


def random_case(
    seed: int,
    *,
    apps: int,
    experts: int,
    k: int,
    density: float = 0.7,
    lo: int = 0,
    hi: int = 4,
    conflict_rate: float = 0.1,
    forced: int = 0,
    decimals: int = 2,
) -> Case:
    """A random case that is feasible by construction (a planted assignment is scored and kept)."""
    rng = random.Random(seed)
    exps = [f"E{j}" for j in range(experts)]
    load: Counter[str] = Counter()
    planted: set[Pair] = set()
    for i in range(apps):
        order = sorted(exps, key=lambda e: (load[e], rng.random()))
        for e in order[:k]:
            planted.add((f"A{i}", e))
            load[e] += 1
    scores = {
        (f"A{i}", e): round(rng.random(), decimals) for i in range(apps) for e in exps if (f"A{i}", e) in planted or rng.random() < density
    }
    conflicts = {p for p in scores if p not in planted and rng.random() < conflict_rate}
    forced_pairs = set(rng.sample(sorted(planted), forced))
    loads = {e: (min(lo, load[e]), max(hi, load[e])) for e in exps}
    return Case(scores, k=k, max_load=hi, loads=loads, conflicts=conflicts, forced=forced_pairs)


def brute_force(case: Case) -> list[tuple[int, int]]:
    """Every valid assignment's (total, worst application) in integer hundredths."""
    options = []
    for a in case.apps:
        must = {e for (x, e) in case.forced if x == a}
        options.append([c for c in itertools.combinations(case.eligible(a), case.k) if must <= set(c)])
    out = []
    for choice in itertools.product(*options):
        load = Counter(e for c in choice for e in c)
        if all(lo <= load[e] <= hi for e, (lo, hi) in case.bounds.items()):
            sums = [sum(round(case.scores[(a, e)] * 100) for e in c) for a, c in zip(case.apps, choice, strict=True)]
            out.append((sum(sums), min(sums)))
    return out


def highs_model(case: Case, *, cap: float = 1.0, integer: bool = False, side: float | None = None, objective: str = "total"):
    """An LP/MILP of the case written directly against highspy: one column per eligible pair.

    `side` adds "every application's affinity >= side"; objective "worst" maximises t with
    "affinity >= t" rows instead. Returns (status, objective value).
    """
    import highspy

    h = highspy.Highs()
    h.silent()
    h.setOptionValue("mip_rel_gap", 0.0)
    pairs = [p for p in case.scores if p not in case.conflicts]
    x = {
        p: h.addVariable(
            lb=1.0 if p in case.forced else 0.0,
            ub=1.0 if p in case.forced else min(cap, 1.0),
            type=highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous,
        )
        for p in pairs
    }
    for a in case.apps:
        h.addConstr(sum(x[p] for p in pairs if p[0] == a) == case.k)
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


def solve(case: Case, mode: str = "optimal", **kw):
    result = assign(case.instance, mode=mode, **kw)
    mapping = result.as_mapping()
    return result, mapping, case.check(mapping)


# --------------------------------------------------------------------------- optimal mode


def test_minimum_load_case_reaches_the_true_optimum_1_7():
    # A must review one application; a greedy or max-then-min pass gives X to A or B at 0.9
    # and strands the other side. The optimum gives Y to A and X to B.
    case = Case({("X", "A"): 0.9, ("Y", "A"): 0.8, ("X", "B"): 0.9, ("Y", "B"): 0.1}, k=1, max_load=1, loads={"A": (1, 1), "B": (0, 1)})
    _, mapping, total = solve(case)
    assert total == pytest.approx(1.7)
    assert mapping == {"X": [{"expert": "B", "score": 0.9}], "Y": [{"expert": "A", "score": 0.8}]}


@pytest.mark.parametrize("seed", range(8))
def test_optimal_equals_brute_force_on_tiny_instances(seed):
    case = random_case(seed, apps=4, experts=4, k=2, lo=1, hi=3, forced=seed % 2)
    _, _, total = solve(case)
    assert round(total * 100) == max(t for t, _ in brute_force(case))


@pytest.mark.parametrize("seed", range(12))
def test_optimal_equals_an_independent_lp_relaxation(seed):
    case = random_case(100 + seed, apps=30, experts=14, k=3, density=0.5, lo=seed % 3, hi=9, forced=seed % 4, decimals=3)
    _, _, total = solve(case)
    status, bound = highs_model(case)
    assert status == "Optimal"
    assert total == pytest.approx(bound, abs=1e-6)


def test_scores_with_many_decimals_are_still_optimal():
    case = random_case(7, apps=25, experts=10, k=2, decimals=9, lo=1, hi=8)
    _, _, total = solve(case)
    _, bound = highs_model(case)
    assert total == pytest.approx(bound, abs=25 * 2 * 1e-6)


def test_forced_pairs_are_kept_even_when_they_cost_affinity():
    case = Case({("X", "A"): 0.9, ("X", "B"): 0.1, ("Y", "A"): 0.2, ("Y", "B"): 0.3}, k=1, max_load=1, forced={("X", "B")})
    _, mapping, total = solve(case)
    assert mapping["X"][0]["expert"] == "B"
    assert total == pytest.approx(0.1 + 0.2)


def test_conflicted_pairs_are_never_assigned_even_with_the_best_score():
    case = Case({("X", "A"): 1.0, ("X", "B"): 0.1, ("Y", "B"): 0.2, ("Y", "A"): 0.3}, k=1, max_load=2, conflicts={("X", "A")})
    _, mapping, _ = solve(case)
    assert mapping["X"][0]["expert"] == "B"


# --------------------------------------------------------------------------- fair mode


@pytest.mark.parametrize("seed", range(8))
def test_fair_is_lexicographically_optimal_on_tiny_instances(seed):
    case = random_case(200 + seed, apps=4, experts=4, k=2, lo=1, hi=3, forced=seed % 2)
    _, mapping, total = solve(case, "fair")
    everything = brute_force(case)
    best_worst = max(w for _, w in everything)
    assert round(min(case.app_totals(mapping).values()) * 100) == best_worst
    assert round(total * 100) == max(t for t, w in everything if w == best_worst)


@pytest.mark.parametrize("seed", range(6))
def test_fair_matches_an_independent_milp(seed):
    case = random_case(300 + seed, apps=14, experts=8, k=2, density=0.6, lo=1, hi=5, forced=seed % 3)
    _, mapping, total = solve(case, "fair")
    worst = min(case.app_totals(mapping).values())
    _, t_star = highs_model(case, integer=True, objective="worst")
    assert worst == pytest.approx(t_star, abs=1e-6)
    _, best_total = highs_model(case, integer=True, side=t_star)
    assert total == pytest.approx(best_total, abs=1e-6)


def popular_experts_case(seed: int = 1) -> Case:
    """Everyone prefers the same few experts, so the optimum starves some applications."""
    rng = random.Random(seed)
    quality = {f"E{j}": rng.random() for j in range(12)}
    scores = {
        (f"A{i}", e): round(0.3 * rng.random() + 0.7 * q * rng.uniform(0.5, 1.0), 3)
        for i in range(30)
        for e, q in quality.items()
        if rng.random() < 0.6
    }
    return Case(scores, k=2, min_load=2, max_load=8)


def test_fair_raises_the_worst_application_and_stays_feasible():
    case = popular_experts_case()
    _, opt_map, opt_total = solve(case, "optimal")
    result, fair_map, fair_total = solve(case, "fair")
    opt_worst = min(case.app_totals(opt_map).values())
    fair_worst = min(case.app_totals(fair_map).values())
    assert fair_worst > opt_worst
    assert fair_total <= opt_total + 1e-9
    assert result.info["threshold"] == pytest.approx(fair_worst)


@pytest.mark.parametrize("seed", range(5))
def test_fair_worst_is_never_below_optimal_worst(seed):
    case = random_case(400 + seed, apps=40, experts=15, k=3, density=0.5, lo=1, hi=10, forced=seed)
    _, opt_map, _ = solve(case, "optimal")
    _, fair_map, _ = solve(case, "fair")
    assert min(case.app_totals(fair_map).values()) >= min(case.app_totals(opt_map).values()) - 1e-9


def test_fair_when_the_best_possible_worst_is_unreachable():
    # Judged one application at a time, everyone could get 0.6 or more (Z's best is 0.6) —
    # but X and Y both need A for that and A takes one review, so the bisection comes down to
    # 0.5: Y takes A, X takes B.
    case = Case(
        {("X", "A"): 0.9, ("X", "B"): 0.5, ("Y", "A"): 0.9, ("Y", "C"): 0.4, ("Z", "B"): 0.6, ("Z", "C"): 0.6, ("Z", "D"): 0.6},
        k=1,
        max_load=1,
    )
    result, mapping, total = solve(case, "fair")
    assert result.info["upper_bound"] == pytest.approx(0.6)
    assert min(case.app_totals(mapping).values()) == pytest.approx(0.5)
    assert any(not c["feasible"] for c in result.info["checks"])
    assert mapping["Y"][0]["expert"] == "A"
    assert mapping["X"][0]["expert"] == "B"
    everything = brute_force(case)
    assert round(total * 100) == max(t for t, w in everything if w == 50)


# --------------------------------------------------------------------------- random mode


def small_random_case() -> Case:
    scores = {
        (a, e): s
        for (a, e), s in {
            ("X", "A"): 0.9,
            ("X", "B"): 0.8,
            ("X", "C"): 0.3,
            ("X", "D"): 0.2,
            ("Y", "A"): 0.7,
            ("Y", "B"): 0.6,
            ("Y", "C"): 0.5,
            ("Y", "D"): 0.1,
            ("Z", "A"): 0.6,
            ("Z", "B"): 0.2,
            ("Z", "C"): 0.9,
            ("Z", "D"): 0.4,
        }.items()
    }
    return Case(scores, k=2, min_load=1, max_load=2)


def test_random_same_seed_gives_the_same_assignment():
    case = random_case(5, apps=20, experts=10, k=3, density=0.9, conflict_rate=0.02, lo=1, hi=8)
    first = assign(case.instance, mode="random", seed=42).as_mapping()
    again = assign(case.instance, mode="random", seed=42).as_mapping()
    assert first == again
    case.check(first)
    others = {json.dumps(assign(case.instance, mode="random", seed=s).as_mapping(), sort_keys=True) for s in range(10)}
    assert len(others) > 1


def test_random_records_the_seed_it_drew_and_replays_it():
    case = small_random_case()
    drawn = assign(case.instance, mode="random")
    seed = drawn.info["seed"]
    assert isinstance(seed, int)
    assert assign(case.instance, mode="random", seed=seed).as_mapping() == drawn.as_mapping()


def test_random_pair_frequencies_respect_the_cap_and_match_the_marginals() -> None:
    case = small_random_case()
    draws = 1200
    counts: Counter[Pair] = Counter()
    for seed in range(draws):
        result, mapping, _ = solve(case, "random", seed=seed, max_prob=Fraction(1, 2))
        counts.update((a, x["expert"]) for a, lst in mapping.items() for x in lst)
    # Standard error at p = 0.5 over 1200 draws is 0.0144; 4 sigma keeps the test stable.
    for pair, c in counts.items():
        assert c / draws <= 0.5 + 0.06, pair
    # The expected affinity of the draws equals the capped LP optimum.
    mean = sum(case.scores[p] * c for p, c in counts.items()) / draws
    _, lp = highs_model(case, cap=0.5)
    assert mean == pytest.approx(lp, abs=0.03)
    assert result.info["expected_affinity"] == pytest.approx(lp, abs=1e-9)


def test_random_marginals_are_the_capped_lp_optimum():
    case = random_case(11, apps=25, experts=12, k=2, density=0.9, conflict_rate=0.02, lo=1, hi=6)
    result, _, _ = solve(case, "random", seed=3, max_prob="0.35")
    _, lp = highs_model(case, cap=0.35)
    assert result.info["expected_affinity"] == pytest.approx(lp, abs=1e-6)
    assert result.info["max_prob_exact"] == "7/20"


def test_random_with_cap_one_is_the_optimum():
    case = random_case(12, apps=15, experts=8, k=2, lo=1, hi=5)
    _, _, total = solve(case, "random", seed=1, max_prob=1)
    _, _, best = solve(case, "optimal")
    assert total == pytest.approx(best)


def test_random_cap_too_tight_is_diagnosed():
    case = Case({("X", "A"): 0.5, ("X", "B"): 0.5, ("Y", "A"): 0.1, ("Y", "B"): 0.2, ("Y", "C"): 0.3}, k=1, max_load=2)
    with pytest.raises(Infeasible) as e:
        assign(case.instance, mode="random", seed=1, max_prob=Fraction(2, 5))
    problem = e.value.diagnosis["problems"][0]
    assert problem["code"] == "application_too_few_eligible"
    assert problem["applications"] == [{"application": "X", "eligible": 2, "scored": 2, "conflicted": 0, "needed": 3}]


def test_cap_is_rounded_down_never_up():
    assert as_cap("0.5") == Fraction(1, 2)
    assert as_cap(1 / 3) <= Fraction(1, 3)


# --------------------------------------------------------------------------- diagnosis


def diagnosis(case: Case, mode: str = "optimal") -> dict:
    with pytest.raises(Infeasible) as e:
        assign(case.instance, mode=mode)
    d = e.value.diagnosis
    assert d["feasible"] is False
    assert d["message"]
    return d


def codes(d: dict) -> list[str]:
    return [p["code"] for p in d["problems"]]


def test_application_with_too_few_eligible_experts_is_named_with_its_counts():
    case = Case(
        {("X", "A"): 0.5, ("X", "B"): 0.5, ("X", "C"): 0.5, ("Y", "A"): 0.5, ("Y", "B"): 0.5, ("Y", "C"): 0.4},
        k=3,
        max_load=2,
        conflicts={("X", "C")},
    )
    d = diagnosis(case)
    first = d["problems"][0]
    assert first["code"] == "application_too_few_eligible"
    assert first["applications"] == [{"application": "X", "eligible": 2, "scored": 3, "conflicted": 1, "needed": 3}]
    assert "X" in first["message"]
    assert " / " in first["message"]


def test_sum_of_minimums_above_the_reviews_is_named():
    case = Case({("X", "A"): 0.5, ("X", "B"): 0.5}, k=1, min_load=1, max_load=1)
    assert "sum_of_minimums_too_high" in codes(diagnosis(case))


def test_sum_of_maximums_below_the_reviews_is_named():
    case = Case({(a, e): 0.5 for a in "XYZ" for e in "AB"}, k=1, max_load=1)
    d = diagnosis(case)
    assert "sum_of_maximums_too_low" in codes(d)


def test_expert_minimum_above_what_they_may_review_is_named():
    case = Case({("X", "A"): 0.5, ("Y", "A"): 0.5, ("X", "B"): 0.5, ("Y", "B"): 0.5, ("Y", "C"): 0.5}, k=1, max_load=2, loads={"C": (2, 2)})
    d = diagnosis(case)
    assert codes(d) == ["expert_min_unreachable"]
    assert d["problems"][0]["experts"] == [{"expert": "C", "min": 2, "eligible": 1}]


def test_forced_pairs_beyond_k_or_max_are_named():
    case = Case({("X", "A"): 0.5, ("X", "B"): 0.5, ("Y", "A"): 0.5, ("Y", "B"): 0.5}, k=1, max_load=2, forced={("X", "A"), ("X", "B")})
    assert "application_forced_over_k" in codes(diagnosis(case))
    case = Case({("X", "A"): 0.5, ("Y", "A"): 0.5, ("X", "B"): 0.5, ("Y", "B"): 0.5}, k=1, max_load=1, forced={("X", "A"), ("Y", "A")})
    assert "expert_forced_over_max" in codes(diagnosis(case))


def test_a_group_of_applications_sharing_too_few_experts_is_named():
    # Each of X, Y, Z has two eligible experts and the pool is big enough in total, but all
    # three can only use A and B, who take one review each.
    scores = {(a, e): 0.5 for a in "XYZ" for e in "AB"}
    scores.update({("W", e): 0.5 for e in "CDE"})
    case = Case(scores, k=1, max_load=1)
    d = diagnosis(case)
    assert codes(d) == ["applications_short_of_experts"]
    assert sorted(d["problems"][0]["applications"]) == ["X", "Y", "Z"]
    assert d["problems"][0]["reviews_needed"] == 3
    assert d["problems"][0]["reviews_available"] == 2


def test_a_group_of_experts_whose_minimums_cannot_be_filled_is_named():
    scores = {("X", e): 0.5 for e in "ABC"}
    scores.update({("Y", e): 0.5 for e in "CDE"})
    case = Case(scores, k=1, max_load=3, loads={"A": (1, 1), "B": (1, 1)})
    d = diagnosis(case)
    assert codes(d) == ["experts_short_of_applications"]
    assert sorted(d["problems"][0]["experts"]) == ["A", "B"]


def test_every_infeasible_random_instance_gets_a_named_cause():
    rng = random.Random(0)
    seen = 0
    for _ in range(300):
        apps = [f"A{i}" for i in range(rng.randint(2, 5))]
        experts = [f"E{j}" for j in range(rng.randint(2, 5))]
        scores = {(a, e): 0.5 for a in apps for e in experts if rng.random() < 0.5}
        if not scores:
            continue
        loads = {}
        for e in experts:
            lo = rng.randint(0, 3)
            loads[e] = (lo, rng.randint(lo, 4))
        forced = {p for p in scores if rng.random() < 0.1}
        try:
            assign(build_instance(scores, k=rng.randint(1, 3), max_load=2, loads=loads, forced=forced))
        except Infeasible as e:
            seen += 1
            assert "unexplained" not in codes(e.diagnosis)  # noqa: PT017 - only some random instances are infeasible; each that is must be explained
    assert seen > 100


# --------------------------------------------------------------------------- the file contract


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    scores = write(tmp_path / "scores.csv", "application_id,expert_id,score\nX,A,0.9\nY,A,0.8\nX,B,0.9\nY,B,0.1\nY,C,0.7\n")
    conflicts = write(tmp_path / "conflicts.csv", "Y,C,-1\nQ,Z,-1\n")
    loads = write(tmp_path / "loads.csv", "expert_id,max,min\nA,1,1\nB,1\n")
    return tmp_path, scores, conflicts, loads


def test_reading_applies_conflicts_loads_and_header_detection(files):
    _, scores, conflicts, loads = files
    inst = read_instance(scores, conflicts, loads, k=1, min_load=0, max_load=2)
    assert inst.applications == ["X", "Y"]
    assert inst.experts == ["A", "B", "C"]
    assert inst.edges == 4  # Y-C removed by its conflict
    assert inst.conflicted.tolist() == [0, 1]
    assert inst.conflicts_unscored == 1
    assert inst.min_load.tolist() == [1, 0, 0]
    assert inst.max_load.tolist() == [1, 1, 2]


def test_a_max_only_load_row_below_the_default_min_lowers_the_min(tmp_path, files):
    _, scores, _, _ = files
    loads = write(tmp_path / "l.csv", "B,1\n")
    inst = read_instance(scores, None, loads, k=1, min_load=2, max_load=4)
    assert inst.min_load.tolist() == [2, 1, 2]
    assert inst.max_load.tolist() == [4, 1, 4]


def test_header_is_optional_and_blank_lines_bom_and_spaces_are_tolerated(tmp_path):
    a = write(tmp_path / "a.csv", "X,A,0.5\nX,B,0.25\n")
    b = tmp_path / "b.csv"
    b.write_bytes("\ufeffapp,exp,score\n\n X , A , 0.5 \n\nX,B,0.25\n".encode())
    for path in (a, b):
        sc = read_scores(path)
        assert sc.apps == ["X"]
        assert sc.experts == ["A", "B"]
        assert sc.score.tolist() == [0.5, 0.25]


def test_fast_and_exact_readers_agree(tmp_path):
    rng = random.Random(3)
    lines = ["application_id,expert_id,score"] + [
        f"P{i},E{j},{rng.random():.4f}" for i in range(60) for j in range(25) if rng.random() < 0.5
    ]
    path = write(tmp_path / "s.csv", "\n".join(lines) + "\n")
    fast, exact = read_scores(path), read_scores_exactly(path)
    assert fast.apps == exact.apps
    assert fast.experts == exact.experts
    assert np.array_equal(fast.ea, exact.ea)
    assert np.array_equal(fast.ee, exact.ee)
    assert np.array_equal(fast.score, exact.score)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("scores", "X,A,0.5\nX,B,abc\n", ["line 2", "field score", "abc"]),
        ("scores", "application_id,expert_id,score\nX,A,0.5\nX,B,inf\n", ["line 3", "score is not finite"]),
        ("scores", "X,A,0.5\nX,B\n", ["line 2", "expected 3 fields"]),
        ("scores", "X,A,0.5\nX,A,0.7\n", ["line 2", "duplicate pair (first on line 1)"]),
        ("scores", "X,,0.5\n", ["line 1", "field expert_id"]),
        ("scores", "0,5\n", ["line 1", "expected 3 fields"]),
        ("scores", "application_id,expert_id,score\n", ["no scores"]),
        ("conflicts", "X,A,-2\n", ["conflicts.csv line 1", "field value", "-1 (conflict) or 1"]),
        ("conflicts", "X,Q,1\n", ["line 1", "forced pair has no score"]),
        ("conflicts", "X,A,-1\nX,A,1\n", ["line 2", "contradicts line 1"]),
        ("loads", "A,2,3\n", ["loads.csv line 1", "field min", "min 3 exceeds max 2"]),
        ("loads", "A,1.5\n", ["line 1", "field max", "non-negative integer"]),
        ("loads", "A,2\nA,3\n", ["line 2", "duplicate expert"]),
    ],
)
def test_bad_files_are_refused_naming_file_line_and_field(tmp_path, name, text, expected):
    paths = {
        "scores": write(tmp_path / "scores.csv", "X,A,0.5\nY,A,0.5\n"),
        "conflicts": write(tmp_path / "conflicts.csv", ""),
        "loads": write(tmp_path / "loads.csv", ""),
    }
    write(paths[name], text)
    with pytest.raises(BadInput) as e:
        read_instance(paths["scores"], paths["conflicts"], paths["loads"], k=1, min_load=0, max_load=2)
    message = e.value.message
    assert f"{name}.csv" in message
    assert " / " in message
    for part in expected:
        assert part in message, message


@pytest.mark.parametrize(
    ("k", "lo", "hi", "field"),
    [(-1, 0, 2, "--k"), (1, 3, 2, "--min-load"), (1, -1, 2, "--min-load")],
)
def test_bad_numbers_are_refused(files, k, lo, hi, field):
    _, scores, conflicts, _ = files
    with pytest.raises(BadInput) as e:
        read_instance(scores, conflicts, k=k, min_load=lo, max_load=hi)
    assert e.value.detail["field"] == field


def test_missing_file_is_named(tmp_path):
    with pytest.raises(BadInput) as e:
        read_instance(tmp_path / "nope.csv", k=1, min_load=0, max_load=1)
    assert "nope.csv" in e.value.message
    assert "file not found" in e.value.message


# --------------------------------------------------------------------------- the CLI


def cli(files_dir: Path, *extra: str, scores: str = "scores.csv") -> list[str]:
    return [
        "review",
        "assign",
        "--scores",
        str(files_dir / scores),
        "--conflicts",
        str(files_dir / "conflicts.csv"),
        "--k",
        "1",
        "--min-load",
        "0",
        "--max-load",
        "2",
        "--out",
        str(files_dir / "out.json"),
        *extra,
    ]


def test_cli_writes_the_assignment_and_prints_the_summary(files, capsys):
    d, *_ = files
    assert run([*cli(d), "--loads", str(d / "loads.csv")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["mode"] == "optimal"
    assert summary["total_affinity"] == pytest.approx(1.7)
    assert summary["applications"] == 2
    assert summary["experts"] == 3
    assert summary["seconds"] >= 0
    out = json.loads((d / "out.json").read_text(encoding="utf-8"))
    assert out == {"X": [{"expert": "B", "score": 0.9}], "Y": [{"expert": "A", "score": 0.8}]}


def test_cli_fair_and_random_modes(files, capsys):
    d, *_ = files
    assert run([*cli(d), "--mode", "fair"]) == 0
    assert json.loads(capsys.readouterr().out)["mode"] == "fair"
    assert run([*cli(d), "--mode", "random", "--seed", "9", "--max-prob", "0.5"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["seed"] == 9
    assert summary["max_prob"] == 0.5
    first = (d / "out.json").read_text(encoding="utf-8")
    assert run([*cli(d), "--mode", "random", "--seed", "9"]) == 0
    capsys.readouterr()
    assert (d / "out.json").read_text(encoding="utf-8") == first


def test_cli_infeasible_exits_1_with_the_diagnosis_and_writes_nothing(files, capsys):
    d, *_ = files
    args = cli(d)
    args[args.index("--k") + 1] = "3"
    assert run(args) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["feasible"] is False
    assert out["problems"][0]["code"] == "application_too_few_eligible"
    assert not (d / "out.json").exists()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--mode", "greedy"], "invalid choice"),
        (["--seed", "3"], "--seed"),
        (["--mode", "random", "--max-prob", "1.5"], "--max-prob"),
        (["--mode", "random", "--seed", "-1"], "--seed"),
    ],
)
def test_cli_bad_arguments_exit_2_with_one_line(files, capsys, extra, needle):
    d, *_ = files
    assert run([*cli(d), *extra]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert err.count("\n") == 1


def test_cli_bad_score_exits_2_naming_file_line_and_field(files, capsys):
    d, *_ = files
    write(d / "bad.csv", "X,A,0.5\nY,A,high\n")
    assert run(cli(d, scores="bad.csv")) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err
    assert "line 2" in err
    assert "score" in err


def test_unknown_mode_and_bad_cap_are_bad_input():
    case = small_random_case()
    with pytest.raises(BadInput):
        assign(case.instance, mode="greedy")
    with pytest.raises(BadInput):
        assign(case.instance, mode="random", max_prob=0)
