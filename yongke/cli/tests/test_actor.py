"""Who a console command acts as: `System("cli")` without `--as`, the named user with it."""

from __future__ import annotations

import pytest

from yongke.audit.models import AuditEvent
from yongke.cli.main import run
from yongke.testing import make_guide, make_org, make_user

pytestmark = pytest.mark.django_db


def test_without_as_the_console_acts_as_system_cli(capsys):
    make_guide()
    assert run(["call", "open", "--name", "批次", "--closes-at", "2099-06-30T17:00"]) == 0
    assert AuditEvent.objects.filter(action__startswith="call").values_list("actor_name", flat=True).last() == "system:cli"


def test_as_a_user_without_the_role_is_refused_in_one_line(capsys):
    make_guide()
    make_user("applicant", organisation=make_org(), username="zhang")
    code = run(["call", "open", "--name", "批次", "--closes-at", "2099-06-30T17:00", "--as", "zhang"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_as_an_unknown_user_names_the_flag(capsys):
    code = run(["call", "close", "1", "--as", "nobody"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--as" in err
