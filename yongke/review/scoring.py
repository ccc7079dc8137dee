"""Turning experts' scores into a fair, auditable ranking. Pure functions, no Django import.

* Trimmed mean: with at least five scores, the highest and the lowest are dropped, so one
  generous or harsh reviewer cannot move an application alone.
* Calibrated (z-score) mean: each expert's scores are standardised against that expert's
  own mean and spread over the round, then mapped back to the round's scale; a strict
  expert and a lenient one then count alike.
* Flags: an application whose scores spread widely, and an expert who is far from the
  others throughout.
* Ranking per direction with the funding line: applications in order, funded while the
  cumulative amount fits the budget.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

TRIM_FROM = 5  # drop the highest and the lowest when there are at least this many scores
SPREAD_FLAG = 20.0  # points (on a 100-point rubric) between the highest and the lowest score
EXPERT_FLAG_Z = 1.0  # mean absolute deviation from the consensus, in the round's standard deviations


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: float
    max_points: int


# The default rubric (可在批次中修改): weights sum to 1; the total is out of 100.
DEFAULT_RUBRIC = (
    Criterion("innovation", "技术创新性", 0.30, 100),
    Criterion("feasibility", "技术可行性", 0.25, 100),
    Criterion("benefit", "经济社会效益", 0.25, 100),
    Criterion("team", "团队与基础", 0.20, 100),
)


def rubric_from(data: Iterable[Mapping[str, Any]] | None) -> tuple[Criterion, ...]:
    if not data:
        return DEFAULT_RUBRIC
    crit = tuple(Criterion(str(c["key"]), str(c["label"]), float(c["weight"]), int(c.get("max_points", 100))) for c in data)
    total = sum(c.weight for c in crit)
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise ValueError(f"评分细则权重之和应为1，实际为{total:g} / weights must sum to 1")
    return crit


def weighted_total(rubric: tuple[Criterion, ...], points: Mapping[str, float]) -> float:
    """The 100-point total of one expert's scores; every criterion scored within its maximum."""
    total = 0.0
    for c in rubric:
        if c.key not in points:
            raise ValueError(f"{c.key}: 缺少「{c.label}」的评分 / missing score")
        p = points[c.key]
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= c.max_points:
            raise ValueError(f"{c.key}: 「{c.label}」的评分应在0至{c.max_points}之间 / out of range")
        total += c.weight * (p / c.max_points) * 100
    unknown = set(points) - {c.key for c in rubric}
    if unknown:
        raise ValueError(f"{sorted(unknown)[0]}: 不在评分细则中 / not a criterion")
    return round(total, 4)


def trimmed_mean(values: list[float]) -> float:
    if not values:
        return math.nan
    v = sorted(values)
    if len(v) >= TRIM_FROM:
        v = v[1:-1]
    return sum(v) / len(v)


@dataclass
class Aggregate:
    application: str
    scores: dict[str, float]  # expert → total
    mean: float
    trimmed: float
    calibrated: float
    spread: float
    flags: list[str] = field(default_factory=list)


def aggregate(scores: Mapping[tuple[str, str], float]) -> tuple[dict[str, Aggregate], dict[str, dict[str, float]]]:
    """Aggregate {(application, expert): total} → per application, plus per-expert statistics."""
    by_app: dict[str, dict[str, float]] = defaultdict(dict)
    by_expert: dict[str, list[float]] = defaultdict(list)
    for (app, expert), s in scores.items():
        by_app[app][expert] = s
        by_expert[expert].append(s)
    everything = list(scores.values())
    grand_mean = statistics.fmean(everything) if everything else 0.0
    grand_sd = statistics.pstdev(everything) if len(everything) > 1 else 0.0
    expert_stats = {}
    for e, vals in by_expert.items():
        sd = statistics.pstdev(vals) if len(vals) > 1 else 0.0
        expert_stats[e] = {"mean": statistics.fmean(vals), "sd": sd, "n": len(vals)}

    def calibrated_score(expert: str, s: float) -> float:
        st = expert_stats[expert]
        # An expert with one score, or all scores equal, has no spread to standardise by:
        # only their offset from the round's mean is corrected.
        z = (s - st["mean"]) / st["sd"] if st["sd"] > 0 else 0.0
        return grand_mean + z * grand_sd if st["sd"] > 0 else s - st["mean"] + grand_mean

    result: dict[str, Aggregate] = {}
    for app, per in by_app.items():
        vals = list(per.values())
        cal = [calibrated_score(e, s) for e, s in per.items()]
        agg = Aggregate(
            application=app,
            scores=dict(per),
            mean=statistics.fmean(vals),
            trimmed=trimmed_mean(vals),
            calibrated=statistics.fmean(cal),
            spread=max(vals) - min(vals),
        )
        if agg.spread >= SPREAD_FLAG:
            agg.flags.append(f"评分分歧较大（最高与最低相差{agg.spread:.1f}分）/ wide spread")
        result[app] = agg
    # An expert far from the consensus throughout: mean absolute deviation from the others' mean.
    for e in by_expert:
        devs = []
        for per in by_app.values():
            if e in per and len(per) > 1:
                others = [s for x, s in per.items() if x != e]
                devs.append(abs(per[e] - statistics.fmean(others)))
        dev = statistics.fmean(devs) if devs else 0.0
        expert_stats[e]["deviation"] = dev
        expert_stats[e]["flag"] = bool(grand_sd > 0 and devs and dev / grand_sd >= EXPERT_FLAG_Z and len(devs) >= 2)
    return result, expert_stats


@dataclass
class Ranked:
    application: str
    position: int
    score: float
    amount: int
    cumulative: int
    funded: bool
    moved_by_panel: str = ""


def rank(
    items: list[tuple[str, float, int]], budget: int | None, *, adjustments: Mapping[str, tuple[int, str]] | None = None
) -> list[Ranked]:
    """Rank (application, score, amount) by score (ties by application id) and draw the funding line.

    `adjustments` are the panel's (会评) moves: application → (new position, reason); a move
    without a reason is refused. Above the line: every application while the cumulative
    amount stays within the budget (no budget: all).
    """
    order = sorted(items, key=lambda x: (-x[1], x[0]))
    ids = [a for a, _, _ in order]
    reasons: dict[str, str] = {}
    for app, (position, reason) in (adjustments or {}).items():
        if not reason or not reason.strip():
            raise ValueError(f"{app}: 会评调整名次须记录理由 / a panel move needs a reason")
        if app not in ids:
            raise ValueError(f"{app}: 不在本方向排名中 / not in this ranking")
        if not 1 <= position <= len(ids):
            raise ValueError(f"{app}: 名次应在1至{len(ids)}之间 / position out of range")
        ids.remove(app)
        ids.insert(position - 1, app)
        reasons[app] = reason.strip()
    info = {a: (s, amt) for a, s, amt in order}
    out, cumulative, line_passed = [], 0, False
    for pos, app in enumerate(ids, start=1):
        score, amount = info[app]
        funded = not line_passed and (budget is None or cumulative + amount <= budget)
        if funded:
            cumulative += amount
        else:
            line_passed = True  # the line is a line: nothing below a refused one is funded
        out.append(
            Ranked(
                application=app,
                position=pos,
                score=score,
                amount=amount,
                cumulative=cumulative,
                funded=funded,
                moved_by_panel=reasons.get(app, ""),
            )
        )
    return out
