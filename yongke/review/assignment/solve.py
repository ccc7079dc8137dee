"""The one entry point every face calls: `assign(instance, mode=...)`.

All three modes start from the same exact flow: optimal mode *is* that flow, fair mode uses
it as the feasible lower end of its bisection, random mode runs the same network with each
pair capped. An infeasible instance is diagnosed once, here, for all of them.
"""

from __future__ import annotations

import random
import secrets
import time
from fractions import Fraction

import numpy as np

from yongke.core.errors import BadInput

from .diagnose import diagnose
from .flow import solve_flow
from .model import Assignment, Infeasible, Instance, SolverError, violations
from .randomized import as_cap, dependent_round

MODES = ("optimal", "fair", "random")
DEFAULT_MAX_PROB = Fraction(1, 2)
MAX_TIME_LIMIT = 3600.0  # seconds: an hour is the most a fair solve may be given


def new_seed() -> int:
    """A fresh seed for a draw that was not given one; it is recorded so the draw can be replayed."""
    return secrets.randbelow(2**53)


def _flow_or_diagnose(inst: Instance, cap: tuple[int, int] = (1, 1)) -> np.ndarray:
    try:
        flows = solve_flow(inst, cap=cap)
    except SolverError as e:
        raise Infeasible(diagnose(inst, cap=cap, reason=str(e))) from e
    if flows is None:
        raise Infeasible(diagnose(inst, cap=cap))
    return flows


def assign(
    inst: Instance,
    *,
    mode: str = "optimal",
    seed: int | None = None,
    max_prob: Fraction | float | str | None = None,
    time_limit: float | None = None,
) -> Assignment:
    """Solve `inst` in `mode`; raises `Infeasible` with a diagnosis when nothing is valid.

    `time_limit` (seconds; fair mode, None: its default) bounds the fair phase: past it the best
    assignment found is returned, its `info` saying what is proven (`gap`, `timed_out`).
    """
    if mode not in MODES:
        raise BadInput(f"未知的分配方式「{mode}」，应为 {'、'.join(MODES)} / unknown mode", code="bad_mode", detail={"field": "mode"})
    if time_limit is not None and not 0 < time_limit <= MAX_TIME_LIMIT:
        raise BadInput(
            f"time_limit: 求解时限应在 0 到 {MAX_TIME_LIMIT:g} 秒之间「{time_limit}」 / time limit must be in (0, {MAX_TIME_LIMIT:g}] seconds",
            code="bad_time_limit",
            detail={"field": "time_limit", "value": time_limit},
        )
    t0 = time.perf_counter()
    info: dict[str, object] = {}
    if mode == "random":
        cap = as_cap(max_prob if max_prob is not None else DEFAULT_MAX_PROB)
        seed = new_seed() if seed is None else seed
        p, q = cap.numerator, cap.denominator
        flows = _flow_or_diagnose(inst, (p, q))
        chosen = dependent_round(inst, flows, q, random.Random(seed))
        info = {
            "seed": seed,
            "max_prob": float(cap),
            "max_prob_exact": str(cap),
            "expected_affinity": float((inst.score * flows).sum() / q),
        }
    else:
        flows = _flow_or_diagnose(inst)
        chosen = np.flatnonzero(flows > 0)
        if mode == "fair":
            from .fair import FairSolver  # HiGHS is only loaded when fair mode needs it

            chosen, info = FairSolver(inst, chosen, time_limit=time_limit).solve()
    broken = violations(inst, chosen)
    if broken:
        raise SolverError("; ".join(broken))
    return Assignment(instance=inst, mode=mode, chosen=np.sort(chosen), seconds=time.perf_counter() - t0, info=info)
