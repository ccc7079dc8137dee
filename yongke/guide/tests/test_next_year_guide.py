"""Next year's guide without code: a second, small guide (test data, not shipped) loads from a
temporary folder beside 2022 — a tiered award, a one-time branch subsidy, a cap across two of
its directions, an exclusion naming a 2022 direction — and a history spanning both years is
honoured in quotes and at submission."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from yongke.applications import services as apps
from yongke.applications.models import Application
from yongke.awards.quote import award_quote
from yongke.core.errors import Refused
from yongke.guide.columnar import VERDICT_CODES, ColumnarGuide
from yongke.guide.engine import CompiledGuide
from yongke.guide.loader import load_guide
from yongke.guide.services import guide_store
from yongke.guide.validate import uncovered
from yongke.testing import TEST, make_application, make_call, make_guide, make_org, make_user

DATA = Path(__file__).parent / "data" / "nanning-2023"
AGENCY = {"tech_transfer_agency_in_nanning": True}
BRANCH = {"tech_transfer_branch_in_nanning": True, "branch_recognized": True}


@pytest.fixture(scope="module")
def next_year(tmp_path_factory) -> CompiledGuide:
    folder = tmp_path_factory.mktemp("guides") / "nanning-2023"
    shutil.copytree(DATA, folder)
    return CompiledGuide(load_guide(folder))  # every case of its own is run here


def _quote(compiled: CompiledGuide, direction: str, facts: dict, history: list | None = None) -> dict:
    return award_quote(compiled, direction=direction, facts=facts, year=2023, history=history)


def _codes(q: dict) -> list[str]:
    return [r["code"] for r in q["reasons"]]


def test_it_loads_with_its_cases_and_every_clause_encoded(next_year):
    g = next_year.guide
    assert (g.id, g.version, [d.id for d in g.directions]) == ("nanning-2023", "2023", ["1.1", "1.2"])
    assert sum(len(d.cases) for d in g.directions) == 7
    assert uncovered(g) == []


@pytest.mark.parametrize(
    ("volume", "amount"),
    [
        (1, 0),
        (9_999_999, 99_999),
        (10_000_000, 100_000),  # the first tier's end: all at 1%
        (10_000_001, 100_000),  # one yuan at 0.5% is half a yuan: whole yuan, rounded down
        (10_000_200, 100_001),
        (20_000_000, 150_000),
        (90_000_000, 500_000),  # the yearly cap, reached exactly
        (90_000_200, 500_000),  # one yuan over: cut to the cap
    ],
)
def test_the_tiered_award_pays_each_slice_at_its_rate(next_year, volume, amount):
    q = _quote(next_year, "1.1", {**AGENCY, "transaction_volume": volume})
    assert q["eligible"] is (amount > 0)  # a formula coming to 0 yuan pays nothing: `zero_amount`
    assert q["amount"] == amount
    assert sum(s["amount"] for s in q["breakdown"]) == amount


def test_a_cap_that_cuts_shows_as_its_own_step(next_year):
    q = _quote(next_year, "1.1", {**AGENCY, "transaction_volume": 100_000_000})
    assert [s["amount"] for s in q["breakdown"]] == [100_000, 450_000, -50_000]
    assert q["breakdown"][-1]["step"] == "单个机构每年最高补助金额不超过50万元"


def test_the_column_engine_agrees_on_the_tiered_award_rows(next_year):
    rows = pl.DataFrame(
        {
            "tech_transfer_agency_in_nanning": [True, True, False, True, None],
            "transaction_volume": [10_000_001, 0, 5, None, 9],
        }
    )
    got = ColumnarGuide(next_year).screen(rows, ["1.1"])["1.1"].to_list()
    expected = [next_year.check("1.1", {k: v for k, v in r.items() if v is not None})["verdict"] for r in rows.to_dicts()]
    assert [VERDICT_CODES[c] for c in got] == expected == ["eligible", "not_eligible", "not_eligible", "incomplete", "incomplete"]


def test_the_yearly_cap_counts_this_years_earlier_claim(next_year):
    history = [{"direction": "nanning-2023/1.1", "year": 2023, "amount": 400_000}]
    q = _quote(next_year, "1.1", {**AGENCY, "transaction_volume": 20_000_000}, history)
    assert q["amount"] == 100_000


def test_the_cap_across_two_directions_cuts_the_second(next_year):
    history = [{"direction": "1.1", "year": 2023, "amount": 400_000}]
    q = _quote(next_year, "1.2", BRANCH, history)
    assert q["eligible"] is True
    assert q["amount"] == 100_000
    assert "cap_across_claims" in _codes(q)


def test_the_cap_across_two_directions_reached_exactly_pays_nothing_more(next_year):
    history = [{"direction": "1.1", "year": 2023, "amount": 500_000}]
    q = _quote(next_year, "1.2", BRANCH, history)
    assert q["amount"] == 0
    assert q["eligible"] is False


def test_the_cap_does_not_count_another_year(next_year):
    history = [{"direction": "1.1", "year": 2022, "amount": 500_000}]
    assert _quote(next_year, "1.2", BRANCH, history)["amount"] == 200_000


def test_a_2022_branch_subsidy_refuses_the_2023_one_time_subsidy(next_year):
    history = [{"direction": "nanning-2022/32.2", "year": 2022, "amount": 200_000}]
    q = _quote(next_year, "1.2", BRANCH, history)
    assert q["eligible"] is False
    assert "paid_once" in _codes(q)


def test_an_other_2022_award_does_not_refuse_the_branch_subsidy(next_year):
    history = [{"direction": "nanning-2022/32.1", "year": 2022, "amount": 500_000}]
    assert _quote(next_year, "1.2", BRANCH, history)["amount"] == 200_000


def test_a_2022_rd_award_excludes_this_years_claims(next_year):
    history = [{"direction": "nanning-2022/23.1", "year": 2022, "amount": 300_000}]
    for direction, facts in (("1.1", {**AGENCY, "transaction_volume": 10_000_000}), ("1.2", BRANCH)):
        q = _quote(next_year, direction, facts, history)
        assert q["eligible"] is False, direction
        assert q["amount"] == 0


# --------------------------------------------------------------------------- beside 2022, in the database


@pytest.fixture
def both_years(db, next_year):
    make_guide()  # 2022
    old_call = make_call(directions=["32.2"])
    v2023, _ = guide_store(actor=TEST, guide=next_year.guide)
    new_call = make_call(guide_version=v2023, directions=["1.1", "1.2"])
    org = make_org()
    return {"org": org, "user": make_user("applicant", organisation=org), "old": old_call, "new": new_call}


def _claim(setting, call, direction, facts, title):
    app = make_application(
        call=call, org=setting["org"], user=setting["user"], direction=direction, facts=facts, title=title, requested_amount=0
    )
    return apps.application_transition(actor=setting["user"], application=app, action="submit")[0]


def test_both_guides_stand_side_by_side(both_years):
    assert both_years["old"].guide_version.label == "2022"
    assert both_years["new"].guide_version.label == "2023"


def test_a_2022_branch_claim_in_yongke_refuses_the_2023_claim_at_submission(both_years):
    first = _claim(
        both_years, both_years["old"], "32.2", {"tech_transfer_branch_in_nanning": True, "branch_recognized": True}, "分支机构补助"
    )
    assert first.state == "claimed"
    second = make_application(
        call=both_years["new"],
        org=both_years["org"],
        user=both_years["user"],
        direction="1.2",
        facts=BRANCH,
        title="分支机构一次性补助",
        requested_amount=0,
    )
    with pytest.raises(Refused) as e:
        apps.application_transition(actor=both_years["user"], application=second, action="submit")
    assert e.value.code == "paid_once"
    assert f"申报 #{first.pk}" in e.value.message
    assert Application.objects.get(pk=second.pk).state == "draft"


def test_a_2023_claim_is_submitted_when_the_history_is_clean(both_years):
    app = _claim(both_years, both_years["new"], "1.1", {**AGENCY, "transaction_volume": 20_000_000}, "技术交易奖补")
    assert app.state == "claimed"
