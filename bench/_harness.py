"""What the server benchmarks share: a fresh PostgreSQL database, Django on it, gunicorn serving
it, and requests timed from client threads. Traffic goes to 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_SERVER = "postgres://yongke@127.0.0.1:54329/postgres"  # the `make pg-start` cluster


def _production_env() -> dict[str, str]:
    """Production settings (YONGKE_DEBUG=0: no query log, no debug pages), with a secret and a
    field key of this run shared by the bench process (which seeds and signs sessions) and the
    server; plain HTTP on 127.0.0.1, so no redirect to HTTPS and no HSTS."""
    import secrets

    from cryptography.fernet import Fernet

    return {
        "YONGKE_DEBUG": "0",
        "YONGKE_SECRET_KEY": secrets.token_urlsafe(50),
        "YONGKE_FIELD_KEY": Fernet.generate_key().decode(),
        "YONGKE_SSL_REDIRECT": "0",
        "YONGKE_COOKIE_SECURE": "0",
        "YONGKE_HSTS_SECONDS": "0",
        "YONGKE_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


for _name, _value in _production_env().items():
    os.environ.setdefault(_name, _value)  # the server inherits them (gunicorn() copies os.environ)


def fresh_database(server: str, name: str) -> str:
    """An empty database `name` on the server (dropped first if it exists); its URL."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def django_on(url: str) -> None:
    """Django configured on the database at `url`, migrated."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yongke.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_ENV = {"YONGKE_LOG_LEVEL": "ERROR"}


def gunicorn(url: str, port: int, *, workers: int = 3, extra: Iterable[str] = ()) -> subprocess.Popen:
    """gunicorn serving the project on 127.0.0.1:port, answering /api/v1/health before this returns."""
    env = {**os.environ, "DATABASE_URL": url, **SERVER_ENV}
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "yongke.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning", *extra],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("gunicorn exited") from None
            time.sleep(0.1)
    stop(proc)
    raise SystemExit("gunicorn did not answer")


def worker(url: str, *, interval: float = 0.2, nice: int = 0) -> subprocess.Popen:
    """`yongke worker` (django-tasks-db's queue) on the database of `url`, in its own process group;
    `nice` lowers its CPU priority below the web server's (docs/deployment.md, one machine)."""
    return subprocess.Popen(
        [*(["nice", "-n", str(nice)] if nice else []), str(ROOT / ".venv/bin/yongke"), "worker", "--interval", str(interval)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, **SERVER_ENV},
        start_new_session=True,
    )


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a page: a session sent to the sign-in or second-factor page
    must fail the bench instead of timing that page."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def call(base: str, path: str, headers: dict[str, str], *, body: Any = None, timeout: float = 60) -> tuple[int, float, Any]:
    """(status, milliseconds, decoded JSON or text) of one request (redirects not followed)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, headers={**headers, **({"Content-Type": "application/json"} if data else {})})
    t0 = time.perf_counter()
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    ms = (time.perf_counter() - t0) * 1000
    try:
        return status, ms, json.loads(raw)
    except ValueError:
        return status, ms, raw.decode(errors="replace")


def percentile(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[max(0, min(len(ordered) - 1, round(len(ordered) * q) - 1))]


def measure(
    base: str, path: str, headers: dict[str, str], *, requests: int, concurrency: int, expect: str | None = None
) -> tuple[float, float]:
    """(p50, p95) in milliseconds of `requests` GETs from `concurrency` clients, after a warm-up;
    every answer must be 200 (and hold `expect`, when given: the page asked, not another)."""

    def one(_: int) -> float:
        status, ms, body = call(base, path, headers)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        if expect is not None and expect not in str(body):
            raise SystemExit(f"{path}: the answer does not hold {expect!r}")
        return ms

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(max(10, concurrency * 3))))  # every worker warm
        times = list(pool.map(one, range(requests)))
    return statistics.median(times), percentile(times, 0.95)


def parallel(fn: Callable[[Any], Any], items: list[Any], concurrency: int) -> list[Any]:
    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(fn, items))


def session_cookie(user) -> str:
    """A signed-in session of `user` whose second factor is verified (officers must have one:
    without it every portal page would redirect to the enrolment page)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True
    )  # the bench's own set-up, as if the officer had enrolled
    s = SessionStore()
    s[DEVICE_ID_SESSION_KEY] = device.persistent_id
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = (
        settings.AUTHENTICATION_BACKENDS[-1]
        if hasattr(settings, "AUTHENTICATION_BACKENDS")
        else "django.contrib.auth.backends.ModelBackend"
    )
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return f"{settings.SESSION_COOKIE_NAME}={s.session_key}"
