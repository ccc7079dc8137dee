"""`yongke award …` through the CLI: exit codes, JSON on stdout, one-line messages naming the field."""

from __future__ import annotations

import json

import openpyxl
import polars as pl
import pytest

from yongke.awards.tests.conftest import make_uscc
from yongke.cli.main import run


@pytest.fixture
def call(tmp_path, capsys):
    """Write the request to a file, run the command; returns (exit code, stdout JSON or None, stderr)."""

    def _call(command: str, request=None, *extra: str):
        args = ["award", command]
        if request is not None:
            path = tmp_path / "request.json"
            path.write_text(request if isinstance(request, str) else json.dumps(request, ensure_ascii=False), encoding="utf-8")
            args.append(str(path))
        code = run([*args, *extra])
        out, err = capsys.readouterr()
        return code, (json.loads(out) if out.strip() else None), err

    return _call


def test_quote_eligible_exits_0(call):
    code, out, err = call(
        "quote", {"direction": "26.1", "facts": {"points": 80, "region_award_received": True}, "org": make_uscc(7), "year": 2022}
    )
    assert code == 0
    assert err == ""
    assert out["eligible"] is True
    assert out["amount"] == 300_000
    assert out["breakdown"] == [
        {"step": "计点积分 80 分（80分以上）", "amount": 300_000, "source": "计点积分达到80分以上的，可申请南宁市级奖励性后补助经费30万元"}
    ]


def test_quote_not_eligible_exits_1(call):
    code, out, _ = call("quote", {"direction": "26.1", "facts": {"points": 71, "region_award_received": True}})
    assert code == 1
    assert out["eligible"] is False
    assert out["amount"] == 0


def test_quote_with_history(call):
    request = {
        "direction": "28.1",
        "year": 2022,
        "facts": {"premiums": [{"kind": "patent", "amount": 100_000}]},
        "history": [{"direction": "28.1", "year": 2022, "amount": 200_000}],
    }
    code, out, _ = call("quote", request)
    assert code == 0
    assert out["amount"] == 50_000


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"direction": "28.1", "facts": {"premiums": [{"kind": "patent", "amount": -1}]}}, "facts.premiums[0].amount"),
        ({"direction": "28.1", "facts": {"premiums": [{"kind": "car", "amount": 100}]}}, "facts.premiums[0].kind"),
        ({"direction": "28.1", "facts": {"premiums": [{"kind": "patent"}]}}, "facts.premiums[0].amount"),
        ({"direction": "28.1", "facts": {}}, "facts.premiums"),
        ({"direction": "33.1", "facts": {"carrier": "incubator", "level": "province", "public_funded": False}}, "facts.level"),
        ({"direction": "30.1", "facts": {"platform_level": "provincial", "recognized_on": "2022-01-01"}}, "facts.platform_level"),
        ({"direction": "30.1", "facts": {"platform_level": "national", "recognized_on": "2022/01/01"}}, "facts.recognized_on"),
        ({"direction": "27.1", "facts": {"applicant_kind": "sme", "service_cost": -100}}, "facts.service_cost"),
        ({"direction": "27.1", "facts": {"applicant_kind": "big", "service_cost": 100}}, "facts.applicant_kind"),
        ({"direction": "26.1", "facts": {"region_award_received": True}}, "facts.points"),
        ({"direction": "26.1", "facts": {"points": "80", "region_award_received": True}}, "facts.points"),
        ({"direction": "26.1", "facts": {"points": 80, "region_award_received": "yes"}}, "facts.region_award_received"),
        ({"direction": "32.1", "facts": {"transaction_volume": 1.5}}, "facts.transaction_volume"),
        ({"direction": "32.1", "facts": {"volume": 100}}, "facts.volume"),
        ({"direction": "99.1", "facts": {}}, "direction"),
        ({"direction": "1.1", "facts": {}}, "direction"),
        ({"facts": {}}, "direction"),
        ({"direction": "34.1", "facts": {"level": "national"}, "org": "12345"}, "org"),
        ({"direction": "34.1", "facts": {"level": "national"}, "year": 2023}, "year"),
        ({"direction": "34.1", "facts": {"level": "national"}, "amount": 5}, "amount"),
        (
            {"direction": "34.1", "facts": {"level": "national"}, "history": [{"direction": "34.1", "year": 2022, "amount": -5}]},
            "history[0].amount",
        ),
    ],
)
def test_quote_bad_input_exits_2_naming_the_field(call, request_, field):
    code, out, err = call("quote", request_)
    assert code == 2
    assert out is None
    assert err.startswith("yongke: ")
    assert err.count("\n") == 1
    assert field in err


def test_quote_file_that_is_not_json(call):
    code, _, err = call("quote", "{not json")
    assert code == 2
    assert "JSON" in err


def test_allocate(call):
    code, out, _ = call(
        "allocate", {"budget": 100, "claims": [{"id": "a", "amount": 50}, {"id": "b", "amount": 50}, {"id": "c", "amount": 50}]}
    )
    assert code == 0
    assert out == {"allocations": [{"id": "a", "amount": 34}, {"id": "b", "amount": 33}, {"id": "c", "amount": 33}], "ratio": 0.666667}


def test_allocate_fits(call):
    code, out, _ = call("allocate", {"budget": 1000, "claims": [{"id": 1, "amount": 500}, {"id": 2, "amount": 400}]})
    assert code == 0
    assert out == {"allocations": [{"id": 1, "amount": 500}, {"id": 2, "amount": 400}], "ratio": 1.0}


@pytest.mark.parametrize(
    ("request_", "field"),
    [({"budget": 100, "claims": [{"id": "a", "amount": -50}]}, "claims[0].amount"), ({"budget": "100", "claims": []}, "budget")],
)
def test_allocate_bad_input(call, request_, field):
    code, _, err = call("allocate", request_)
    assert code == 2
    assert field in err


@pytest.fixture
def orgs_csv(tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(
        "name,uscc,points,region_award_received,county_research_award_received,transaction_volume\n"
        f"甲公司,{make_uscc(1)},80,false,,150000000\n乙公司,{make_uscc(2)},72,true,,\n丙县,{make_uscc(3)},,,true,\n",
        encoding="utf-8",
    )
    return path


def test_screen_writes_the_publicity_list_without_progress_off_a_terminal(call, orgs_csv, tmp_path, monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    xlsx, js = tmp_path / "list.xlsx", tmp_path / "list.json"
    code, out, err = call("screen", None, "--orgs", str(orgs_csv), "--out-xlsx", str(xlsx), "--out-json", str(js), "--year", "2022")
    assert code == 0
    assert err == ""
    assert out["found"] == 3
    assert "awards" not in out
    rows = list(openpyxl.load_workbook(xlsx).active.iter_rows(values_only=True))
    assert rows[0] == ("序号", "单位名称", "统一社会信用代码", "项目", "金额（万元）")
    assert [(r[1], r[4]) for r in rows[1:]] == [("乙公司", 20), ("甲公司", 100), ("丙县", 30)]
    assert [a["direction"] for a in json.loads(js.read_text(encoding="utf-8"))["awards"]] == ["26.1", "32.1", "35.1"]


def test_screen_shows_progress_on_a_terminal(call, orgs_csv, monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    code, out, err = call("screen", None, "--orgs", str(orgs_csv))
    assert code == 0
    assert len(out["awards"]) == 3
    assert "\x1b[" in err  # rich drew (and cleared) its bar


def test_screen_parquet(call, tmp_path):
    path = tmp_path / "orgs.parquet"
    pl.DataFrame({"name": ["甲"], "uscc": [make_uscc(3)], "level": ["region"]}).write_parquet(path)
    code, out, _ = call("screen", None, "--orgs", str(path))
    assert code == 0
    assert [(a["direction"], a["amount"]) for a in out["awards"]] == [("34.1", 150_000)]


@pytest.mark.parametrize(
    ("csv", "extra", "field"),
    [
        ("name,uscc,points\n甲,{u},-3\n", (), "points"),
        ("name,uscc,level\n甲,{u},province\n", (), "level"),
        ("name,uscc,points\n甲,{u},eighty\n", (), "points"),
        ("name,points\n甲,80\n", (), "uscc"),
        ("name,uscc\n甲,{u}\n", ("--year", "2023"), "year"),
    ],
)
def test_screen_bad_input_exits_2(call, tmp_path, csv, extra, field):
    path = tmp_path / "orgs.csv"
    path.write_text(csv.format(u=make_uscc(1)), encoding="utf-8")
    code, _, err = call("screen", None, "--orgs", str(path), *extra)
    assert code == 2
    assert err.startswith(f"yongke: {field}")


def test_screen_missing_file_and_wrong_format(call, tmp_path):
    assert call("screen", None, "--orgs", str(tmp_path / "none.csv"))[0] == 2
    (tmp_path / "orgs.txt").write_text("x", encoding="utf-8")
    assert call("screen", None, "--orgs", str(tmp_path / "orgs.txt"))[0] == 2
