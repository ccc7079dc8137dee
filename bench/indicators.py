"""Benchmark: every 考核指标 of 100,000 projects verified against their actuals, column-wise.

    .venv/bin/python bench/indicators.py                 # 100,000 projects
    .venv/bin/python bench/indicators.py --rows 5000     # while developing

The table (one row per project: `project`, `direction`, an actual and a `target.<fact>`
column for every fact an indicator rule reads — the commitments, and the 优先支持 rules
reading a promise, an indicator where the targets state it) is generated from a seed and
written to a parquet file in a temporary folder. Projects are spread evenly over the
directions with indicator rules; each numeric target is the rule's threshold or above it (within a range's
upper bound), given for 70% of the facts; actuals lie around their targets: 5% not given,
10% just below (the indicator fails), the rest at or above; booleans promised true are
achieved 85% of the time; the route (an enumeration) is now and then fixed by the task book.

(a) The column engine (`yongke.projects.columns`): reading the parquet file, checking and
    typing every column, every indicator and the per-project frame (counts, completion rate,
    verdict). The rules are translated once beforehand (shown); the best of --repeat runs
    before (b) and --repeat after it (on a shared machine the load drifts).
(b) A plain per-row loop calling `verification.check_indicator` for every project and
    indicator, with `verdict_of` and `completion_rate` per project, in the same process on
    the same data (the projects as {fact: value} dicts, nulls left out, as a report holds
    them; making the dicts is shown, not timed), called as `verify` calls it (a route given
    with the targets is the context). One run, every project; --loop-rows times
    the loop on the first N projects only and scales its time per project (said in the output).

Both must give the same result for every indicator and every project; a difference fails the
run after every figure is printed. Goals: (a) under 2 s and at least 20x faster than (b).
The figures are not part of the test run; a test runs it on 300 projects for the agreement
(yongke/projects/tests/test_bench_indicators.py).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from yongke.guide.columnar import POLARS_TYPES
from yongke.guide.engine import CompiledGuide
from yongke.guide.loader import bundled_guide
from yongke.guide.model import NUMERIC_TYPES
from yongke.projects import columns
from yongke.projects.taskbook import indicator_rules, is_target
from yongke.projects.verification import check_indicator, completion_rate, indicators_of, verdict_of

GOAL_RATIO, GOAL_SECONDS = 20.0, 2.0
UNKNOWN, BELOW, AT = 0.05, 0.10, 0.25  # shares of actuals not given, just below the target, at it (the rest above)
TARGETED = 0.7  # share of facts given a target
_BOUND = re.compile(r"\b([a-z_][a-z0-9_]*)\s*(>=|<=)\s*([0-9]+(?:\.[0-9]+)?)")


def bounds(compiled: CompiledGuide, direction: str) -> dict[str, tuple[float, float | None]]:
    """For each fact a direction's indicator rules compare with a figure: (the highest `>=` figure, the lowest `<=` one)."""
    out: dict[str, tuple[float, float | None]] = {}
    for cr in indicator_rules(compiled, direction):
        for name, op, figure in _BOUND.findall(cr.rule.expr):
            lo, hi = out.get(name, (0.0, None))
            v = float(figure)
            out[name] = (max(lo, v), hi) if op == ">=" else (lo, v if hi is None else min(hi, v))
    return out


def _column(name: str, values: np.ndarray, given: np.ndarray, dtype: pl.DataType) -> pl.Series:
    s = pl.Series(name, values, dtype=dtype)
    return pl.select(pl.when(pl.Series(given)).then(s).otherwise(None).alias(name)).to_series()


def generate(compiled: CompiledGuide, rows: int, seed: int = 2022) -> pl.DataFrame:
    """`rows` projects over every direction with indicator rules (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    facts = compiled.guide.facts
    ids = [d.id for d in compiled.guide.directions if indicator_rules(compiled, d.id)]
    which = rng.integers(0, len(ids), rows)
    reads: dict[str, dict[int, tuple[float, float | None]]] = {}  # fact -> {direction index: bounds}
    for i, did in enumerate(ids):
        b = bounds(compiled, did)
        for cr in indicator_rules(compiled, did):
            for n in cr.names:
                if n in facts:
                    reads.setdefault(n, {})[i] = b.get(n, (1.0, None))
    cols = [
        pl.Series(columns.PROJECT, [f"P{i:06d}" for i in range(rows)]),
        pl.Series(columns.DIRECTION, np.asarray(ids, dtype=object)[which], dtype=pl.String),
    ]
    for name, by_direction in reads.items():
        fact = facts[name]
        used = np.isin(which, list(by_direction))
        targeted = used & (rng.random(rows) < TARGETED)
        given = used & (rng.random(rows) >= UNKNOWN)
        dtype = POLARS_TYPES[fact.type]
        if fact.type in NUMERIC_TYPES:
            lo = np.zeros(rows)
            hi = np.full(rows, np.inf)
            for i, (low, high) in by_direction.items():
                lo[which == i] = low
                hi[which == i] = np.inf if high is None else high
            target = np.minimum(lo * rng.choice([1.0, 1.0, 1.25, 1.5, 2.0], rows), hi)
            base = np.where(targeted, target, lo)
            u = rng.random(rows)
            actual = np.where(u < BELOW, base - np.maximum(1.0, base * 0.1), np.where(u < BELOW + AT, base, base * 1.3))
            actual = np.maximum(actual, 0.0)
            if fact.type != "number":
                target, actual = np.ceil(target).astype(np.int64), np.floor(actual).astype(np.int64)
            cols += [_column(name, actual, given, dtype), _column(columns.target_column(name), target, targeted, dtype)]
        elif fact.type == "bool":
            promised = rng.random(rows) < 0.95  # now and then a task book promises false (anything meets it)
            achieved = rng.random(rows) < 0.85
            kpi = fact.about == "application"
            cols += [_column(name, achieved, given, dtype), _column(columns.target_column(name), promised, targeted & kpi, dtype)]
        else:  # the route chosen: an enumeration, now and then fixed by the task book
            values = np.asarray(fact.values, dtype=object)
            actual = values[rng.integers(0, len(values), rows)]
            target = np.where(rng.random(rows) < 0.8, actual, values[rng.integers(0, len(values), rows)])
            cols += [
                _column(name, actual, given, dtype),
                _column(columns.target_column(name), target, targeted & (rng.random(rows) < 0.2), dtype),
            ]
    return pl.DataFrame(cols)


def as_dicts(frame: pl.DataFrame) -> list[tuple[Any, str, dict[str, Any], dict[str, Any]]]:
    """(project, direction, actuals, targets) per project, nulls left out: what the per-row loop reads."""
    prefix = columns.TARGET
    names = [c for c in frame.columns if c not in (columns.PROJECT, columns.DIRECTION)]
    out = []
    for row in frame.select(pl.col(columns.DIRECTION).cast(pl.String), columns.PROJECT, *names).iter_rows():
        direction, project, values = row[0], row[1], row[2:]
        actuals = {n: v for n, v in zip(names, values, strict=True) if v is not None and not n.startswith(prefix)}
        targets = {n.removeprefix(prefix): v for n, v in zip(names, values, strict=True) if v is not None and n.startswith(prefix)}
        out.append((project, direction, actuals, targets))
    return out


def per_row(compiled: CompiledGuide, projects: list[tuple[Any, str, dict[str, Any], dict[str, Any]]]) -> tuple[list, list]:
    """The plain loop: every indicator of every project by `check_indicator`."""
    facts = compiled.guide.facts
    indicators: list[tuple[Any, str, str]] = []
    summary: list[tuple[Any, str, int, int, int, int, float, str]] = []
    for project, direction, actuals, targets in projects:
        # As `verify`: a context fact given with the targets (the route) stands for the actuals unless they give one.
        context = {n: v for n, v in targets.items() if not is_target(facts[n])}
        rules = indicators_of(compiled, direction, targets, context)  # the commitments, and the priorities the targets promise
        results = [check_indicator(compiled, cr, targets=targets, actuals=actuals, context=context).result for cr in rules]
        indicators += [(project, cr.rule.id, r) for cr, r in zip(rules, results, strict=True)]
        summary.append(
            (
                project,
                direction,
                len(results),
                results.count("pass"),
                results.count("fail"),
                results.count("missing"),
                completion_rate(results),
                verdict_of(results),
            )
        )
    return indicators, summary


def differences(verified: columns.Verified, indicators: list, summary: list) -> int:
    """Indicators and projects on which the two engines differ (over the projects the loop saw)."""
    n = len(summary)
    projects = verified.projects.head(n).with_columns(pl.col("verdict").cast(pl.String))
    differ = sum(a != b for a, b in zip(projects.iter_rows(), summary, strict=True))
    column = verified.indicators.head(len(indicators)).select(
        columns.PROJECT, pl.col("rule").cast(pl.String), pl.col("result").cast(pl.String)
    )
    differ += sum(a != b for a, b in zip(column.iter_rows(), indicators, strict=True))
    if column.height < len(indicators) or (n == verified.projects.height and column.height != verified.indicators.height):
        differ += 1
    return differ


def time_column(compiled: CompiledGuide, path: Path, repeat: int) -> tuple[float, columns.Verified]:
    """The best of `repeat` runs of the column engine, from the file to both frames, and its result."""
    best, out = math.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        result = columns.verify_file(compiled, path)
        took = time.perf_counter() - t
        if took < best:
            best, out = took, result
    assert out is not None
    return best, out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000, help="projects (default 100,000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the column engine before the loop and again after it; the best is shown")
    ap.add_argument("--loop-rows", type=int, help="time the per-row loop on the first N projects only (default: all)")
    ap.add_argument("--seed", type=int, default=2022)
    args = ap.parse_args()

    compiled = bundled_guide()
    print(
        f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), polars {pl.__version__}, {pl.thread_pool_size()} threads"
    )
    t = time.perf_counter()
    verifier = columns.verifier(compiled)
    print(f"translate every direction's indicator rules once: {time.perf_counter() - t:.3f} s ({len(verifier.rule_type.categories)} rules)")
    with tempfile.TemporaryDirectory(prefix="yongke-bench-") as tmp:
        path = Path(tmp) / "actuals.parquet"
        t = time.perf_counter()
        generate(compiled, args.rows, args.seed).write_parquet(path)
        frame = pl.read_parquet(path)  # also brings the file into the page cache
        print(
            f"generated {args.rows:,} projects over {frame[columns.DIRECTION].n_unique()} directions, {frame.width - 2} fact and target "
            f"columns ({path.stat().st_size / 2**20:.1f} MB parquet) in {time.perf_counter() - t:.1f} s"
        )
        t_col, verified = time_column(compiled, path, args.repeat)

        loop_n = min(args.loop_rows or args.rows, args.rows)
        t = time.perf_counter()
        projects = as_dicts(frame.head(loop_n))
        t_dicts = time.perf_counter() - t
        t = time.perf_counter()
        indicators, summary = per_row(compiled, projects)
        t_loop = time.perf_counter() - t
        # Again after the loop: on a shared machine the load drifts, and both sides of the ratio should see the same.
        again, _ = time_column(compiled, path, args.repeat)
        t_col = min(t_col, again)
    evaluated = verified.indicators.height

    scaled = t_loop * args.rows / loop_n if loop_n else 0.0
    differ = differences(verified, indicators, summary)

    counts = verified.indicators.group_by("result").len().sort("result")
    shares = ", ".join(f"{r} {n / max(evaluated, 1):.0%}" for r, n in counts.iter_rows())
    print(f"verified: {args.rows:,} projects, {evaluated:,} indicators evaluated ({shares})")
    print(
        f"  (a) column engine, parquet to per-project frame: {t_col:.3f} s  {evaluated / t_col:14,.0f} indicators/s"
        f"  (best of {2 * args.repeat} runs, half before the loop, half after)"
    )
    sample = f" on {loop_n:,} projects (a sample), scaled to {args.rows:,}: {scaled:.3f} s" if loop_n < args.rows else ""
    print(
        f"  (b) per-row loop, check_indicator: {t_loop:.3f} s{sample}  {len(indicators) / max(t_loop, 1e-9):14,.0f} indicators/s"
        f"  (making the {loop_n:,} dicts, not timed: {t_dicts:.3f} s)"
    )
    ratio = scaled / t_col
    print(f"  ratio per-row / column: {ratio:.1f}x   goal >= {GOAL_RATIO:.0f}x  {'OK' if ratio >= GOAL_RATIO else 'MISSED'}")
    print(f"  column engine time: {t_col:.3f} s   goal < {GOAL_SECONDS:.0f} s  {'OK' if t_col < GOAL_SECONDS else 'MISSED'}")
    checked = "all" if loop_n == args.rows else f"the first {loop_n:,} (a sample)"
    print(f"  results that differ ({checked} projects, {len(indicators):,} indicators): {differ}")
    print(f"peak memory (ru_maxrss): {peak_mb():,.0f} MB")
    if differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
