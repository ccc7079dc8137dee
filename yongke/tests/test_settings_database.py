"""The database settings: on PostgreSQL, server-side binding with prepared statements by default;
DATABASE_URL's query may turn them off or tune them (its strings read as a bool and an int), and
a value that is neither is refused at start-up, naming the option.

Settings are read once per process, so each parsing case runs in a fresh interpreter (no server
is needed: nothing connects). The live-connection case runs in the PostgreSQL suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json
import django
django.setup()
from django.conf import settings
o = settings.DATABASES["default"].get("OPTIONS", {})
print(json.dumps({"binding": o.get("server_side_binding"), "threshold": o.get("prepare_threshold", "absent")}))
"""


def _options(tmp_path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ) | {
        "DJANGO_SETTINGS_MODULE": "yongke.settings",
        "YONGKE_VAR_DIR": str(tmp_path),
        "YONGKE_SECRET_KEY": "test",
        "DATABASE_URL": database_url,
    }
    return subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)


PG = "postgresql://yongke@127.0.0.1:1/yongke"


@pytest.mark.parametrize(
    ("query", "binding", "threshold"),
    [
        ("", True, 5),  # the defaults
        ("?server_side_binding=false", False, 5),  # behind a pooler that cannot keep prepared statements
        ("?server_side_binding=False&prepare_threshold=20", False, 20),
        ("?server_side_binding=true&prepare_threshold=0", True, 0),  # prepare every statement at once
        ("?prepare_threshold=none", True, None),  # bind on the server, never prepare
    ],
)
def test_postgresql_binds_on_the_server_unless_the_url_says_otherwise(tmp_path, query, binding, threshold):
    run = _options(tmp_path, PG + query)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"binding": binding, "threshold": threshold}


@pytest.mark.parametrize(
    ("query", "named"), [("?server_side_binding=maybe", "server_side_binding"), ("?prepare_threshold=-1", "prepare_threshold")]
)
def test_a_bad_option_stops_the_start_naming_it(tmp_path, query, named):
    run = _options(tmp_path, PG + query)
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr
    assert named in run.stderr


def test_sqlite_has_no_postgresql_options(tmp_path):
    run = _options(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"binding": None, "threshold": "absent"}


@pytest.mark.suite("postgresql")
@pytest.mark.django_db
def test_a_repeated_query_is_prepared_on_the_server():
    from django.db import connection

    from yongke.applications.models import Application

    for _ in range(6):  # the threshold is 5
        list(Application.objects.filter(state="submitted").values_list("id")[:1])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ['%"applications_application"%'])
        (prepared,) = cursor.fetchone()
    assert prepared >= 1
