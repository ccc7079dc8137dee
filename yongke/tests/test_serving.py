"""Production serving end to end: gunicorn and a `yongke worker` as separate processes on one
database (a SQLite file, or a PostgreSQL database made for the test on the suite's server). An
application is submitted and returned through the JSON API; the notification is delivered by
the worker, not by the web process; a worker killed with SIGKILL leaves its task to be reaped.
Those two run in the PostgreSQL suite (the production database); the run script's test, `make
run`'s embedded default, in the SQLite suite (`@pytest.mark.suite`, yongke/conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

BIN = Path(sys.executable).parent
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
SETUP = """
import json
import django
django.setup()
from yongke.accounts.services import token_create
from yongke.testing import TEST, build_world, make_application
world = build_world()
app = make_application(call=world.call, org=world.org, user=world.applicant)
print(json.dumps({
    "app": app.pk,
    "applicant": token_create(actor=TEST, user=world.applicant, name="serving"),
    "officer": token_create(actor=TEST, user=world.officer, name="serving"),
}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _base_env(tmp: Path, database_url: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("YONGKE_", "DATABASE_URL", "DJANGO_"))}
    return clean | {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "yongke.settings",
        "YONGKE_VAR_DIR": str(tmp / "var"),
        "YONGKE_SECRET_KEY": "serving-test",
        "YONGKE_WORKER_HEARTBEAT": "1",
        "YONGKE_WORKER_STALE_AFTER": "600",
    }


def _server() -> dict:
    params = connection.settings_dict
    return {"host": params["HOST"], "port": params["PORT"] or 5432, "user": params["USER"], "password": params["PASSWORD"] or None}


def _pg_url(name: str) -> str:
    s = _server()
    auth = f"{s['user']}:{s['password']}" if s["password"] else s["user"]
    return f"postgres://{auth}@{s['host']}:{s['port']}/{name}"


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **_server()) as c:
        c.execute(sql)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Iterator[str]:
    """A database of the suite's kind, migrated once for the module: a SQLite file, or a
    PostgreSQL database on the suite's server (never the test's own database, which lives in a
    transaction or, on SQLite, in memory). Each test works on a copy."""
    tmp = tmp_path_factory.mktemp("serving-template")
    if connection.vendor == "postgresql":
        name = f"yongke_serving_{uuid.uuid4().hex[:10]}"
        _pg(f'CREATE DATABASE "{name}"')
        url = _pg_url(name)
    else:
        name, url = "", f"sqlite:///{tmp / 'template.sqlite3'}"
    _run(_base_env(tmp, url), str(BIN / "yongke"), "manage", "migrate", "--no-input", "-v", "0")
    yield name or str(tmp / "template.sqlite3")
    if name:
        _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(tmp_path, migrated) -> Iterator[str]:
    if connection.vendor != "postgresql":
        for suffix in ("", "-wal", "-shm"):
            if Path(migrated + suffix).exists():
                shutil.copy(migrated + suffix, tmp_path / f"serving.sqlite3{suffix}")
        yield f"sqlite:///{tmp_path / 'serving.sqlite3'}"
        return
    name = f"{migrated}_{uuid.uuid4().hex[:6]}"
    _pg(f'CREATE DATABASE "{name}" TEMPLATE "{migrated}"')
    yield _pg_url(name)
    _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def env(tmp_path, database_url) -> dict[str, str]:
    return _base_env(tmp_path, database_url)


def _run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _api(port: int, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with DIRECT.open(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
    except urllib.error.URLError:  # not listening yet
        return 0, {}


def _until(check, *, seconds: float = 60, what: str = ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Procs:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, env: dict[str, str], name: str, *argv: str) -> subprocess.Popen:
        log = self.tmp / f"{name}.log"
        p = subprocess.Popen(argv, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((p, log))
        return p

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for _, log in self.procs)

    def stop(self) -> None:
        for p, _ in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p, _ in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@pytest.fixture
def procs(tmp_path) -> Iterator[Procs]:
    running = Procs(tmp_path)
    yield running
    running.stop()


@pytest.mark.suite("postgresql")  # production serving: gunicorn and workers on PostgreSQL
def test_an_api_step_through_gunicorn_is_delivered_by_the_worker(env, procs):
    made = json.loads(_run(env, sys.executable, "-c", SETUP).stdout.strip().splitlines()[-1])
    port = _free_port()
    web = procs.start(env, "gunicorn", str(BIN / "gunicorn"), "yongke.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2")
    try:
        _until(lambda: _api(port, "GET", "/notifications", made["applicant"])[0] == 200, what="gunicorn")
    except AssertionError:
        raise AssertionError(procs.logs()) from None

    status, body = _api(port, "POST", f"/applications/{made['app']}/transitions", made["applicant"], {"action": "submit"})
    assert status == 200, body
    status, body = _api(
        port, "POST", f"/applications/{made['app']}/transitions", made["officer"], {"action": "return", "comment": "补充审计报告"}
    )
    assert status == 200, body
    assert body["state"] == "returned"
    time.sleep(1)  # no worker yet: the web process delivers nothing itself
    assert _api(port, "GET", "/notifications", made["applicant"])[1]["count"] == 0

    procs.start(env, "worker", str(BIN / "yongke"), "worker", "--interval", "0.2")

    def delivered():
        inbox = _api(port, "GET", "/notifications", made["applicant"])[1]
        return inbox if inbox.get("count") else None

    try:
        inbox = _until(delivered, what="the worker's delivery")
    except AssertionError:
        raise AssertionError(procs.logs()) from None
    assert [n["kind"] for n in inbox["items"]] == ["returned"]
    assert web.poll() is None

    # The inbox entry is stored before the email goes out; then the task is recorded done.
    status = _until(
        lambda: (s := json.loads(_run(env, str(BIN / "yongke"), "worker", "status").stdout))["tasks"] == {"SUCCESSFUL": 1} and s,
        what="the task recorded done",
    )
    assert len(status["workers"]) == 1


@pytest.mark.suite("postgresql")  # production serving: gunicorn and workers on PostgreSQL
def test_a_killed_worker_leaves_its_job_to_be_reaped(env, procs):
    """kill -9 in the middle of a task: the next worker's start marks it failed and removes its file."""
    hang = """
import django, json, time
django.setup()
from django.db import transaction
from yongke.accounts.actors import System
from yongke.jobs.services import job_start_org_import
with transaction.atomic():
    job = job_start_org_import(actor=System("tests"), filename="orgs.csv", content=b"x,y\\n1,2\\n")
print(json.dumps({"job": job.pk, "path": job.params["path"]}))
"""
    made = json.loads(_run(env, sys.executable, "-c", hang).stdout.strip().splitlines()[-1])
    assert Path(made["path"]).exists()
    # A worker whose import never ends: its task blocks until the worker is killed.
    stuck = """
import time, django
django.setup()
import yongke.jobs.tasks as t
t.read_table = lambda path: time.sleep(3600)
from yongke.jobs.worker import run_worker
run_worker(interval=0.2)
"""
    worker = procs.start(env, "stuck-worker", sys.executable, "-c", stuck)
    status_of = [str(BIN / "yongke"), "worker", "status"]
    _until(lambda: json.loads(_run(env, *status_of).stdout)["tasks"].get("RUNNING"), what="the task to start")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()

    reaped = json.loads(_run(env, str(BIN / "yongke"), "worker", "reap").stdout)
    assert reaped["jobs"] == [made["job"]]
    assert len(reaped["tasks"]) == 1
    assert not Path(made["path"]).exists()
    assert json.loads(_run(env, *status_of).stdout) == {"workers": [], "tasks": {"FAILED": 1}}


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")  # a zombie has stopped
    except FileNotFoundError:
        return True


@pytest.mark.suite("sqlite")  # `make run`, the embedded default, is SQLite
def test_the_run_script_starts_web_worker_and_scheduler_and_ctrl_c_stops_them(env, procs):
    port = _free_port()
    script = Path(__file__).resolve().parents[2] / "scripts" / "run.sh"
    run = procs.start(env | {"BIN": str(BIN)}, "run", "bash", str(script), "dev", "127.0.0.1", str(port))
    try:
        _until(lambda: _api(port, "GET", "/notifications", "none")[0] == 401, what="the web server")
        _until(lambda: len(_children(run.pid)) == 3, what="three children")
    except AssertionError:
        raise AssertionError(procs.logs()) from None
    children = _children(run.pid)
    os.kill(run.pid, signal.SIGINT)  # Ctrl-C
    assert run.wait(timeout=30) == 130
    assert all(_gone(c) for c in children), procs.logs()
