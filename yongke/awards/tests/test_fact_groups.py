"""Facts given as one list (the guide's `fact_groups`): 28.1's premiums, through the CLI and in
screening, read from the guide's declaration, so a guide that renames them needs no code."""

from __future__ import annotations

import json

import polars as pl
import pytest

from yongke.awards import screen as sc
from yongke.awards.quote import award_quote
from yongke.awards.tests.conftest import make_uscc
from yongke.awards.tests.guides import edited, edited_raw, write_guide
from yongke.cli.main import run
from yongke.core.errors import BadInput
from yongke.guide.problems import GuideError

# 28.1 with its premium facts, the group and the item's fields renamed: nothing of the old names left.
RENAMED = {"premium_": "cover_", '"premiums"': '"policies"', '"key_field": "kind"': '"key_field": "type"'}
RENAMED_VALUE = {'"value_field": "amount"': '"value_field": "yuan"'}


@pytest.fixture
def cli(tmp_path, capsys):
    def _run(request, *extra):
        path = tmp_path / "request.json"
        path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
        code = run(["award", "quote", str(path), *extra])
        out, err = capsys.readouterr()
        return code, (json.loads(out) if out.strip() else None), err

    return _run


def test_premiums_through_the_cli_add_each_kind_times_its_rate(cli):
    premiums = [{"kind": "patent", "amount": 100_000}, {"kind": "property", "amount": 100_000}, {"kind": "patent", "amount": 10_000}]
    code, out, _ = cli({"direction": "28.1", "facts": {"premiums": premiums}})
    assert code == 0
    assert out["amount"] == 110_000 * 70 // 100 + 100_000 * 30 // 100
    assert [s["amount"] for s in out["breakdown"]] == [77_000, 30_000]


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"premiums": {"kind": "patent"}}, "facts.premiums"),
        ({"premiums": ["patent"]}, "facts.premiums[0]"),
        ({"premiums": [{"kind": "patent", "amount": 1, "note": "x"}]}, "facts.premiums[0].note"),
        ({"premiums": [{"kind": "patent", "amount": 1.5}]}, "facts.premiums[0].amount"),
        ({"premiums": [{"kind": "patent", "amount": 1}], "premium_patent": 1}, "facts.premium_patent"),
    ],
)
def test_premium_errors_name_the_item_through_the_cli(cli, facts, field):
    code, out, err = cli({"direction": "28.1", "facts": facts})
    assert (code, out) == (2, None)
    assert f"{field}:" in err


def test_one_premium_given_as_a_fact_makes_the_other_kinds_0(quote):
    q = quote("28.1", {"premium_property": 100_000})
    assert (q["eligible"], q["amount"]) == (True, 30_000)


@pytest.fixture(scope="module")
def renamed():
    return edited(replace={**RENAMED, **RENAMED_VALUE})


def test_a_renamed_group_quotes_with_no_code_change(renamed):
    q = award_quote(renamed, direction="28.1", facts={"policies": [{"type": "patent", "yuan": 100_000}]})
    assert (q["eligible"], q["amount"]) == (True, 70_000)
    with pytest.raises(BadInput) as e:
        award_quote(renamed, direction="28.1", facts={"premiums": [{"kind": "patent", "amount": 100_000}]})
    assert e.value.detail["field"] == "facts.premiums"  # the old name is no longer the guide's
    with pytest.raises(BadInput) as e:
        award_quote(renamed, direction="28.1", facts={"policies": [{"type": "car", "yuan": 1}]})
    assert e.value.detail["field"] == "facts.policies[0].type"
    with pytest.raises(BadInput) as e:
        award_quote(renamed, direction="28.1", facts={})
    assert e.value.detail["field"] == "facts.policies"


def test_a_renamed_group_through_the_cli_with_the_edited_guide_file(cli, tmp_path):
    raw, text = edited_raw(replace={**RENAMED, **RENAMED_VALUE})
    guide = write_guide(tmp_path, raw, text)
    code, out, _ = cli({"direction": "28.1", "facts": {"policies": [{"type": "property", "yuan": 100_000}]}}, "--guide", str(guide))
    assert (code, out["amount"]) == (0, 30_000)


def test_a_renamed_group_screens_with_its_other_facts_0(renamed):
    orgs = pl.DataFrame({"name": ["甲", "乙"], "uscc": [make_uscc(1), make_uscc(2)], "cover_patent": [100_000, None]})
    result = sc.awards_screen(renamed, sc.check_orgs(orgs, renamed), directions=["28.1"])
    assert result.listed().select("name", "amount").rows() == [("甲", 70_000)]
    assert result.skipped == []


def test_without_others_zero_the_facts_not_listed_stay_missing():
    def missing(raw):
        raw["fact_groups"]["premiums"]["others"] = "missing"

    guide = edited(missing)
    with pytest.raises(BadInput) as e:
        award_quote(guide, direction="28.1", facts={"premiums": [{"kind": "patent", "amount": 100_000}]})
    assert (e.value.code, e.value.detail["field"]) == ("missing_fact", "facts.premiums")


def _problems(edit) -> list[dict]:
    with pytest.raises(GuideError) as e:
        edited(edit)
    return e.value.detail["problems"]


def test_a_group_naming_an_undeclared_fact_is_refused_at_its_place():
    problems = _problems(lambda raw: raw["fact_groups"]["premiums"]["facts"][1].update(fact="premium_rd"))
    assert [(p["path"], "premium_rd" in p["problem"]) for p in problems] == [("fact_groups.premiums.facts[1].fact", True)]


def test_a_duplicate_key_in_a_group_is_refused_at_its_place():
    problems = _problems(lambda raw: raw["fact_groups"]["premiums"]["facts"][2].update(key="patent"))
    assert [(p["path"], "patent" in p["problem"]) for p in problems] == [("fact_groups.premiums.facts[2].key", True)]


def test_a_group_of_yes_no_facts_is_refused():
    problems = _problems(lambda raw: raw["fact_groups"]["premiums"]["facts"].append({"key": "x", "fact": "hte_certified"}))
    assert [p["path"] for p in problems] == ["fact_groups.premiums.facts[11].fact"]


def test_a_fact_in_two_groups_is_refused():
    def twice(raw):
        raw["fact_groups"]["more"] = {"key_field": "kind", "value_field": "amount", "facts": [{"key": "p", "fact": "premium_patent"}]}

    problems = _problems(twice)
    assert [p["path"] for p in problems] == ["fact_groups.more.facts[0].fact"]
    assert "premiums" in problems[0]["problem"]


def test_a_group_named_like_a_fact_is_refused():
    def clash(raw):
        raw["fact_groups"]["title"] = raw["fact_groups"].pop("premiums")

    assert [p["path"] for p in _problems(clash)] == ["fact_groups.title"]
