"""Benchmark: the list pages as the plan grows — gunicorn (3 workers) on PostgreSQL.

    make pg-start && .venv/bin/python bench/lists.py                  # 10,000 then 100,000 applications
    .venv/bin/python bench/lists.py --sizes 2000 --requests 60        # while developing

A fresh database (`yongke_bench_lists` on the server of DATABASE_URL, default the `make pg-start`
cluster) is migrated, given the bundled guide, one call, 1,000 organisations and then
applications made by copying one real application (made through the services, so every column
holds what a real one does, its facts and verdict included) in bulk, spread over the guide's
前资助 directions, the states after submission and two years of creation times. gunicorn serves
it with 3 sync workers; an officer of every programme asks, through the API with a bearer token
and through the portal with a session:

    trivial          GET /api/v1/health (one SELECT 1): the baseline of the same server and run
    api first        the officer's list, page 1 (20 rows)
    api middle/last  the same list by cursor, from the middle and from the last page
    api page 400     the same list by page number (OFFSET, a convenience), for comparison
    queue first/last the portal's officer queue of the fullest state, first and last page (cursor)

Each URL is asked --requests times by --concurrency clients after a warm-up; the figures are
p50 and p95 in milliseconds and p95 ÷ the trivial view's p95. Goal: every cursor page within
3x the trivial view, the last page within 1.5x the first (flat); OFFSET pages are shown, not
judged. Exit 1 when a goal is missed (after every figure is printed). The figures are not part of
the test run; yongke/api/tests/test_keyset.py and yongke/portal/tests/test_keyset_pages.py test
what makes them (a seek, not a skip; only the brief's columns).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

from _harness import DEFAULT_SERVER, django_on, free_port, fresh_database, gunicorn, measure, session_cookie, stop

DB_NAME = "yongke_bench_lists"


class World:
    """The one call, the organisations, the officer and the application copied in bulk."""

    def __init__(self) -> None:
        from yongke.accounts.services import token_create
        from yongke.guide.selectors import compiled_for
        from yongke.tests.world import ELIGIBLE_1_1, TEST, make_application, make_call, make_guide, make_org, make_person, make_user

        version = make_guide()
        guide = compiled_for(version).guide
        self.directions = [d for d in guide.directions if d.project.funding == "pre"]
        self.programme_of = {d.id: next(p.id for p in guide.programmes if d.project in p.projects) for d in self.directions}
        call = make_call(guide_version=version, directions=[d.id for d in self.directions], days=30)
        org = make_org()
        template = make_application(call=call, org=org, direction=self.directions[0].id, facts=ELIGIBLE_1_1, leader=make_person(org))
        self.template, self.call = template, call
        self.orgs = [org] + [make_org(district=random.choice(["450102", "450103", "450105", "450107", "450108"])) for _ in range(999)]
        self.officer = make_user("officer", programme="*")
        self.token = token_create(actor=TEST, user=self.officer, name="bench")
        self.made = 0

    def grow(self, total: int, rng: random.Random) -> None:
        """Copies of the template up to `total` applications, in batches."""
        from yongke.applications.models import Application
        from yongke.applications.workflow import PRE

        states = [s for s in PRE.states if s not in ("draft", "proposed", "declined", "withdrawn")]
        fields = [f for f in Application._meta.concrete_fields if not f.primary_key]
        base = {f.attname: getattr(self.template, f.attname) for f in fields}
        while self.made < total:
            batch = []
            for _ in range(min(5000, total - self.made)):
                self.made += 1
                d = self.directions[self.made % len(self.directions)]
                row = Application(**base)
                row.direction, row.programme = d.id, self.programme_of[d.id]
                row.organisation_id = self.orgs[self.made % len(self.orgs)].pk
                row.title = row.title_normalized = f"基准项目{self.made:06d}"
                row.state = rng.choice(states)
                batch.append(row)
            Application.objects.bulk_create(batch, batch_size=1000)
        from django.db import connection

        # auto_now_add gave every row of a batch one time: spread them over two years by id, in
        # one statement (the submission some hours after the creation), then refresh the statistics.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE applications_application SET"
                " created_at = TIMESTAMPTZ '2025-01-01' + (id * 7919 %% 63072000) * INTERVAL '1 second',"
                " submitted_at = TIMESTAMPTZ '2025-01-01' + (id * 7919 %% 63072000) * INTERVAL '1 second' + (id %% 500) * INTERVAL '1 hour'"
                " WHERE title LIKE %s",
                ["基准项目%"],
            )
            cursor.execute("ANALYZE")


def _urls(world: World) -> list[tuple[str, str, str, bool]]:
    """(name, kind, path, judged): the pages, with the cursors of the middle and the last page."""
    from django.db.models import Count

    from yongke.applications.selectors import applications_filtered
    from yongke.core.keyset import Keyset
    from yongke.portal.views.common import PAGE_SIZE
    from yongke.portal.views.queues import SUBMISSION_ORDER

    api_qs = applications_filtered(world.officer).order_by("-created_at", "-id")
    n = api_qs.count()
    keys = Keyset.of(api_qs)
    assert keys is not None
    middle = keys.cursor(api_qs[n // 2 - 1])
    last = keys.cursor(api_qs[max(0, n - 20 - 1)])
    fullest = (
        applications_filtered(world.officer, funding="pre").values("state").annotate(n=Count("id")).order_by("-n").first()
        or {"state": "submitted"}
    )["state"]
    queue = applications_filtered(world.officer, funding="pre", state=fullest).order_by(SUBMISSION_ORDER, "id")
    q_keys = Keyset.of(queue)
    assert q_keys is not None
    qn = queue.count()
    q_last_page = max(1, (qn + PAGE_SIZE - 1) // PAGE_SIZE)
    # The last full page (the last PAGE_SIZE rows), as the API's last page is: a page of a few rows would flatter it.
    q_last = q_keys.cursor(queue[max(0, qn - PAGE_SIZE - 1)])
    qpath = f"/officer/queue/?funding=pre&state={fullest}"
    return [
        ("trivial", "api", "/api/v1/health", False),
        ("api first", "api", "/api/v1/applications?page_size=20", True),
        ("api middle (cursor)", "api", f"/api/v1/applications?page_size=20&cursor={middle}", True),
        ("api last (cursor)", "api", f"/api/v1/applications?page_size=20&cursor={last}", True),
        ("api page 400 (offset)", "api", "/api/v1/applications?page_size=20&page=400", False),
        (f"queue first ({qn} rows)", "portal", qpath, True),
        ("queue last (cursor)", "portal", f"{qpath}&after={q_last}&page={q_last_page}", True),
    ]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,100000", help="application counts, comma-separated, ascending")
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=3)
    p.add_argument(
        "--server", default=os.environ.get("YONGKE_BENCH_PG", DEFAULT_SERVER), help="a PostgreSQL URL whose server may create databases"
    )
    args = p.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    url = fresh_database(args.server, DB_NAME)
    django_on(url)
    rng = random.Random(14)
    world = World()
    port = free_port()
    failed = False
    for size in sizes:
        t0 = time.perf_counter()
        world.grow(size, rng)
        print(
            f"\n{size:,} applications (made in {time.perf_counter() - t0:.1f} s); gunicorn -w 3, {args.requests} requests x {args.concurrency} clients"
        )
        proc = gunicorn(url, port, workers=3)
        try:
            base = f"http://127.0.0.1:{port}"
            heads = {"api": {"Authorization": f"Bearer {world.token}"}, "portal": {"Cookie": session_cookie(world.officer)}}
            rows = []
            for name, kind, path, judged in _urls(world):
                expect = "data-app=" if kind == "portal" else None  # a queue's rows, not the sign-in page
                p50, p95 = measure(base, path, heads[kind], requests=args.requests, concurrency=args.concurrency, expect=expect)
                rows.append((name, p50, p95, judged))
            trivial = rows[0][2]
            print(f"{'page':<28}{'p50 ms':>9}{'p95 ms':>9}{'p95 / trivial':>15}")
            for name, p50, p95, judged in rows:
                ratio = p95 / trivial
                mark = "" if not judged else ("  ok" if ratio <= 3 else "  over 3x")
                failed |= judged and ratio > 3
                print(f"{name:<28}{p50:>9.1f}{p95:>9.1f}{ratio:>14.1f}x{mark}")
            by = {name.split(" (")[0]: p95 for name, _, p95, _ in rows}
            flat_api = by["api last"] / by["api first"]
            flat_queue = rows[6][2] / rows[5][2]
            print(f"flat: api last/first {flat_api:.2f}x, queue last/first {flat_queue:.2f}x (goal <= 1.5x)")
            failed |= flat_api > 1.5 or flat_queue > 1.5
        finally:
            stop(proc)
    print("\ngoal met" if not failed else "\ngoal missed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
