"""An award's yes/no or enum fact left out of `requires` and not given: the lowest amount, and a
`to_verify` reason when another value would pay more (24.1: 5万 for the certification alone)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from yongke.awards import screen as sc
from yongke.awards.tests.conftest import make_uscc
from yongke.awards.tests.guides import award_of, edited
from yongke.cli.main import run
from yongke.core.errors import BadInput
from yongke.guide.problems import GuideError

ALL_THREE = ["facts.above_scale", "facts.first_time", "facts.rd_in_statistics"]


def _award_reasons(q, rule="24.1:award"):
    return [r for r in q["reasons"] if r["code"] == "to_verify" and r["rule"] == rule]


def test_the_certification_alone_is_quoted_50000_with_the_facts_that_could_raise_it(quote):
    q = quote("24.1", {"hte_certified": True})
    assert (q["eligible"], q["amount"]) == (True, 50_000)
    assert q["breakdown"] == [{"step": "其他获认定的高新技术企业", "amount": 50_000, "source": "对其他获认定的高新技术企业，给予5万元奖励"}]
    (reason,) = _award_reasons(q)
    assert reason["fields"] == ALL_THREE
    assert reason["amount_up_to"] == 100_000
    assert "100000" in reason["message"]


def test_the_certification_alone_through_the_cli_exits_0(tmp_path, capsys):
    path = tmp_path / "q.json"
    path.write_text(json.dumps({"direction": "24.1", "facts": {"hte_certified": True}}), encoding="utf-8")
    assert run(["award", "quote", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["amount"] == 50_000
    assert [r["fields"] for r in out["reasons"] if r["code"] == "to_verify"] == [ALL_THREE]


def test_the_facts_that_give_more_give_the_higher_amount(quote):
    q = quote("24.1", {"hte_certified": True, "above_scale": True, "first_time": True, "rd_in_statistics": True})
    assert q["amount"] == 100_000
    assert q["reasons"] == []


def test_only_the_facts_still_open_are_named(quote):
    q = quote("24.1", {"hte_certified": True, "above_scale": True, "first_time": True})
    assert q["amount"] == 50_000
    assert [r["fields"] for r in _award_reasons(q)] == [["facts.rd_in_statistics"]]


def test_a_first_time_enterprise_above_scale_whose_rd_is_not_counted_is_one_of_the_others(quote):
    q = quote("24.1", {"hte_certified": True, "above_scale": True, "first_time": True, "rd_in_statistics": False})
    assert q["amount"] == 50_000
    assert q["reasons"] == []


def test_nothing_to_verify_when_no_value_would_pay_more(quote):
    q = quote("24.1", {"hte_certified": True, "first_time": False})  # a re-certification: 5万 whatever the rest
    assert q["amount"] == 50_000
    assert q["reasons"] == []


def test_the_certification_is_still_required(quote):
    with pytest.raises(BadInput) as e:
        quote("24.1", {"above_scale": True, "first_time": True, "rd_in_statistics": True})
    assert e.value.detail["field"] == "facts.hte_certified"


def test_not_certified_is_not_eligible_whatever_else_is_open(quote):
    q = quote("24.1", {"hte_certified": False})
    assert (q["eligible"], q["amount"]) == (False, 0)


def test_screening_takes_the_lowest_amount_and_lists_the_award_to_verify(compiled):
    orgs = pl.DataFrame(
        {
            "name": ["甲", "乙", "丙"],
            "uscc": [make_uscc(1), make_uscc(2), make_uscc(3)],
            "hte_certified": [True, True, True],
            "above_scale": [None, True, True],
            "first_time": [None, True, False],
            "rd_in_statistics": [None, True, None],
        }
    )
    result = sc.awards_screen(compiled, sc.check_orgs(orgs, compiled), directions=["24.1"])
    rows = {r["name"]: (r["amount"], r["to_verify"]) for r in result.listed().iter_rows(named=True)}
    assert rows == {"甲": (50_000, ["24.1:award"]), "乙": (100_000, []), "丙": (50_000, [])}


def test_the_table_need_not_have_the_open_columns(compiled):
    orgs = pl.DataFrame({"name": ["甲"], "uscc": [make_uscc(1)], "hte_certified": [True]})
    result = sc.awards_screen(compiled, sc.check_orgs(orgs, compiled), directions=["24.1"])
    assert result.listed().select("amount", "to_verify").rows() == [(50_000, ["24.1:award"])]
    assert result.skipped == []


# ------------------------------------------------------------------ the rule is the guide's, for any award


@pytest.fixture(scope="module")
def contest_without_group():
    """25.1 edited so that its enum `group` (初创 6万 / 成长 16万 for a first prize) is not required."""
    return edited(lambda raw: award_of(raw, "25.1").update(requires=["prize"]))


def test_an_enum_left_out_of_requires_takes_its_value_paying_least(contest_without_group):
    from yongke.awards.quote import award_quote

    q = award_quote(contest_without_group, direction="25.1", facts={"prize": 1})
    assert q["amount"] == 60_000
    (reason,) = _award_reasons(q, "25.1:award")
    assert (reason["fields"], reason["amount_up_to"]) == (["facts.group"], 160_000)
    orgs = pl.DataFrame({"name": ["甲"], "uscc": [make_uscc(1)], "prize": [1]})
    result = sc.awards_screen(contest_without_group, sc.check_orgs(orgs, contest_without_group), directions=["25.1"])
    quoted = sorted(r["rule"] for r in q["reasons"] if r["code"] == "to_verify")  # with the gates left open
    assert [(a, sorted(v)) for a, v in result.listed().select("amount", "to_verify").rows()] == [(60_000, quoted)]
    assert "25.1:award" in quoted


def test_a_quantity_left_out_of_requires_is_refused_at_its_place():
    with pytest.raises(GuideError) as e:
        edited(lambda raw: award_of(raw, "25.1").update(requires=["group"]))
    (problem,) = e.value.detail["problems"]
    assert problem["path"].endswith(".requires")
    assert "prize" in problem["problem"]
