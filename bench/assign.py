"""Benchmark: expert assignment end to end (CSV in, JSON out) against an LP baseline.

    .venv/bin/python bench/assign.py            # 5,000 applications x 2,800 experts
    .venv/bin/python bench/assign.py --small    # 500 x 280, a quick run

The instance: k = 3, loads 2..9, 200 scored candidates per application (drawn at random
from the pool), 2% of scored pairs in conflict. A score is topic fit (cosine of random topic
vectors) plus the expert's standing (most experts ordinary, a few sought after) plus noise,
rounded to 4 decimals. Standing makes everybody want the same few experts: their maximum
loads bind, the rest must be pushed to their minimum, and the optimum leaves some
applications with weak panels — the case where both load bounds matter and where fair mode
has work to do.

Each mode runs as its own `yongke review assign` process, so the time is what an operator
waits for (interpreter start, imports, reading CSV, solving, writing JSON) and the peak
memory is that process's own (wait4 ru_maxrss). The baseline, in its own process too, reads
the same files and solves the LP relaxation with HiGHS: its optimum bounds every integral
assignment, so optimal mode must reach 100% of it. Every output file is checked against
the CSVs independently of the solver code (k per application, loads, no conflicted or
unscored pair). Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

FULL = {"apps": 5000, "experts": 2800, "candidates": 200}
SMALL = {"apps": 500, "experts": 280, "candidates": 60}
K, MIN_LOAD, MAX_LOAD, CONFLICT_RATE = 3, 2, 9, 0.02


def generate(out: Path, *, apps: int, experts: int, candidates: int, seed: int) -> dict[str, int]:
    """Write scores.csv and conflicts.csv for a synthetic call; returns the counts."""
    import polars as pl

    rng = np.random.default_rng(seed)
    dim = 8
    a_vec = rng.normal(size=(apps, dim))
    a_vec /= np.linalg.norm(a_vec, axis=1, keepdims=True)
    e_vec = rng.normal(size=(experts, dim))
    e_vec /= np.linalg.norm(e_vec, axis=1, keepdims=True)
    cols = np.concatenate([rng.choice(experts, size=candidates, replace=False) for _ in range(apps)])
    rows = np.repeat(np.arange(apps), candidates)
    cosine = np.einsum("ij,ij->i", a_vec[rows], e_vec[cols])
    standing = rng.beta(2.0, 5.0, size=experts)
    score = np.clip(0.35 + 0.3 * cosine + 0.5 * standing[cols] + rng.normal(0.0, 0.08, size=cosine.size), 0.0, 1.0).round(4)
    app_ids = np.char.add("P", np.char.zfill(np.arange(apps).astype(str), 5))
    exp_ids = np.char.add("E", np.char.zfill(np.arange(experts).astype(str), 4))
    pl.DataFrame({"application_id": app_ids[rows], "expert_id": exp_ids[cols], "score": score}).write_csv(out / "scores.csv")
    conflict = rng.random(rows.size) < CONFLICT_RATE
    pl.DataFrame(
        {
            "application_id": app_ids[rows[conflict]],
            "expert_id": exp_ids[cols[conflict]],
            "value": np.full(int(conflict.sum()), -1),
        }
    ).write_csv(out / "conflicts.csv", include_header=False)
    return {"pairs": int(rows.size), "conflicts": int(conflict.sum())}


def run_measured(argv: list[str]) -> tuple[int, dict[str, Any], float, float, str]:
    """Run a child; (exit code, its JSON stdout, wall seconds, peak MB, stderr).

    Reaped with os.wait4 so the peak memory is this child's own (RUSAGE_CHILDREN would be
    the maximum over every child so far).
    """
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as fout, tempfile.TemporaryFile("w+") as ferr:
        proc = subprocess.Popen(argv, stdout=fout, stderr=ferr, cwd=ROOT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    try:
        data = json.loads(out) if out.strip() else {}
    except json.JSONDecodeError:
        data = {"raw": out[-2000:]}
    return proc.returncode, data, wall, peak_mb, err


def cli(mode: str, d: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "yongke.cli.main",
        "review",
        "assign",
        "--scores",
        str(d / "scores.csv"),
        "--conflicts",
        str(d / "conflicts.csv"),
        "--k",
        str(K),
        "--min-load",
        str(MIN_LOAD),
        "--max-load",
        str(MAX_LOAD),
        "--mode",
        mode,
        "--out",
        str(d / f"assignment-{mode}.json"),
    ]


def lp_baseline(d: Path) -> None:
    """Child process: the LP relaxation with HiGHS over the same eligible pairs; prints JSON."""
    sys.path.insert(0, str(ROOT))
    from yongke.review.assignment import read_instance
    from yongke.review.assignment.fair import quiet_highs

    t0 = time.perf_counter()
    inst = read_instance(d / "scores.csv", d / "conflicts.csv", k=K, min_load=MIN_LOAD, max_load=MAX_LOAD)
    t_read = time.perf_counter()
    import highspy

    n, m, e = inst.n, inst.m, inst.edges
    index = np.empty(2 * e, dtype=np.int32)
    index[0::2] = inst.edge_app
    index[1::2] = n + inst.edge_expert
    h = quiet_highs()
    h.passModel(
        e,
        n + m,
        2 * e,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMaximize),
        0.0,
        inst.score,
        inst.forced.astype(float),
        np.ones(e),
        np.concatenate([np.full(n, K), inst.min_load]).astype(float),
        np.concatenate([np.full(n, K), inst.max_load]).astype(float),
        np.arange(0, 2 * e, 2, dtype=np.int32),
        index,
        np.ones(2 * e),
        np.zeros(e, dtype=np.int32),
    )
    h.run()
    t_end = time.perf_counter()
    print(
        json.dumps(
            {
                "status": h.modelStatusToString(h.getModelStatus()),
                "objective": h.getInfo().objective_function_value,
                "read_seconds": round(t_read - t0, 3),
                "lp_seconds": round(t_end - t_read, 3),
                "seconds": round(t_end - t0, 3),
            }
        )
    )


def check_output(d: Path, mode: str) -> tuple[float, float, list[str]]:
    """(total, worst application, problems) recomputed from the CSVs and the output JSON alone."""
    import polars as pl

    scores = pl.read_csv(d / "scores.csv", schema={"application_id": pl.String, "expert_id": pl.String, "score": pl.Float64})
    score = {(a, e): s for a, e, s in scores.iter_rows()}
    conflicts = {(a, e) for a, e, _ in pl.read_csv(d / "conflicts.csv", has_header=False, infer_schema=False).iter_rows()}
    out = json.loads((d / f"assignment-{mode}.json").read_text(encoding="utf-8"))
    problems: list[str] = []
    apps = {a for a, _ in score}
    if set(out) != apps:
        problems.append("applications differ from scores.csv")
    load: dict[str, int] = {}
    totals = []
    for a, lst in out.items():
        if len(lst) != K or len({x["expert"] for x in lst}) != K:
            problems.append(f"{a}: not {K} distinct experts")
        for x in lst:
            pair = (a, x["expert"])
            if pair not in score:
                problems.append(f"{pair}: unscored")
            if pair in conflicts:
                problems.append(f"{pair}: conflicted")
            load[x["expert"]] = load.get(x["expert"], 0) + 1
        totals.append(sum(score.get((a, x["expert"]), 0.0) for x in lst))
    experts = {e for _, e in score}
    bad = [e for e in experts if not MIN_LOAD <= load.get(e, 0) <= MAX_LOAD]
    if bad:
        problems.append(f"{len(bad)} experts outside loads {MIN_LOAD}..{MAX_LOAD}")
    return float(sum(totals)), float(min(totals)), problems[:5]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--small", action="store_true", help="500 x 280 x 60 candidates: a quick run")
    p.add_argument("--seed", type=int, default=20240605)
    p.add_argument("--keep", help="write the CSV and JSON files here instead of a temp dir")
    p.add_argument("--modes", default="optimal,fair", help="comma-separated modes to run")
    p.add_argument("--lp-baseline", help=argparse.SUPPRESS)  # internal: the child that solves the LP
    args = p.parse_args()
    if args.lp_baseline:
        lp_baseline(Path(args.lp_baseline))
        return 0

    size = SMALL if args.small else FULL
    ctx = tempfile.TemporaryDirectory(prefix="yongke-bench-") if not args.keep else None
    d = Path(args.keep or ctx.name)  # type: ignore[union-attr]
    d.mkdir(parents=True, exist_ok=True)
    print(
        f"instance: {size['apps']} applications x {size['experts']} experts, k={K}, loads {MIN_LOAD}..{MAX_LOAD}, "
        f"{size['candidates']} scored candidates each, {CONFLICT_RATE:.0%} conflicts; cores={os.cpu_count()}"
    )
    t0 = time.perf_counter()
    counts = generate(d, apps=size["apps"], experts=size["experts"], candidates=size["candidates"], seed=args.seed)
    print(f"generated {counts['pairs']:,} scored pairs, {counts['conflicts']:,} conflicts in {time.perf_counter() - t0:.1f} s -> {d}")

    results: dict[str, dict[str, Any]] = {}
    for mode in args.modes.split(","):
        code, data, wall, peak, err = run_measured(cli(mode, d))
        if code != 0:
            print(f"{mode}: exit {code}\n{err.strip()}\n{json.dumps(data, ensure_ascii=False)[:2000]}")
            return 1
        total, worst, problems = check_output(d, mode)
        results[mode] = {"wall": wall, "peak": peak, "data": data, "total": total, "worst": worst, "problems": problems}

    code, lp, lp_wall, lp_peak, err = run_measured([sys.executable, __file__, "--lp-baseline", str(d)])
    if code != 0 or lp.get("status") != "Optimal":
        print(f"LP baseline failed: exit {code} {lp} {err.strip()[-500:]}")
        return 1
    bound = float(lp["objective"])

    print()
    print(f"{'':22}{'end to end':>12}{'peak MB':>10}{'total affinity':>17}{'of LP bound':>14}{'worst app':>11}  output check")
    for mode, r in results.items():
        ok = "ok" if not r["problems"] else "; ".join(r["problems"])
        print(
            f"{mode + ' mode':22}{r['wall']:>10.2f} s{r['peak']:>10.0f}{r['total']:>17.4f}{r['total'] / bound:>13.4%}"
            f"{r['worst']:>11.4f}  {ok}"
        )
        print(f"{'':22}(read {r['data'].get('read_seconds')} s, solve {r['data'].get('solve_seconds')} s in-process)")
    print(
        f"{'LP relaxation (HiGHS)':22}{lp_wall:>10.2f} s{lp_peak:>10.0f}{bound:>17.4f}{1:>13.4%}{'':>11}  "
        f"(read {lp['read_seconds']} s, LP {lp['lp_seconds']} s)"
    )
    print()
    if "optimal" in results:
        r = results["optimal"]
        print(
            f"optimal mode: {r['total'] / bound:.6%} of the LP bound (gap {bound - r['total']:.6f}); "
            f"LP baseline / optimal mode time = {lp_wall / r['wall']:.1f}x end to end, "
            f"{lp['lp_seconds'] / max(r['data'].get('solve_seconds', 0), 1e-9):.1f}x solve only"
        )
        goals = [
            ("100% of the LP bound", abs(bound - r["total"]) <= 1e-6 * max(1.0, bound)),
            ("under 20 s end to end", r["wall"] < 20),
            ("under 1 GB peak", r["peak"] < 1024),
        ]
        print("goals: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in goals))
    if "optimal" in results and "fair" in results:
        f, o = results["fair"], results["optimal"]
        info = f["data"]
        print(
            f"fair mode: worst-served application {f['worst']:.4f} vs optimal mode's {o['worst']:.4f} "
            f"(upper bound {info.get('upper_bound')}); total {f['total']:.4f} = {f['total'] / o['total']:.4%} of optimal's; "
            f"{len(info.get('checks', []))} threshold checks, {info.get('lps')} LPs ({info.get('lp_seconds')} s), "
            f"pricing {info.get('pricing_seconds')} s, {info.get('milps')} MILPs ({info.get('milp_seconds')} s, "
            f"{info.get('milp_columns')} columns); {'no worse: met' if f['worst'] >= o['worst'] - 1e-9 else 'WORSE'}"
        )
    if ctx is not None:
        ctx.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
