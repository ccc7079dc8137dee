"""Benchmark: the deadline rush — 200 applicants submitting in the same few seconds before a call
closes, against gunicorn (3 workers) on PostgreSQL.

    make pg-start && .venv/bin/python bench/rush.py
    .venv/bin/python bench/rush.py --applicants 40          # while developing

A fresh database (`yongke_bench_rush`) gets the bundled guide, a call and --applicants
organisations, each with its own applicant (a bearer token) and one complete draft made through
the services. gunicorn (--web-workers, default 3) and one `yongke worker` serve it. The call is then set to close
a few seconds ahead; every applicant submits (`POST /api/v1/applications/{id}/transitions
{"action": "submit"}` with `Prefer: respond-async`) from --concurrency client threads released
together (default: one per applicant, so every submission is sent at once, all before the
deadline); then a tenth of the drafts kept back try after it. A submission the bench itself could
only send after the deadline (too few client threads for the server's pace) is not counted as lost
but makes the run invalid (exit 1).

With `Prefer: respond-async` the server answers 202 with a receipt once it has checked what needs
no rule (who, the state, the version, the deadline at the request's arrival) and the worker takes
each step with every rule, judged as of that arrival (`job_start_transition`); the bench waits for
the worker to finish them all. `--sync` sends no preference: each request takes the whole step
(every rule, the submission, the audit entry) before it answers.

Figures: the answers' p50/p95 and p95 ÷ the p95 of the trivial view (`/api/v1/health`) asked by the
same number of clients in the same run; with receipts also the time from arrival to the worker's
decision (p50/p95) and until the last one was decided. Goals: 0 lost (every submission sent before
the deadline is accepted and stored: state `submitted`, one `Submission` row), 0 duplicated (one row
per application, one audit entry per submission), every late one refused with nothing stored, p95
of the answers within 5x the trivial view. Exit 1 when a goal is missed, after every figure is
printed.

The bench stands in for the reverse proxy of docs/deployment.md: each submission carries
`X-Request-Start: t=<the time it was sent>` and the server trusts 127.0.0.1 as its proxy
(`YONGKE_TRUSTED_PROXIES`), so the deadline is judged at the request's arrival at the proxy, not
when a busy gunicorn worker reaches it (core/arrival.py). `--direct` leaves the header out: then
the time a submission waits in gunicorn's listen queue counts against it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import threading
import time

from _harness import DEFAULT_SERVER, call, django_on, free_port, fresh_database, gunicorn, measure, parallel, percentile, stop, worker

DB_NAME = "yongke_bench_rush"


def _world(n: int, late: int):
    from django.conf import settings

    from yongke.accounts.services import token_create
    from yongke.tests.world import ELIGIBLE_1_1, TEST, make_application, make_call, make_guide, make_org, make_person, make_user

    # The applicants sign in with tokens: their passwords are hashed the quick way, as in the
    # test suite (PBKDF2 would spend most of the set-up on 220 password hashes).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    version = make_guide()
    call_ = make_call(guide_version=version, days=1)
    people = []
    for i in range(n + late):
        org = make_org(district=("450102", "450103", "450105", "450107")[i % 4])
        user = make_user("applicant", organisation=org)
        app = make_application(call=call_, org=org, user=user, facts=ELIGIBLE_1_1, leader=make_person(org), title=f"冲刺项目{i:04d}")
        people.append((app.pk, token_create(actor=TEST, user=user, name="rush")))
    return call_, people[:n], people[n:]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--applicants", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=None, help="client threads sending at once (default: one per applicant)")
    p.add_argument("--lead", type=float, default=8.0, help="seconds between the release of the clients and the deadline")
    p.add_argument("--server", default=os.environ.get("YONGKE_BENCH_PG", DEFAULT_SERVER))
    p.add_argument("--direct", action="store_true", help="no proxy receipt time (X-Request-Start): judged when a worker reaches it")
    p.add_argument("--web-workers", type=int, default=3, help="gunicorn processes (default 3, as the list bench)")
    p.add_argument("--worker-later", action="store_true", help="start the worker after the rush's answers (no CPU shared with it)")
    p.add_argument("--sync", action="store_true", help="no Prefer: respond-async: every request takes the whole step before it answers")
    args = p.parse_args()
    if not args.direct:
        os.environ["YONGKE_TRUSTED_PROXIES"] = "127.0.0.1"  # the server inherits it: the bench is its proxy
    args.concurrency = args.concurrency or args.applicants
    url = fresh_database(args.server, DB_NAME)
    django_on(url)
    from django.utils import timezone

    from yongke.applications.models import Application, Call, Submission
    from yongke.audit.models import AuditEvent
    from yongke.jobs.models import Job

    t0 = time.perf_counter()
    late_n = max(1, args.applicants // 10)
    call_, rush, late = _world(args.applicants, late_n)
    print(f"{args.applicants} applicants and {late_n} late ones made in {time.perf_counter() - t0:.1f} s")
    port = free_port()
    proc = gunicorn(url, port, workers=args.web_workers)
    # The answers first, the worker catches up; --worker-later starts it once every answer is in
    # (as a worker on another machine takes no CPU from the web server's).
    queue = None if args.sync or args.worker_later else worker(url, nice=10)
    prefer = {} if args.sync else {"Prefer": "respond-async"}
    failed = False
    try:
        base = f"http://127.0.0.1:{port}"
        # Each applicant has the application open before 提交 (the token's use of the last minutes recorded).
        parallel(lambda item: call(base, f"/api/v1/applications/{item[0]}", {"Authorization": f"Bearer {item[1]}"}), rush + late, 8)
        _, trivial = measure(base, "/api/v1/health", {}, requests=max(200, args.applicants), concurrency=args.concurrency)
        deadline = timezone.now() + dt.timedelta(seconds=args.lead)
        Call.objects.filter(pk=call_.pk).update(closes_at=deadline)  # the bench's own set-up, not an officer's edit
        gate = threading.Event()
        release_at = time.time() + 1.0

        def submit(item: tuple[int, str]) -> tuple[int, float, float]:
            pk, token = item
            gate.wait()
            sent = time.time()
            headers = {"Authorization": f"Bearer {token}", **prefer}
            if not args.direct:
                headers["X-Request-Start"] = f"t={sent:.3f}"  # what nginx's ${msec} would say
            status, ms, _ = call(base, f"/api/v1/applications/{pk}/transitions", headers, body={"action": "submit"})
            return status, ms, sent

        timer = threading.Timer(max(0.0, release_at - time.time()), gate.set)
        timer.start()
        results = parallel(submit, rush, args.concurrency)
        if args.worker_later and not args.sync:
            queue = worker(url)
        sent_last = max(r[2] for r in results)
        times = [r[1] for r in results]
        statuses = [r[0] for r in results]
        while timezone.now() <= deadline:
            time.sleep(0.1)
        gate_late = [
            call(
                base,
                f"/api/v1/applications/{pk}/transitions",
                {"Authorization": f"Bearer {tok}", **prefer, **({} if args.direct else {"X-Request-Start": f"t={time.time():.3f}"})},
                body={"action": "submit"},
            )
            for pk, tok in late
        ]
        ids = [pk for pk, _ in rush]
        late_ids = [pk for pk, _ in late]
        receipts = Job.objects.filter(kind=Job.Kind.TRANSITION)
        if queue is not None:
            end = time.monotonic() + 300
            while receipts.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING)).exists() and time.monotonic() < end:
                time.sleep(0.2)
            done = list(receipts.filter(finished_at__isnull=False))
            decided = [(j.finished_at - j.received_at).total_seconds() * 1000 for j in done if j.received_at]
            last = max((j.finished_at.timestamp() for j in done), default=release_at) - release_at
            print(
                f"receipts: {receipts.count()} ({receipts.filter(status=Job.Status.DONE).count()} done, "
                f"{receipts.filter(status=Job.Status.FAILED).count()} failed, {receipts.exclude(status__in=(Job.Status.DONE, Job.Status.FAILED)).count()} unfinished); "
                f"arrival to decision p50 {percentile(decided, 0.5):.0f} ms, p95 {percentile(decided, 0.95):.0f} ms; the last decided {last:.1f} s after the release"
            )
        stored = Application.objects.filter(pk__in=ids, state="submitted").count()
        rows = Submission.objects.filter(application_id__in=ids).count()
        per_app = max((Submission.objects.filter(application_id=pk).count() for pk in ids), default=0)
        audits = AuditEvent.objects.filter(target_type="application", target_id__in=[str(i) for i in ids], action="submit").count()
        late_stored = (
            Application.objects.filter(pk__in=late_ids, state="submitted").count()
            + Submission.objects.filter(application_id__in=late_ids).count()
        )
        p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
        spread = sent_last - release_at
        print(f"{len(rush)} submissions sent within {spread:.2f} s, the last {deadline.timestamp() - sent_last:.2f} s before the deadline")
        ok = (200,) if args.sync else (202,)
        print(
            f"accepted {sum(statuses.count(c) for c in ok)} ({'/'.join(map(str, ok))}), other answers {sorted(set(statuses) - set(ok)) or 'none'}"
        )
        print(f"stored: {stored} submitted, {rows} submission rows (at most {per_app} per application), {audits} audit entries")
        print(f"late: {len(late)} after the deadline, refused {sum(1 for s, _, _ in gate_late if s in (409, 422))}, stored {late_stored}")
        print(
            f"{'submit' if args.sync else 'receipt'} p50 {p50:.0f} ms, p95 {p95:.0f} ms; trivial view p95 {trivial:.0f} ms with {args.concurrency} clients: {p95 / trivial:.1f}x (goal <= 5x)"
        )
        on_time = [pk for (pk, _), (_, _, sent) in zip(rush, results, strict=True) if sent < deadline.timestamp()]
        bench_late = len(rush) - len(on_time)
        if bench_late:
            print(f"invalid run: {bench_late} submissions could only be sent after the deadline (raise --concurrency or --lead)")
        lost = len(on_time) - Application.objects.filter(pk__in=on_time, state="submitted").count()
        duplicated = rows - stored + max(0, audits - stored)
        print(f"lost {lost} of the {len(on_time)} sent before the deadline, duplicated {duplicated}")
        failed = bool(bench_late or lost or duplicated or late_stored or p95 / trivial > 5)
    finally:
        stop(proc)
        if queue is not None:
            stop(queue)
    print("goal met" if not failed else "goal missed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
