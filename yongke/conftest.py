"""Shared test fixtures: the bundled guide, compiled once for the session."""

from __future__ import annotations

import os

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
    """On SQLite's in-memory test database every request thread of the live server shares the
    test's one connection (pytest-django passes it over), so two requests at once — a page's
    live panel and its form, a page and its htmx calls — would interleave their transactions on
    it, and one's rollback could take the other's writes (a browser test was signed out between
    a page and its POST). The live server then takes its requests one after another; on
    PostgreSQL each thread has its own connection and it stays threaded."""
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db import connection
    from django.test import testcases

    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):  # type: ignore[attr-defined]
        return

    class OneAtATime(ThreadedWSGIServer):
        def process_request(self, request, client_address):  # type: ignore[no-untyped-def]
            self.process_request_thread(request, client_address)  # in the server's thread, not a new one

    testcases.LiveServerThread.server_class = OneAtATime


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
