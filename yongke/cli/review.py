"""`yongke review assign|experts-import|round|ranking|remind`: the console face of expert review."""

from __future__ import annotations

import argparse
import math
import sys
import time
from fractions import Fraction
from typing import Any

from yongke.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_NEGATIVE,
    EXIT_OK,
    Parser,
    actor_named,
    add_as_option,
    console_actor,
    django_setup,
    emit,
    parse_time,
)
from yongke.core.errors import BadInput

# --------------------------------------------------------------------------- assignment on files


def _cap(text: str) -> Fraction:
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise BadInput(
            f"--max-prob 应为 0 到 1 之间的数「{text}」 / --max-prob must be a number in (0, 1]",
            code="bad_max_prob",
            detail={"field": "--max-prob", "value": text},
        ) from None
    if not 0 < value <= 1:
        raise BadInput(
            f"--max-prob 应在 (0, 1] 之内「{text}」 / --max-prob must be in (0, 1]",
            code="bad_max_prob",
            detail={"field": "--max-prob", "value": text},
        )
    return value


def _finite(text: str, flag: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise BadInput(f"{flag} 应为数「{text}」 / {flag} must be a number", code="bad_arguments", detail={"field": flag, "value": text})
    return value


def _seconds(text: str) -> float:
    value = _finite(text, "--time-limit")
    if not 0 < value <= 3600:
        raise BadInput(
            f"--time-limit 应在 0 到 3600 秒之间「{text}」 / --time-limit must be in (0, 3600] seconds",
            code="bad_time_limit",
            detail={"field": "--time-limit", "value": text},
        )
    return value


def cmd_assign(args: argparse.Namespace) -> int:
    from yongke.review.assignment import Infeasible, SolverError, assign, read_instance, write_json

    if args.mode != "random" and (args.seed is not None or args.max_prob is not None):
        flag = "--seed" if args.seed is not None else "--max-prob"
        raise BadInput(f"{flag} 只用于 --mode random / {flag} applies to --mode random only", code="bad_arguments", detail={"field": flag})
    if args.seed is not None and args.seed < 0:
        raise BadInput(f"--seed 不能为负数「{args.seed}」 / --seed must not be negative", code="bad_seed", detail={"field": "--seed"})
    if args.time_limit is not None and args.mode != "fair":
        raise BadInput(
            "--time-limit 只用于 --mode fair / --time-limit applies to --mode fair only",
            code="bad_arguments",
            detail={"field": "--time-limit"},
        )
    cap = _cap(args.max_prob) if args.max_prob is not None else None
    floor = _finite(args.affinity_floor, "--affinity-floor") if args.affinity_floor is not None else None
    time_limit = _seconds(args.time_limit) if args.time_limit is not None else None
    t0 = time.perf_counter()
    inst = read_instance(
        args.scores,
        args.conflicts,
        args.loads,
        k=args.k,
        min_load=args.min_load,
        max_load=args.max_load,
        floor=floor,
        organisations=args.organisations,
    )
    read_seconds = time.perf_counter() - t0
    try:
        result = assign(inst, mode=args.mode, seed=args.seed, max_prob=cap, time_limit=time_limit)
    except Infeasible as e:
        emit({"mode": args.mode, "feasible": False, "applications": inst.n, "experts": inst.m, "k": inst.k, **e.diagnosis})
        return EXIT_NEGATIVE
    except SolverError as e:
        # Not the input's fault and not infeasibility: say so plainly, write nothing.
        emit(
            {
                "mode": args.mode,
                "feasible": None,
                "message": f"求解器异常终止，未写出结果：{e} / the solver failed, nothing was written: {e}",
                "problems": [{"code": "solver_failed", "message": f"求解器异常终止：{e} / the solver failed: {e}"}],
            }
        )
        return EXIT_NEGATIVE
    write_json(args.out, result.as_mapping())
    worst_id, worst = result.worst()
    summary: dict[str, Any] = {
        "mode": result.mode,
        "feasible": True,
        "total_affinity": round(result.total(), 9),
        "applications": inst.n,
        "experts": inst.m,
        "k": inst.k,
        "pairs": int(result.chosen.size),
        "worst_application": {"application": worst_id, "affinity": round(worst, 9)},
        "conflicts_excluded": int(inst.conflicted.sum()),
        "conflicts_without_score": inst.conflicts_unscored,
        "forced_pairs": int(inst.forced.sum()),
        "affinity_floor": floor,
        "below_floor_excluded": int(inst.below_floor.sum()),
        "one_per_organisation": inst.group is not None,
        "same_organisation_excluded": int(inst.group_blocked.sum()),
        "out": str(args.out),
        "read_seconds": round(read_seconds, 3),
        "solve_seconds": round(result.seconds, 3),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    summary.update(result.info)
    emit(summary)
    return EXIT_OK


# --------------------------------------------------------------------------- the pool and rounds in the database


def cmd_experts_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    django_setup()
    from yongke.review.services import expert_import

    report = expert_import(actor=actor_named(args.as_user), path=Path(args.file), dry_run=args.dry_run)
    emit(report)
    if report["errors"]:
        first = report["errors"][0]
        sys.stderr.write(
            f"yongke: {args.file}: 第{first['row']}行 {first['field']}: {first['message']}（共 {len(report['errors'])} 行有误，未导入）\n"
        )
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_round(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.applications.models import Call
    from yongke.review.services import review_round_run

    actor = actor_named(args.as_user)
    call = Call.objects.filter(pk=args.call).first()
    if call is None:
        raise BadInput(f"--call: 批次 {args.call} 不存在 / unknown call", detail={"field": "--call"})
    rnd = review_round_run(
        actor=actor,
        call=call,
        directions=args.directions.split(",") if args.directions else None,
        k=args.k,
        min_load=args.min_load,
        max_load=args.max_load,
        mode=args.mode,
        seed=args.seed,
        max_prob=float(args.max_prob) if args.max_prob else None,
        years_since_employment=args.years,
        due_at=parse_time(args.due_at, "--due-at") if args.due_at else None,
        affinity_floor=_finite(args.affinity_floor, "--affinity-floor") if args.affinity_floor is not None else None,
        one_per_organisation=args.one_per_organisation,
        time_limit=_seconds(args.time_limit) if args.time_limit is not None else None,
    )
    emit(
        {
            "round": rnd.pk,
            "status": rnd.status,
            "mode": rnd.mode,
            "seed": rnd.seed,
            "total_affinity": rnd.total_affinity,
            "assignments": rnd.assignments.count(),
            "exclusions": rnd.exclusions,
            "diagnosis": rnd.diagnosis,
            "affinity_floor": rnd.affinity_floor,
            "one_per_organisation": rnd.one_per_organisation,
            "time_limit": rnd.time_limit,
            "solver": rnd.solver,
        }
    )
    return EXIT_OK if rnd.status == "assigned" else EXIT_NEGATIVE


def cmd_remind(args: argparse.Namespace) -> int:
    import datetime as dt

    django_setup()
    from yongke.review.services import reminders_due, reminders_mark

    due = reminders_due(within=dt.timedelta(days=args.days))
    reminders_mark(actor=console_actor(), assignments=due)
    emit(
        {
            "reminded": [
                {
                    "task": a.pk,
                    "expert": a.expert.person.name,
                    "application": a.application_id,
                    "state": a.state,
                    "due_at": a.round.due_at.isoformat() if a.round.due_at else None,  # reminders_due: never None
                }
                for a in due
            ]
        }
    )
    return EXIT_OK


def cmd_ranking(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.review.models import ReviewRound
    from yongke.review.selectors import ranking

    actor = actor_named(args.as_user)
    rnd = ReviewRound.objects.filter(pk=args.round).first()
    if rnd is None:
        raise BadInput(f"--round: 评审轮次 {args.round} 不存在 / unknown round", detail={"field": "--round"})
    emit(ranking(actor, rnd, method=args.method))
    return EXIT_OK


def cmd_waive(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.applications.models import Application
    from yongke.review.models import ReviewRound
    from yongke.review.selectors import waiver_out
    from yongke.review.services import review_waiver_record

    actor = actor_named(args.as_user)
    rnd = ReviewRound.objects.filter(pk=args.round).first()
    if rnd is None:
        raise BadInput(f"--round: 评审轮次 {args.round} 不存在 / unknown round", detail={"field": "--round"})
    app = Application.objects.filter(pk=args.application).first()
    if app is None:
        raise BadInput(f"--application: 申报 {args.application} 不存在 / unknown application", detail={"field": "--application"})
    emit(
        {
            "round": rnd.pk,
            "application": app.pk,
            **waiver_out(review_waiver_record(actor=actor, round=rnd, application=app, reason=args.reason)),
        }
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `review …` to the yongke command."""
    review = sub.add_parser("review", help="专家评审：专家库、分配专家、排名、提醒")
    rs = review.add_subparsers(dest="review_command", required=True, parser_class=Parser)
    a = rs.add_parser(
        "assign",
        help="为每份申请分配 k 位专家（optimal 最优、fair 兼顾最差、random 随机抽取）",
        description="读入 scores.csv / conflicts.csv / loads.csv，输出 {申请: [{expert, score}]} 的 JSON。",
    )
    a.add_argument("--scores", required=True, help="application_id,expert_id,score")
    a.add_argument("--conflicts", required=True, help="application_id,expert_id,-1（回避）或 1（强制）")
    a.add_argument("--k", type=int, required=True, help="每份申请的专家数")
    a.add_argument("--min-load", type=int, required=True, help="每位专家最少评审数（默认值，可被 --loads 覆盖）")
    a.add_argument("--max-load", type=int, required=True, help="每位专家最多评审数（默认值，可被 --loads 覆盖）")
    a.add_argument("--loads", help="expert_id,max 或 expert_id,max,min")
    a.add_argument("--mode", choices=("optimal", "fair", "random"), default="optimal")
    a.add_argument("--seed", type=int, help="random 模式的随机种子（不给则生成并输出，以便复现）")
    a.add_argument("--max-prob", help="random 模式每对专家-申请的最大概率（默认 0.5）")
    a.add_argument("--affinity-floor", help="匹配度下限：评分不高于它的配对不分配（默认不设下限：scores.csv 中的配对都可分配）")
    a.add_argument("--organisations", help="expert_id,organisation：给出则同一申请的专家来自不同单位")
    a.add_argument("--time-limit", help="fair 模式的求解时限（秒，默认 30）：到时返回已找到的最好分配及已证明的差距")
    a.add_argument("--out", required=True, help="输出 JSON 文件")
    a.set_defaults(func=cmd_assign)

    rk = rs.add_parser("ranking", help="评审排名与资助线（按方向；评审未完成的申报另列，标明「已评 n/k」）")
    rk.add_argument("--round", type=int, required=True)
    rk.add_argument("--method", choices=("trimmed", "calibrated", "mean"), default="trimmed")
    add_as_option(rk)
    rk.set_defaults(func=cmd_ranking)
    im = rs.add_parser("experts-import", help="从 xlsx/csv 导入专家库（全部成功或全部不变，逐行报告错误）")
    im.add_argument("file")
    im.add_argument("--dry-run", action="store_true")
    add_as_option(im)
    im.set_defaults(func=cmd_experts_import)
    r = rs.add_parser("round", help="为批次中处于专家评审的申报分配专家并发出邀请（回避自动计算）")
    r.add_argument("--call", type=int, required=True)
    r.add_argument("--directions", help="逗号分隔的方向（默认：全部）")
    r.add_argument("--k", type=int, help="每个申报的专家数（默认：批次设置）")
    r.add_argument("--min-load", type=int, default=0)
    r.add_argument("--max-load", type=int)
    r.add_argument("--mode", choices=("optimal", "fair", "random"), default="optimal")
    r.add_argument("--seed", type=int)
    r.add_argument("--max-prob")
    r.add_argument("--years", type=int, default=3, help="原工作单位回避年限")
    r.add_argument("--due-at", help="评审截止时间（北京时间）")
    r.add_argument("--affinity-floor", help="匹配度下限：不高于它的配对不分配（默认按系统设置 YONGKE_REVIEW_AFFINITY_FLOOR，0）")
    r.add_argument("--one-per-organisation", action="store_true", help="同一申报的专家来自不同单位")
    r.add_argument("--time-limit", help="fair 模式的求解时限（秒，默认按系统设置 YONGKE_REVIEW_FAIR_TIME_LIMIT，30）")
    add_as_option(r)
    r.set_defaults(func=cmd_round)
    w = rs.add_parser("waive", help="记录评审未完成即决定（拟立项）的理由")
    w.add_argument("--round", type=int, required=True)
    w.add_argument("--application", type=int, required=True)
    w.add_argument("--reason", required=True, help="不等全部专家评分即决定的理由")
    add_as_option(w)
    w.set_defaults(func=cmd_waive)
    rm = rs.add_parser("remind", help="列出并标记即将到期的评审任务（提醒）")
    rm.add_argument("--days", type=int, default=2)
    rm.set_defaults(func=cmd_remind)
