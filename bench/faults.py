"""Benchmark: faults — kill -9 of the web server in the middle of an import through HTTP, and of
the worker in the middle of the import's job, on gunicorn (3 workers), `yongke worker` and PostgreSQL.

    make pg-start && .venv/bin/python bench/faults.py
    .venv/bin/python bench/faults.py --rows 500            # while developing

A fresh database (`yongke_bench_faults`) and a fresh var directory (uploads under var/imports)
get an officer with a verified second factor. The officer imports a table of --rows new
organisations through the portal (`POST /org/import/`, the upload that starts an `org_import`
job run by the worker: all rows or none). Then:

  web, mid-upload    gunicorn (master and workers, kill -9 of its process group) dies while the
                     request body is half sent: no job, no file, no organisation
  web, mid-request   it dies 0-400 ms after the whole body is sent (several rounds): a job whose
                     row was committed runs to its end once the web server is back; a file
                     without a job is removed by `yongke worker reap` after the stale period
  web, mid-import    it dies while the worker runs the job: restarted, the job page (HTTP)
                     shows it done, every row imported, its file removed
  worker, mid-job    the worker dies inside the import's write transaction: no organisation
                     written; restarted, the worker marks the job failed (the job page and
                     `yongke worker status` show it), its file is removed; `yongke worker rerun`
                     says the table must be uploaded again, and uploaded again it completes

A JSON summary of the figures is printed; exit 1 if any invariant fails (0 partial records,
every job finished visibly, temporary files gone, the re-run completes).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from _harness import DEFAULT_SERVER, ROOT, django_on, free_port, fresh_database, gunicorn, session_cookie, stop, worker

DB_NAME = "yongke_bench_faults"
DELAYS = (0.0, 0.05, 0.1, 0.2, 0.4)  # seconds between the upload's last byte and the kill
BIN = ROOT / ".venv/bin"


def _table(rows: int, batch: str) -> bytes:
    """A CSV of `rows` new organisations (valid 统一社会信用代码, unique per batch letter)."""
    from yongke.orgs.validators import uscc_with_check

    lines = ["统一社会信用代码,单位名称,单位类型,注册地"]
    lines.extend(f"{uscc_with_check(f'91450103{batch}{i:08d}')},故障演练{batch}公司{i:06d},企业,450103" for i in range(rows))
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


class Portal:
    """The officer's portal session against 127.0.0.1:port: the import form's CSRF token and upload."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.session = port, cookie
        self.csrf = ""

    def _get(self, path: str) -> tuple[int, str, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        cookies = self.session + (f"; csrftoken={self.csrf}" if self.csrf else "")
        conn.request("GET", path, headers={"Cookie": cookies})
        r = conn.getresponse()
        body = r.read().decode(errors="replace")
        headers: dict[str, str] = {}
        for k, v in r.getheaders():  # several Set-Cookie headers are kept, joined
            headers[k.lower()] = f"{headers[k.lower()]}, {v}" if k.lower() in headers else v
        conn.close()
        return r.status, body, headers

    def form(self) -> str:
        """The import page's form token (and the CSRF cookie beside it)."""
        status, body, headers = self._get("/org/import/")
        if status != 200:
            raise SystemExit(f"/org/import/: HTTP {status}")
        m = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
        if m:
            self.csrf = m.group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if token is None or not self.csrf:
            raise SystemExit("/org/import/: no CSRF token")
        return token.group(1)

    def upload_request(self, content: bytes, filename: str = "orgs.csv") -> tuple[http.client.HTTPConnection, bytes]:
        """A connection with the upload's headers sent, and the body still to send."""
        boundary = uuid.uuid4().hex
        token = self.form()
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.putrequest("POST", "/org/import/")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Cookie", f"{self.session}; csrftoken={self.csrf}")
        conn.putheader("Referer", f"http://127.0.0.1:{self.port}/org/import/")
        conn.endheaders()
        return conn, body

    def upload(self, content: bytes) -> int:
        """The job the upload started (the answer redirects to its page)."""
        conn, body = self.upload_request(content)
        conn.send(body)
        r = conn.getresponse()
        r.read()
        location = r.getheader("Location") or ""
        conn.close()
        m = re.search(r"/jobs/(\d+)/", location)
        if r.status != 302 or m is None:
            raise SystemExit(f"upload: HTTP {r.status} {location}")
        return int(m.group(1))

    def job_status(self, job: int) -> str:
        """The job's state as its portal page shows it (data-status of the progress card)."""
        status, body, _ = self._get(f"/jobs/{job}/")
        m = re.search(r'data-status="([a-z]+)"', body)
        return m.group(1) if status == 200 and m else f"HTTP {status}"


def _cli(*argv: str) -> tuple[int, Any]:
    done = subprocess.run([str(BIN / "yongke"), *argv], cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=300)
    try:
        return done.returncode, json.loads(done.stdout)
    except ValueError:
        return done.returncode, (done.stdout + done.stderr).strip()[-300:]


def _worker() -> subprocess.Popen:
    return worker(os.environ["DATABASE_URL"])


def _kill(proc: subprocess.Popen) -> None:
    """kill -9 of the process and everything it started (its own session's process group)."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)


def _until(what: str, check, timeout: float) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def _open_transactions(db: str) -> int:
    """Transactions of other sessions open on the database right now (the import's write)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() AND xact_start IS NOT NULL",
            [db],
        )
        return int(cursor.fetchone()[0])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=3000, help="organisations in the imported table")
    p.add_argument("--rounds", type=int, default=5, help="kills of the web server right after an upload is sent")
    p.add_argument("--server", default=os.environ.get("YONGKE_BENCH_PG", DEFAULT_SERVER))
    args = p.parse_args()
    var = Path(tempfile.mkdtemp(prefix="yongke-faults-"))
    os.environ.update({"YONGKE_VAR_DIR": str(var), "YONGKE_WORKER_HEARTBEAT": "1", "YONGKE_WORKER_STALE_AFTER": "5"})
    url = fresh_database(args.server, DB_NAME)
    django_on(url)
    from django.conf import settings

    from yongke.jobs.models import Job
    from yongke.orgs.models import Organisation
    from yongke.tests.world import make_user

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the set-up's one user
    officer = make_user("officer", programme="*")
    imports = var / "imports"

    def files() -> list[str]:
        return sorted(p.name for p in imports.iterdir()) if imports.is_dir() else []

    def orgs(batch: str) -> int:
        return Organisation.objects.filter(name__startswith=f"故障演练{batch}").count()

    def job(pk: int) -> Job:
        return Job.objects.get(pk=pk)

    port = free_port()
    web = gunicorn(url, port, workers=3)
    portal = Portal(port, session_cookie(officer))
    summary: dict[str, Any] = {"rows": args.rows, "var": str(var)}
    checks: dict[str, bool] = {}
    worker: subprocess.Popen | None = None
    try:
        # --- the web server dies while the upload's body is half sent
        jobs_before = Job.objects.count()
        conn, body = portal.upload_request(_table(args.rows, "A"))
        conn.send(body[: len(body) // 2])
        time.sleep(0.5)
        _kill(web)
        conn.close()
        web = gunicorn(url, port, workers=3)
        mid_upload = {"jobs_made": Job.objects.count() - jobs_before, "files": files(), "organisations": orgs("A")}
        summary["web_killed_mid_upload"] = mid_upload
        checks["mid-upload: nothing kept"] = mid_upload == {"jobs_made": 0, "files": [], "organisations": 0}

        # --- the web server dies right after the whole body is sent (no worker yet: jobs wait queued)
        rounds = []
        for i in range(args.rounds):
            batch = "BCDEFGHJKL"[i % 10]
            before = set(Job.objects.values_list("pk", flat=True))
            conn, body = portal.upload_request(_table(max(10, args.rows // 10), batch))
            conn.send(body)
            time.sleep(DELAYS[i % len(DELAYS)])
            _kill(web)
            conn.close()
            made = sorted(set(Job.objects.values_list("pk", flat=True)) - before)
            rounds.append({"delay_ms": round(DELAYS[i % len(DELAYS)] * 1000), "jobs": made, "files": files()})
            web = gunicorn(url, port, workers=3)
        time.sleep(float(os.environ["YONGKE_WORKER_STALE_AFTER"]) + 1)  # orphaned files are older than the stale period
        worker = _worker()
        queued = [pk for r in rounds for pk in r["jobs"]]
        _until("the queued imports", lambda: all(portal.job_status(pk) in ("done", "failed") for pk in queued), 600)
        _, reaped = _cli("worker", "reap")
        for r in rounds:
            r["pages"] = {pk: portal.job_status(pk) for pk in r["jobs"]}
        done_rows = {pk: orgs("BCDEFGHJKL"[i % 10]) for i, r in enumerate(rounds) for pk in r["jobs"]}
        summary["web_killed_mid_request"] = {"rounds": rounds, "reaped": reaped, "files_after": files(), "organisations": done_rows}
        checks["mid-request: each job done with all its rows"] = all(
            job(pk).status == Job.Status.DONE and done_rows[pk] == max(10, args.rows // 10) for pk in queued
        )
        checks["mid-request: every uncommitted upload's rows absent"] = all(
            orgs("BCDEFGHJKL"[i % 10]) == 0 for i, r in enumerate(rounds) if not r["jobs"]
        )
        checks["mid-request: no file left"] = files() == []

        # --- the web server dies while the worker imports
        pk = portal.upload(_table(args.rows, "M"))
        _until("the import to start", lambda: job(pk).status == Job.Status.RUNNING, 120)
        _kill(web)
        killed_at = {"status": job(pk).status, "done": job(pk).done, "total": job(pk).total}
        web = gunicorn(url, port, workers=3)
        final = _until("the import to finish", lambda: (s := portal.job_status(pk)) in ("done", "failed") and s, 900)
        summary["web_killed_mid_import"] = {
            "job": pk,
            "at_kill": killed_at,
            "page": final,
            "message": job(pk).message,
            "organisations": orgs("M"),
            "files": files(),
        }
        checks["mid-import: done, all rows, no file"] = final == "done" and orgs("M") == args.rows and files() == []

        # --- the worker dies inside the import's write transaction
        pk = portal.upload(_table(args.rows, "N"))
        _until("validation to end", lambda: (j := job(pk)).status == Job.Status.RUNNING and j.total and j.done >= j.total, 900)
        time.sleep(1.0)  # into the write: organisation_upsert row by row in one transaction
        at_kill = {"status": job(pk).status, "open_transactions": _open_transactions(DB_NAME)}
        t_kill = time.monotonic()
        _kill(worker)
        at_kill["organisations"] = orgs("N")
        after_kill = {"status": job(pk).status, "page": portal.job_status(pk), "files": files()}
        worker = _worker()  # reaps what the dead worker left at its start
        failed = _until("the job to be marked failed", lambda: (s := portal.job_status(pk)) == "failed" and s, 120)
        after_restart_files = files()
        status_rc, status = _cli("worker", "status")
        rerun_rc, rerun = _cli("worker", "rerun", str(pk))
        again = portal.upload(_table(args.rows, "N"))
        again_page = _until("the upload again to finish", lambda: (s := portal.job_status(again)) in ("done", "failed") and s, 900)
        summary["worker_killed_mid_job"] = {
            "job": pk,
            "at_kill": at_kill,
            "after_kill": after_kill,
            "page_after_restart": failed,
            "seconds_to_failed": round(time.monotonic() - t_kill, 1),
            "message": job(pk).message,
            "files_after_restart": after_restart_files,
            "worker_status": status if status_rc == 0 else status_rc,
            "rerun": {"exit": rerun_rc, "answer": rerun},
            "uploaded_again": {"job": again, "page": again_page, "organisations": orgs("N")},
        }
        checks["worker: killed inside the write, no row kept"] = at_kill["open_transactions"] > 0 and at_kill["organisations"] == 0
        checks["worker: the job failed visibly"] = failed == "failed" and "FAILED" in json.dumps(status)
        checks["worker: its file removed"] = Path(job(pk).params["path"]).name not in after_restart_files
        checks["worker: re-run completes"] = rerun_rc != 0 and again_page == "done" and orgs("N") == args.rows and files() == []
    finally:
        if worker is not None:
            stop(worker)
        stop(web)
    summary["checks"] = checks
    summary["ok"] = all(checks.values())
    print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
