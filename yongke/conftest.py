"""Shared test fixtures: the bundled guide, compiled once for the session."""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Iterator

import pytest

from yongke.guide.engine import CompiledGuide
from yongke.guide.loader import bundled_guide, load_guide
from yongke.guide.model import Guide


def pytest_collection_modifyitems(config, items) -> None:
    """`@pytest.mark.suite("postgresql")`: a test of one database's deployment (gunicorn on
    PostgreSQL, the embedded demo on SQLite) runs in that suite and is deselected in the other:
    `make test` runs both, so it still runs once.

    `YONGKE_TEST_DB_ONLY=1` (`make test-postgres`, after the SQLite suite has run everything):
    only the tests that touch the database run — the rest (rule compilation, the pure algorithms,
    parsers) cannot behave differently on another database."""
    from django.db import connection

    db_only = os.environ.get("YONGKE_TEST_DB_ONLY") == "1"
    # In the PostgreSQL suite the browser journeys are left out too: what they check is the
    # browser's side of the pages (scripts, CSP, layout, focus); the server's side of every page
    # runs there through the portal's client tests.
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        mark = item.get_closest_marker("suite")
        other_suite = mark is not None and connection.vendor not in mark.args
        off = db_only and (not _uses_database(item) or BROWSER_FIXTURE in getattr(item, "fixturenames", ()))
        (drop if other_suite or off else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


BROWSER_FIXTURE = "browser"  # yongke/portal/tests/test_browser.py: Debian's Chromium through Playwright

# Fixtures through which a test reaches the database (pytest-django's; `live_server` for the browser).
DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"})


def _uses_database(item: pytest.Item) -> bool:
    """The test touches the database: marked django_db, or one of its fixtures (at any depth) is pytest-django's."""
    if item.get_closest_marker("django_db") is not None:
        return True
    return bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


@pytest.fixture(scope="session", autouse=True)
def _live_server_one_request_at_a_time() -> None:
    """On SQLite's in-memory test database the live server's requests and the test itself share
    the test's one connection (pytest-django passes it over), and with it one transaction state:
    two users of it at once — a page's live panel and its form, a trailing request of the page
    and the test's own ORM call (`registration_approve` between two pages), the last request of
    a closed page and the flush after the test — interleave their atomic blocks, and one's
    commit or rollback can take the other's writes (a browser test was signed out mid-journey).

    So, on that database only (on PostgreSQL each thread has its own connection and the server
    stays threaded):
    - the live server handles one request at a time, in its own thread, one request per
      connection (an idle keep-alive connection would hold its only thread), each under
      `LIVE_DB`;
    - every query and every atomic block of another thread on that connection (the test's)
      takes `LIVE_DB` too, so it runs between two requests, never inside one;
    - the flush after a transactional test waits until no request is running or waiting."""
    from django.db import connection
    from django.test import TransactionTestCase, testcases

    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):  # type: ignore[attr-defined]
        return
    _atomic_takes_live_db()
    teardown = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]

    def quiet_teardown(self):  # type: ignore[no-untyped-def]
        with live_server_quiet():
            return teardown(self)

    TransactionTestCase._fixture_teardown = quiet_teardown  # type: ignore[attr-defined]
    testcases.LiveServerThread.server_class = _one_at_a_time()


def _serialised(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
    with LIVE_DB:
        return execute(sql, params, many, context)


def _one_at_a_time() -> type:
    from django.core.servers.basehttp import WSGIServer

    class OneAtATime(WSGIServer):  # not ThreadingMixIn: Django then closes each connection after its answer
        def __init__(self, *args, connections_override=None, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self.connections_override = connections_override
            for conn in (connections_override or {}).values():
                if id(conn) not in _SHARED:
                    _SHARED.add(id(conn))
                    conn.execute_wrappers.insert(0, _serialised)
            _LIVE["server"] = self

        def process_request(self, request, client_address):  # type: ignore[no-untyped-def]
            with LIVE_DB:
                super().process_request(request, client_address)

    return OneAtATime


def _atomic_takes_live_db() -> None:
    """An atomic block on the shared connection holds `LIVE_DB` from its start to its end."""
    from django.db import transaction

    enter, exit_ = transaction.Atomic.__enter__, transaction.Atomic.__exit__

    def atomic_enter(self):  # type: ignore[no-untyped-def]
        stack = _HELD.__dict__.setdefault("stack", [])
        take = id(transaction.get_connection(self.using)) in _SHARED
        if take:
            LIVE_DB.acquire()
        stack.append(take)
        try:
            return enter(self)
        except BaseException:
            if stack.pop():
                LIVE_DB.release()
            raise

    def atomic_exit(self, *exc):  # type: ignore[no-untyped-def]
        try:
            return exit_(self, *exc)
        finally:
            if _HELD.stack.pop():
                LIVE_DB.release()

    transaction.Atomic.__enter__ = atomic_enter  # type: ignore[method-assign]
    transaction.Atomic.__exit__ = atomic_exit  # type: ignore[method-assign]


LIVE_DB = threading.RLock()  # held by the live server for each request on the shared in-memory connection
_LIVE: dict[str, object] = {}  # "server": the live server, once started
_SHARED: set[int] = set()  # id() of the connection the live server shares with the test
_HELD = threading.local()  # per thread: a stack of "this atomic block took LIVE_DB"


@contextlib.contextmanager
def live_server_quiet(wait: float = 10.0) -> Iterator[None]:
    """Holding `LIVE_DB` with no request running or waiting at the live server's socket (the
    last requests of a page closed a moment ago are answered first); at most `wait` seconds."""
    server = _LIVE.get("server")
    if server is None:
        yield
        return
    deadline = time.monotonic() + wait
    while True:
        LIVE_DB.acquire()
        pending, _, _ = select.select([server.socket], [], [], 0)  # type: ignore[attr-defined]
        if not pending or time.monotonic() > deadline:
            break
        LIVE_DB.release()
        time.sleep(0.02)
    try:
        yield
    finally:
        LIVE_DB.release()


@pytest.fixture(scope="session")
def guide() -> Guide:
    return load_guide()


@pytest.fixture(scope="session")
def compiled() -> CompiledGuide:
    return bundled_guide()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_off(settings):
    """The second factor and re-authentication are off unless a test turns them on (tests/test_mfa*)."""
    settings.YONGKE_MFA_REQUIRED = False
    settings.YONGKE_REAUTH_MINUTES = 0


@pytest.fixture(autouse=True)
def _language_of_the_site():
    """Each test starts in the site's language (zh-hans) and leaves it so: a test that activates
    English (an `Accept-Language` request through the test client, a CLI run with `--lang en`)
    must not change the labels the next test of the same worker reads."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
