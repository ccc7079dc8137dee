"""The `yongke` commands for `worker`, `scheduler`: the background worker and the periodic jobs.

`yongke worker` runs tasks from the database queue until SIGINT/SIGTERM (several may run, on
several machines, against one PostgreSQL); `--batch` runs what is waiting and prints
{"worker"}. `yongke worker reap` marks what dead workers left running failed (JSON of what it
did); `yongke worker status` lists the workers and the queue; `yongke worker rerun JOB` starts a
failed job again. `yongke scheduler` runs the periodic jobs (one per deployment);
`yongke scheduler list` prints their schedules.
"""

from __future__ import annotations

import argparse

from yongke.cli.common import EXIT_OK, Parser, actor_named, add_as_option, django_setup, emit


def cmd_worker(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.jobs.worker import run_worker

    worker_id = run_worker(queues=args.queue, interval=args.interval, batch=args.batch, max_tasks=args.max_tasks)
    if args.batch:
        emit({"worker": worker_id})
    return EXIT_OK


def cmd_reap(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.jobs.services import workers_reap

    emit(workers_reap(actor=actor_named(args.as_user)))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    django_setup()
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from yongke.jobs.models import WorkerBeat

    emit(
        {
            "workers": [
                {"id": b.worker_id, "host": b.host, "pid": b.pid, "started_at": b.started_at.isoformat(), "seen_at": b.seen_at.isoformat()}
                for b in WorkerBeat.objects.order_by("started_at")
            ],
            "tasks": {row["status"]: row["n"] for row in DBTaskResult.objects.values("status").annotate(n=Count("id")).order_by()},
        }
    )
    return EXIT_OK


def cmd_rerun(args: argparse.Namespace) -> int:
    django_setup()
    from yongke.jobs.selectors import job_for
    from yongke.jobs.services import job_rerun

    actor = actor_named(args.as_user)
    job = job_rerun(actor=actor, job=job_for(actor, args.job))
    emit({"job": job.pk, "kind": job.kind, "status": job.status, "rerun_of": args.job})
    return EXIT_OK


def cmd_scheduler(args: argparse.Namespace) -> int:
    django_setup()
    from django.core.management import call_command

    from yongke.jobs import periodic  # noqa: F401  # registers the periodic jobs with the scheduler

    call_command("crontask", no_task_loading=True, no_heartbeat=True)
    return EXIT_OK


def cmd_schedule_list(args: argparse.Namespace) -> int:
    django_setup(migrate=False)
    from django.conf import settings

    from yongke.jobs import periodic

    emit(
        {
            "jobs": [
                {"name": name, "task": t.module_path, "schedule": settings.YONGKE_SCHEDULE.get(name, "") or None}
                for name, t in periodic.SCHEDULED.items()
            ]
        }
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's verbs to the yongke command."""
    w = sub.add_parser("worker", help="后台工作进程：运行任务队列（导入、分配、通知、定时任务）")
    w.add_argument("--queue", default="*", help="处理的队列，逗号分隔（默认全部 *）")
    w.add_argument("--interval", type=float, default=1.0, help="队列为空时每隔多少秒查看一次（默认 1）")
    w.add_argument("--batch", action="store_true", help='运行完当前排队的任务后退出，输出 {"worker"}')
    w.add_argument("--max-tasks", type=int, default=None, help="运行这么多个任务后退出")
    w.set_defaults(func=cmd_worker)
    ws = w.add_subparsers(dest="worker_command", required=False, parser_class=Parser)
    r = ws.add_parser("reap", help="把已退出的工作进程遗留的“进行中”任务标记为失败，并删除其临时文件")
    add_as_option(r)
    r.set_defaults(func=cmd_reap)
    st = ws.add_parser("status", help='工作进程与队列概况：{"workers", "tasks"}')
    st.set_defaults(func=cmd_status)
    rr = ws.add_parser("rerun", help="重新运行一个失败的后台任务（导入须重新上传文件）")
    rr.add_argument("job", type=int, help="任务 ID")
    add_as_option(rr)
    rr.set_defaults(func=cmd_rerun)

    s = sub.add_parser("scheduler", help="定时任务调度器：按 YONGKE_SCHEDULE 把定时任务排入队列（每个部署只运行一个）")
    s.set_defaults(func=cmd_scheduler)
    ss = s.add_subparsers(dest="scheduler_command", required=False, parser_class=Parser)
    sl = ss.add_parser("list", help='定时任务及其时间表：{"jobs": [{"name", "task", "schedule"}]}')
    sl.set_defaults(func=cmd_schedule_list)
