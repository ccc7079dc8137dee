"""Every verdict the 2022 guide's cases give, kept: a change of layout (the folder the single
file was split into) or of the engines must change none of them.

The snapshot `data/nanning-2022-verdicts.json` was written from the single-file guide before
it was split into a folder; each case's row-wise verdict and per-rule results and values, its
column-wise verdict, and for award directions its quote (amount, breakdown and reasons, or
the bad-input code). A change to the guide that means to change a verdict rewrites it:

    .venv/bin/python -m yongke.guide.tests.test_verdict_snapshot --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import polars as pl

from yongke.awards.quote import award_quote_request
from yongke.core.errors import BadInput
from yongke.guide.columnar import VERDICT_CODES, ColumnarGuide
from yongke.guide.engine import CompiledGuide
from yongke.guide.loader import bundled_guide

SNAPSHOT = Path(__file__).parent / "data" / "nanning-2022-verdicts.json"


def _quote(compiled: CompiledGuide, direction: str, facts: dict[str, Any]) -> dict[str, Any]:
    try:
        return award_quote_request(compiled, {"direction": direction, "facts": facts})
    except BadInput as e:
        return {"refused": e.code, "field": (e.detail or {}).get("field")}


def verdicts(compiled: CompiledGuide) -> dict[str, Any]:
    """Each case of the guide (by direction and case name) and what every engine makes of it."""
    guide = compiled.guide
    cases = [(d, c) for d in guide.directions for c in d.cases]
    columns = ColumnarGuide(compiled)
    facts = [{k: v for k, v in c.facts.items() if k in guide.facts} for _, c in cases]
    names = sorted({k for f in facts for k in f})
    frame = pl.DataFrame([{n: f.get(n) for n in names} for f in facts], infer_schema_length=None) if names else pl.DataFrame()
    screened = columns.screen(frame) if names else None
    out: dict[str, Any] = {}
    for i, (d, c) in enumerate(cases):
        got = compiled.check(d.id, c.facts)
        row: dict[str, Any] = {
            "verdict": got["verdict"],
            "rules": {r["id"]: [r["result"], r.get("value")] for r in got["rules"]},
            "columnar": VERDICT_CODES[screened[d.id][i]] if screened is not None else None,
        }
        if any(r.kind == "award" for r in d.rules):
            row["quote"] = _quote(compiled, d.id, c.facts)
        out[f"{d.id} / {c.name}"] = row
    return out


def test_every_case_gives_the_verdicts_it_gave_before_the_split(compiled):
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    got = json.loads(json.dumps(verdicts(compiled), ensure_ascii=False))
    assert len(got) == len(expected) > 400
    differ = [k for k in expected if got.get(k) != expected[k]]
    assert differ == [], differ[:5]
    assert set(got) == set(expected)


def test_the_column_engine_agrees_with_the_row_engine_on_every_case(compiled):
    for key, row in verdicts(compiled).items():
        assert row["columnar"] == row["verdict"], key


if __name__ == "__main__" and "--write" in sys.argv:
    SNAPSHOT.write_text(json.dumps(verdicts(bundled_guide()), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {SNAPSHOT}\n")
