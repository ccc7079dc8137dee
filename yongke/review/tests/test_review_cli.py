"""`yongke review experts-import`, `round` and `remind`."""

from __future__ import annotations

import json

import pytest

from yongke.cli.main import run
from yongke.orgs.validators import id_with_check
from yongke.review.models import Expert
from yongke.testing import make_guide, make_org

pytestmark = pytest.mark.django_db


def _csv(tmp_path, rows):
    p = tmp_path / "experts.csv"
    p.write_text(
        "姓名,身份证号码,工作单位统一社会信用代码,职称,专业领域,关键词,最多评审数\n" + "\n".join(",".join(r) for r in rows) + "\n",
        encoding="utf-8-sig",
    )
    return p


def test_experts_import_is_all_or_nothing(tmp_path, capsys):
    make_guide()
    org = make_org()
    good = ["王五", id_with_check("45010219700101123"), org.uscc, "教授", "C3976、C39", "电池、电机", "5"]
    bad_id = ["赵六", "450102197001011230", "", "研究员", "C39", "", "5"]
    bad_field = ["钱七", id_with_check("45010219700101124"), "", "研究员", "电池", "", "5"]
    assert run(["review", "experts-import", str(_csv(tmp_path, [good, bad_id, bad_field]))]) == 2
    report = json.loads(capsys.readouterr().out)
    assert [e["row"] for e in report["errors"]] == [3, 4]
    assert Expert.objects.count() == 0
    assert run(["review", "experts-import", str(_csv(tmp_path, [good]))]) == 0
    e = Expert.objects.get()
    assert e.fields == ["C3976", "C39"]
    assert e.keywords == ["电池", "电机"]
    assert e.organisation == org
    assert e.max_load == 5


def test_round_command_reports_nothing_to_assign(capsys):
    from yongke.testing import make_call

    make_guide()
    call = make_call()
    assert run(["review", "round", "--call", str(call.pk)]) == 1  # refused: nothing in expert review
    assert run(["review", "round", "--call", "99999"]) == 2
    assert run(["review", "remind"]) == 0
