"""Rule-engine benchmark.

(a) The median time to check one application against all rules of its direction, with
    `CompiledGuide.check` (the CEL engine, facts validated against their declarations).
(b) Verdicts per second when screening N synthetic organisations against all 65
    directions with the column engine (polars), next to a hand-written per-row Python
    function of the same rules (bench/handwritten_rules.py) timed in the same run; both
    must give the same verdicts.

    .venv/bin/python bench/rules.py [--rows 200000] [--repeat 200]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import handwritten_rules

from yongke.guide.columnar import VERDICT_CODES, ColumnarGuide
from yongke.guide.engine import referenced_names
from yongke.guide.loader import bundled_guide

_NUMBER = re.compile(r"(?<![\w.])([0-9]+(?:\.[0-9]+)?)(?![\w.])")
_DATE = re.compile(r'"([0-9]{4}-[0-9]{2}-[0-9]{2})"')
TITLES = [
    "普通项目名称",
    "智能芯片（第十届南宁市创新创业大赛获奖企业后补助）",
    "‘邕城创客行’2022年南宁市科技创新创业路演活动第3期（电子信息行业专场）",
]


def value_pools(guide) -> dict[str, list]:
    """For each fact the gates read: values on and around every figure it is compared with."""
    exprs: dict[str, list[str]] = {}
    for r in guide.rules:
        if r.expr:
            for n in referenced_names(r.expr):
                exprs.setdefault(n, []).append(r.expr)
    pools = {}
    for name in handwritten_rules.FACTS_USED:
        fact = guide.facts[name]
        if fact.type == "bool":
            pools[name] = [True, False]
        elif fact.type == "enum":
            pools[name] = list(fact.values)
        elif fact.type == "string":
            pools[name] = TITLES
        elif fact.type == "date":
            import datetime as dt

            days = {d for e in exprs.get(name, []) for d in _DATE.findall(e)} or {"2022-01-01"}
            pools[name] = [(dt.date.fromisoformat(d) + dt.timedelta(days=k)).isoformat() for d in days for k in (-1, 0, 1)]
        else:
            figures = {float(x) for e in exprs.get(name, []) for x in _NUMBER.findall(e)}
            pool = {0.0} | {k for f in figures for k in (f - 1, f, f + 1, 2 * f) if k >= 0}
            pools[name] = sorted({int(x) for x in pool}) if fact.type in ("int", "money") else sorted(pool)
    return pools


def synthetic(guide, n: int, seed: int = 2022) -> tuple[pl.DataFrame, list[dict]]:
    rng = random.Random(seed)
    pools = value_pools(guide)
    columns = {name: [rng.choice(pool) for _ in range(n)] for name, pool in pools.items()}
    frame = pl.DataFrame(columns)
    rows = frame.to_dicts()
    return frame, rows


def bench_check(compiled, repeat: int) -> tuple[float, float]:
    """Median and 95th percentile (µs) of one check against all rules of a direction."""
    samples = []
    cases = [(d.id, next(c for c in d.cases if c.verdict == "eligible").facts) for d in compiled.guide.directions]
    for direction, facts in cases:  # warm up
        compiled.check(direction, facts)
    for _ in range(repeat):
        for direction, facts in cases:
            t = time.perf_counter_ns()
            compiled.check(direction, facts)
            samples.append((time.perf_counter_ns() - t) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()

    compiled = bundled_guide()
    guide = compiled.guide
    ids = [d.id for d in guide.directions]

    median_us, p95_us = bench_check(compiled, args.repeat)
    print(
        f"(a) one application against all rules of its direction: median {median_us:.1f} µs, p95 {p95_us:.1f} µs "
        f"({args.repeat} × {len(ids)} checks; goal < 1000 µs)"
    )

    frame, rows = synthetic(guide, args.rows)
    columnar = ColumnarGuide(compiled)
    columnar.screen(frame.head(100))  # plan once
    t = time.perf_counter()
    result = columnar.screen(frame)
    col_s = time.perf_counter() - t

    t = time.perf_counter()
    baseline = [handwritten_rules.verdicts(r) for r in rows]
    row_s = time.perf_counter() - t

    verdicts = args.rows * len(ids)
    mismatches = 0
    codes = {v: i for i, v in enumerate(VERDICT_CODES)}
    for d in ids:
        expected = [codes[b[d]] for b in baseline]
        mismatches += sum(1 for a, b in zip(result[d].to_list(), expected, strict=True) if a != b)
    col_vps, row_vps = verdicts / col_s, verdicts / row_s
    print(f"(b) screening {args.rows:,} organisations × {len(ids)} directions = {verdicts:,} verdicts")
    print(f"    column engine (polars):      {col_s:8.3f} s  {col_vps:14,.0f} verdicts/s")
    print(f"    hand-written per-row Python: {row_s:8.3f} s  {row_vps:14,.0f} verdicts/s")
    print(f"    ratio column/hand-written: {col_vps / row_vps:.1f}x (goal >= 1.0); verdicts that differ: {mismatches}")
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
