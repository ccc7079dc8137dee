"""Rule-engine benchmark.

(a) The median time to check one application against all rules of its direction, with
    `CompiledGuide.check` (the CEL engine, facts validated against their declarations).
(b) Verdicts per second when screening N synthetic organisations against all 65
    directions with the column engine (polars), next to a hand-written per-row Python
    function of the same rules (bench/handwritten_rules.py) timed in the same run; both
    must give the same verdicts.
(c) The column engine against the same rules hand-written as polars expressions
    (bench/handwritten_polars.py), on a table of --screen-rows organisations in which every
    fact is unknown for 10% of them (the `incomplete` path): all 65 directions' verdicts,
    from the same in-memory frame. Goal: column engine time / hand-written time <= 1.2.
(d) Screening that table from a parquet file: read + every direction's verdict, against a
    plain `pl.read_parquet` of the same file in the same run. Goal: <= 2x. The file holds
    what an organisations table holds (name, uscc and every fact a gate reads, in the types
    the rules read: ISO dates as text); reading only the columns the rules need is shown too.

    .venv/bin/python bench/rules.py [--rows 200000] [--repeat 200] [--screen-rows 1000000] [--best-of 3] [--guide FILE]
    .venv/bin/python bench/rules.py --rows 20000 --repeat 20 --screen-rows 200000   # while developing
    .venv/bin/python bench/handwritten_polars.py [N] [GUIDE]   # the hand-written polars rules against both engines

Timings of (c) and (d) are interleaved and the best of --best-of runs is shown: on a shared
machine the load drifts, and both sides of a ratio should see the same. Verdicts that differ
between the engines and a hand-written peer (out of date with the guide) fail the run after
every figure is printed. --guide benchmarks a copy of the guide file instead of the bundled one.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import handwritten_polars
import handwritten_rules

from yongke.guide.columnar import POLARS_TYPES, VERDICT_CODES, ColumnarGuide
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


GOAL_PEER_RATIO, GOAL_READ_RATIO = 1.2, 2.0
UNKNOWN = 0.1  # share of organisations for which each fact is unknown
SAMPLE = 200  # rows of (c) also checked against the row engine


def table_with_unknowns(guide, n: int, seed: int = 2022) -> pl.DataFrame:
    """n organisations: name, uscc and every fact a gate reads, drawn from `value_pools`, each unknown for 10%."""
    rng = np.random.default_rng(seed)
    pools = value_pools(guide)
    idx = pl.int_range(n, eager=True)
    cols = [("合成单位" + idx.cast(pl.String)).alias("name"), ("91450100MA" + idx.cast(pl.String).str.zfill(7) + "0").alias("uscc")]
    for name in sorted(handwritten_rules.FACTS_USED):
        pool = pl.Series(name, pools[name], dtype=POLARS_TYPES[guide.facts[name].type])
        values = pool.gather(rng.integers(0, len(pool), n))
        cols.append(values.scatter(np.flatnonzero(rng.random(n) < UNKNOWN), None))
    return pl.DataFrame(cols)


def interleaved(best_of: int, timings: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best time of each callable, run in turn `best_of` times (the load drifts alike for all)."""
    best = dict.fromkeys(timings, float("inf"))
    for _ in range(best_of):
        for name, fn in timings.items():
            t = time.perf_counter()
            out = fn()
            best[name] = min(best[name], time.perf_counter() - t)
            del out
    return best


def row_engine_differs(compiled, frame: pl.DataFrame, verdicts: pl.DataFrame) -> int:
    """How many verdicts of the first SAMPLE rows differ from the row engine's, given only the facts each row has."""
    facts = compiled.guide.facts
    needed = {d.id: [x for r in d.rules if r.expr for x in referenced_names(r.expr) if x in facts] for d in compiled.guide.directions}
    differ = 0
    for i, row in enumerate(frame.head(SAMPLE).iter_rows(named=True)):
        for d, names in needed.items():
            expected = compiled.check(d, {x: row[x] for x in names if row.get(x) is not None})["verdict"]
            differ += VERDICT_CODES[verdicts[d][i]] != expected
    return differ


def verdict(ratio: float, goal: float) -> str:
    return f"ratio {ratio:.2f}x   goal <= {goal}x  {'OK' if ratio <= goal else 'MISSED'}"


def bench_peer(compiled, columnar: ColumnarGuide, frame: pl.DataFrame, best_of: int) -> int:
    """(c) The column engine and the hand-written polars rules on the same in-memory frame; returns the verdicts that differ."""
    ids = list(columnar.verdicts)
    columnar.screen(frame.head(100))  # plan once, as (b) does
    handwritten_polars.screen(frame.head(100))
    engine, hand = columnar.screen(frame), handwritten_polars.screen(frame)
    differ = sum(int((engine[d] != hand[d]).sum()) for d in ids)
    sample = row_engine_differs(compiled, frame, hand)
    counts = [sum(int((hand[d] == k).sum()) for d in ids) for k in range(len(VERDICT_CODES))]
    del engine, hand
    best = interleaved(best_of, {"engine": lambda: columnar.screen(frame), "hand": lambda: handwritten_polars.screen(frame)})
    n = frame.height * len(ids)
    print(
        f"(c) every direction's verdict for {frame.height:,} organisations × {len(ids)} directions = {n:,} verdicts, in memory, best of {best_of}"
    )
    print("    verdicts: " + ", ".join(f"{code} {k:,}" for code, k in zip(VERDICT_CODES, counts, strict=True)))
    print(f"    column engine (ColumnarGuide.screen):         {best['engine']:8.3f} s  {n / best['engine']:14,.0f} verdicts/s")
    print(f"    hand-written polars (handwritten_polars.py):  {best['hand']:8.3f} s  {n / best['hand']:14,.0f} verdicts/s")
    print(f"    engine / hand-written: {verdict(best['engine'] / best['hand'], GOAL_PEER_RATIO)}")
    print(f"    verdicts that differ: {differ} (engine vs hand-written, every row), {sample} (hand-written vs row engine, {SAMPLE} rows)")
    return differ + sample


def bench_read(columnar: ColumnarGuide, path: Path, rows: int, best_of: int) -> None:
    """(d) Reading the parquet file and every direction's verdict, against reading it."""
    rule_columns = [n for n in pl.read_parquet_schema(path) if n in handwritten_rules.FACTS_USED]
    best = interleaved(
        best_of,
        {
            "read": lambda: pl.read_parquet(path),
            "screen": lambda: columnar.screen(pl.scan_parquet(path)),
            "read_rule_columns": lambda: pl.read_parquet(path, columns=rule_columns),
            "eager": lambda: columnar.screen(pl.read_parquet(path)),
            "hand": lambda: handwritten_polars.screen(pl.scan_parquet(path)),
        },
    )
    ids = list(columnar.verdicts)
    print(f"(d) screening {rows:,} organisations × {len(ids)} directions from parquet, best of {best_of}")
    print(f"    read (pl.read_parquet, every column):                       {best['read']:8.3f} s")
    print(f"    read + every verdict (ColumnarGuide.screen(pl.scan_parquet)): {best['screen']:8.3f} s")
    print(f"    screen / read: {verdict(best['screen'] / best['read'], GOAL_READ_RATIO)}")
    print(
        f"    for reference: reading only the {len(rule_columns)} columns the rules read {best['read_rule_columns']:.3f} s "
        f"(screen / that {best['screen'] / best['read_rule_columns']:.2f}x)"
    )
    print(
        f"    read_parquet, then ColumnarGuide.screen of the frame {best['eager']:.3f} s ({best['eager'] / best['read']:.2f}x the read); "
        f"hand-written polars from the file {best['hand']:.3f} s ({best['hand'] / best['read']:.2f}x the read)"
    )


def bench_peer_and_read(compiled, rows: int, best_of: int) -> int:
    """(c) and (d) on one table of `rows` organisations; returns the verdicts that differ."""
    columnar = ColumnarGuide(compiled)
    with tempfile.TemporaryDirectory(prefix="yongke-bench-") as tmp:
        path = Path(tmp) / "orgs.parquet"
        t = time.perf_counter()
        table_with_unknowns(compiled.guide, rows).write_parquet(path)
        print(
            f"table for (c) and (d): {rows:,} organisations, name, uscc and {len(handwritten_rules.FACTS_USED)} fact columns, "
            f"each fact unknown for {UNKNOWN:.0%}: {path.stat().st_size / 2**20:.0f} MB parquet, made in {time.perf_counter() - t:.1f} s"
        )
        frame = pl.read_parquet(path)  # also brings the file into the page cache for (d)
        differ = bench_peer(compiled, columnar, frame, best_of)
        del frame
        bench_read(columnar, path, rows, best_of)
    return differ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--screen-rows", type=int, default=1_000_000, help="organisations for (c) and (d)")
    ap.add_argument("--guide", help="a copy of the guide file (default: the bundled guide)")
    ap.add_argument("--best-of", type=int, default=3, help="runs of each timing in (c) and (d); the best is shown")
    args = ap.parse_args()

    compiled = bundled_guide(args.guide)
    guide = compiled.guide
    ids = [d.id for d in guide.directions]
    print(
        f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), polars {pl.__version__}, {pl.thread_pool_size()} threads"
    )

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
    print(f"(b) screening {args.rows:,} organisations × {len(ids)} directions = {verdicts:,} verdicts (one run each)")
    print(f"    column engine (polars):      {col_s:8.3f} s  {col_vps:14,.0f} verdicts/s")
    print(f"    hand-written per-row Python: {row_s:8.3f} s  {row_vps:14,.0f} verdicts/s")
    print(f"    ratio column/hand-written: {col_vps / row_vps:.1f}x (goal >= 1.0); verdicts that differ: {mismatches}")
    del frame, rows, baseline, result

    # A hand-written peer that disagrees is out of date with the guide: the figures are shown, the run fails.
    if bench_peer_and_read(compiled, args.screen_rows, args.best_of) + mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
