"""免申即享 screening: column-wise results equal the quotes, and the 公示 list is written as asked."""

from __future__ import annotations

import datetime as dt
import json
import random

import openpyxl
import polars as pl
import pytest

from yongke.awards import screen as sc
from yongke.awards.quote import award_quote
from yongke.awards.tests.conftest import make_uscc
from yongke.core.errors import BadInput

# Values on and around every threshold of the award directions; None is a fact not known.
POOLS: dict[str, list[object]] = {
    "points": [None, 0, 71, 72, 79, 80, 95],
    "region_award_received": [None, True, False],
    "county_research_award_received": [None, True, False],
    "registered_in_nanning": [None, True, False],
    "transaction_volume": [None, 0, 1, 99_999_999, 100_000_000, 100_000_100],
    "tech_transfer_agency_in_nanning": [None, True, False],
    "branch_recognized": [None, True, False],
    "applicant_kind": [None, "sme", "team", "other"],
    "service_cost": [None, 0, 1, 99_999, 100_000, 200_000, 300_000],
    "platform_level": [None, "national", "region_key_lab", "region_eng_center", "city_eng_center", "other"],
    "recognized_on": [None, "2021-12-31", "2022-01-01"],
    "duplicate_enterprise_tech_center": [None, False, True],
    "carrier": [None, "incubator", "maker_space"],
    "level": [None, "national", "region", "city"],
    "public_funded": [None, False, True],
    "maker_space_city_filed": [None, True, False],
    "rating": [None, "excellent", "good"],
    "hte_certified": [None, True, False],
    "above_scale": [None, True, False],
    "first_time": [None, True, False],
    "rd_in_statistics": [None, True, False],
    "group": [None, "startup", "growth"],
    "prize": [None, 0, 1, 2, 3, 4],
    "premium_patent": [None, 0, 1, 100_000, 400_000],
    "premium_property": [0, 1_000, 900_000],
    "key_industry": [None, True, False],
    "lab_animal_licence_new": [None, True, False],
    "rd_expense_base": [None, 0, 5_000_000],
    "received_gazelle_award": [None, False, True],
    "gazelle_recognized": [None, True, False],
    "gazelle_cultivated": [None, True, False],
    "rd_self_funded_expense": [None, 5_000_000, 200_000_000],
}
PREMIUMS = [
    f"premium_{k}"
    for k in (
        "rd_liability",
        "key_rd_equipment",
        "business_interruption",
        "product_liability",
        "product_quality",
        "microloan_guarantee",
        "employer_liability",
        "environmental_liability",
        "project_investment_loss",
    )
]


def random_orgs(n: int, seed: int = 4) -> pl.DataFrame:
    rng = random.Random(seed)
    cols: dict[str, list] = {"name": [f"单位{i}" for i in range(n)], "uscc": [make_uscc(i) for i in range(n)]}
    for name, pool in POOLS.items():
        cols[name] = [rng.choice(pool) for _ in range(n)]
    for name in PREMIUMS:
        cols[name] = [0] * n
    return pl.DataFrame(cols, schema_overrides={"recognized_on": pl.String})


def quoted(compiled, facts: dict, direction: str) -> tuple[int, list[str]]:
    """What a quote with these facts and no history pays (0 when not eligible or facts are missing),
    and the rules it leaves to verify."""
    try:
        q = award_quote(compiled, direction=direction, facts={k: v for k, v in facts.items() if v is not None})
    except BadInput:
        return 0, []
    return (q["amount"] if q["eligible"] else 0), sorted(r["rule"] for r in q["reasons"] if r["code"] == "to_verify")


@pytest.fixture(scope="module")
def quoted_orgs(compiled):
    """300 organisations, and what quoting each of them in every award direction pays and leaves to verify."""
    orgs = random_orgs(300)
    expected = {}
    for row in orgs.iter_rows(named=True):
        facts = {k: v for k, v in row.items() if k not in ("name", "uscc")}
        for d in sc.award_directions(compiled):
            amount, to_verify = quoted(compiled, facts, d)
            if amount > 0:
                expected[(row["uscc"], d)] = (amount, to_verify)
    return orgs, expected


@pytest.mark.parametrize("chunk", [sc.CHUNK_ROWS, 37])
def test_screening_equals_quoting_every_row(compiled, quoted_orgs, monkeypatch, chunk):
    monkeypatch.setattr(sc, "CHUNK_ROWS", chunk)
    orgs, expected = quoted_orgs
    result = sc.awards_screen(compiled, sc.check_orgs(orgs, compiled))
    found = {(r["uscc"], r["direction"]): (r["amount"], sorted(r["to_verify"])) for r in result.listed().iter_rows(named=True)}
    assert len(sc.award_directions(compiled)) == 15
    assert found == expected
    assert len(found) > 300  # the pools are rich enough to find many awards
    # Among them, 24.1 quoted at its lowest amount for facts left empty (and the higher one possible).
    lowest = [k for k, (amount, to_verify) in found.items() if k[1] == "24.1" and "24.1:award" in to_verify]
    assert len(lowest) > 10
    assert {found[k][0] for k in lowest} == {50_000}
    order = result.awards.select(pl.col("direction").to_physical(), "row").rows()
    assert order == sorted(order)  # the guide's order of directions, then the table's order


def test_to_verify_lists_the_gates_the_table_does_not_decide(compiled):
    orgs = pl.DataFrame({"name": ["甲"], "uscc": [make_uscc(1)], "points": [80], "region_award_received": [True]})
    result = sc.awards_screen(compiled, sc.check_orgs(orgs, compiled))
    row = result.listed().row(0, named=True)
    assert (row["direction"], row["amount"], row["to_verify"]) == ("26.1", 300_000, ["26.1:employer"])


def test_the_talent_award_is_not_the_county_award(compiled):
    """项目26's 自治区 talent award and 项目35's 60万元 county award are different facts: an
    employer with the first is listed for 26.1 only, a county with the second for 35.1 only."""
    orgs = pl.DataFrame(
        {
            "name": ["用人单位", "某县"],
            "uscc": [make_uscc(1), make_uscc(2)],
            "points": [79, None],
            "region_award_received": [True, None],
            "county_research_award_received": [None, True],
        }
    )
    result = sc.awards_screen(compiled, sc.check_orgs(orgs, compiled))
    assert sorted(result.listed().select("name", "direction", "amount").rows()) == sorted(
        [("用人单位", "26.1", 200_000), ("某县", "35.1", 300_000)]
    )


def test_directions_without_their_columns_are_reported_skipped(compiled):
    orgs = pl.DataFrame({"name": ["甲"], "uscc": [make_uscc(1)], "level": ["national"]})
    result = sc.awards_screen(compiled, sc.check_orgs(orgs, compiled))
    assert result.listed()["direction"].to_list() == ["34.1"]
    skipped = {s["direction"]: s["missing_columns"] for s in result.skipped}
    assert skipped["33.1"] == ["carrier", "public_funded"]


def test_publicity_list_excel_and_json(compiled, tmp_path):
    orgs = pl.DataFrame(
        {
            "name": ["甲公司", "乙公司", "丙县"],
            "uscc": [make_uscc(1), make_uscc(2), make_uscc(3)],
            "transaction_volume": [12_345_678, 150_000_000, None],
            "points": [72, 90, None],
            "region_award_received": [True, False, None],
            "county_research_award_received": [None, None, True],
        }
    )
    result = sc.awards_screen(compiled, sc.check_orgs(orgs, compiled))
    sc.write_xlsx(result, tmp_path / "list.xlsx")
    sc.write_json(result, tmp_path / "list.json", version="2022", year=2022)
    rows = list(openpyxl.load_workbook(tmp_path / "list.xlsx").active.iter_rows(values_only=True))
    assert rows[0] == ("序号", "单位名称", "统一社会信用代码", "项目", "金额（万元）")
    # In the guide's order of directions, then the table's order of organisations.
    assert [r[:4] for r in rows[1:]] == [
        (1, "甲公司", make_uscc(1), "引进国（境）外人才计点积分奖励性后补助"),
        (2, "甲公司", make_uscc(1), "技术转移服务机构技术交易奖励性后补助"),
        (3, "乙公司", make_uscc(2), "技术转移服务机构技术交易奖励性后补助"),
        (4, "丙县", make_uscc(3), "创新型县（市、区）配套科研经费奖励"),
    ]
    assert [r[4] for r in rows[1:]] == [20, 12.3456, 100, 30]
    doc = json.loads((tmp_path / "list.json").read_text(encoding="utf-8"))
    assert doc["found"] == 4
    assert doc["total"] == 200_000 + 123_456 + 1_000_000 + 300_000
    assert [(a["no"], a["direction"], a["amount"], a["amount_wan"]) for a in doc["awards"]] == [
        (1, "26.1", 200_000, "20"),
        (2, "32.1", 123_456, "12.3456"),
        (3, "32.1", 1_000_000, "100"),
        (4, "35.1", 300_000, "30"),
    ]


def test_parquet_dates_and_csv_text_read_alike(compiled, tmp_path):
    base = {"name": ["甲"], "uscc": [make_uscc(1)], "platform_level": ["city_eng_center"], "content": ["某工程技术研究中心"]}
    pl.DataFrame({**base, "recognized_on": [dt.date(2022, 1, 1)]}).write_parquet(tmp_path / "o.parquet")
    (tmp_path / "o.csv").write_text(
        f"name,uscc,platform_level,content,recognized_on\n甲,{make_uscc(1)},city_eng_center,某工程技术研究中心,2022-01-01\n",
        encoding="utf-8",
    )
    for f in ("o.parquet", "o.csv"):
        result = sc.awards_screen(compiled, sc.read_orgs(tmp_path / f, compiled))
        assert result.listed().select("direction", "amount").rows() == [("30.1", 100_000)]


@pytest.mark.parametrize(
    ("csv", "field", "row"),
    [
        ("name,uscc,points\n甲,{u},七十\n", "points", 2),
        ("name,uscc,service_cost\n甲,{u},-5\n", "service_cost", 2),
        ("name,uscc,level\n甲,{u},province\n", "level", 2),
        ("name,uscc,region_award_received\n甲,{u},maybe\n", "region_award_received", 2),
        ("name,uscc,recognized_on\n甲,{u},2022/01/01\n", "recognized_on", 2),
        ("name,uscc,pointz\n甲,{u},80\n", "pointz", None),
        ("name,points\n甲,80\n", "uscc", None),
        ("name,uscc\n甲,NOT-A-CODE\n", "uscc", 2),
        ("name,uscc\n甲,{u}\n乙,{u}\n", "uscc", 3),
    ],
)
def test_bad_tables_name_the_column_and_line(compiled, tmp_path, csv, field, row):
    path = tmp_path / "orgs.csv"
    path.write_text(csv.format(u=make_uscc(1)), encoding="utf-8")
    with pytest.raises(BadInput) as e:
        sc.read_orgs(path, compiled)
    assert e.value.detail["field"] == field
    assert e.value.detail.get("row") == row
    assert e.value.message.startswith(field)
