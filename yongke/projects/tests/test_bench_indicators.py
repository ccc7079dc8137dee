"""bench/indicators.py runs on a small table, its figures parse, and its two engines agree."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "indicators.py"


def test_the_indicator_benchmark_runs_small_and_both_engines_agree():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "300", "--repeat", "1"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    verified = re.search(r"verified: ([0-9,]+) projects, ([0-9,]+) indicators evaluated", out)
    assert verified is not None, out
    assert verified[1] == "300"
    assert int(verified[2].replace(",", "")) > 300
    column = re.search(r"\(a\) column engine, parquet to per-project frame: ([0-9.]+) s", out)
    loop = re.search(r"\(b\) per-row loop, check_indicator: ([0-9.]+) s", out)
    ratio = re.search(r"ratio per-row / column: ([0-9.]+)x", out)
    assert column, out
    assert loop, out
    assert ratio, out
    assert float(column[1]) > 0
    assert float(ratio[1]) > 0
    assert re.search(r"results that differ \(all projects, [0-9,]+ indicators\): 0$", out, re.MULTILINE), out
