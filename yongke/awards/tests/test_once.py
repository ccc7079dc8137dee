"""One-time awards (一次性): the guide's `once` declarations refuse a second payment of the same
thing in a quote, at submission, at the officer's check, in an allocation, through the CLI and
the API — and still pay a different thing."""

from __future__ import annotations

import json

import pytest

from yongke.applications import services as apps
from yongke.applications.models import Application
from yongke.awards import services
from yongke.cli.main import run
from yongke.core.errors import Refused
from yongke.testing import make_application, make_call, make_guide, make_org, make_user

# The five one-time awards of the 2022 guide: facts of one thing, and a change making it another.
ONE_TIME = {
    "25.1": ({"group": "growth", "prize": 1}, {"prize": 2}),
    "30.1": (
        {"platform_level": "national", "recognized_on": "2022-01-01", "content": "新型电力储能技术研发"},
        {"platform_level": "region_key_lab"},
    ),
    "32.2": ({"branch_recognized": True}, None),
    "33.1": ({"carrier": "incubator", "level": "national", "public_funded": False}, {"level": "region"}),
    "34.1": ({"level": "national"}, {"level": "region"}),
}
# A platform's earlier award is recorded with its level and construction content (the history's own fields).
ENTRY_30_1 = {"level": "national", "content": "新型电力储能技术研发"}


def _entry(direction: str, facts: dict, **more) -> dict:
    fields = ENTRY_30_1 if direction == "30.1" and facts.get("platform_level") == "national" else {"facts": facts}
    return {"direction": direction, "year": 2022, **fields, **more}


def _codes(q) -> list[str]:
    return [r["code"] for r in q["reasons"]]


@pytest.mark.parametrize("direction", sorted(ONE_TIME))
def test_a_first_one_time_award_is_paid(quote, direction):
    q = quote(direction, ONE_TIME[direction][0], history=[])
    assert q["eligible"] is True
    assert q["amount"] > 0


@pytest.mark.parametrize("direction", sorted(ONE_TIME))
def test_a_second_payment_of_the_same_thing_is_refused(quote, direction):
    facts = ONE_TIME[direction][0]
    q = quote(direction, facts, history=[_entry(direction, facts, amount=100_000)])
    assert q["eligible"] is False
    assert q["amount"] == 0
    paid_once = next(r for r in q["reasons"] if r["code"] == "paid_once")
    assert paid_once["history"] == [0]
    assert "一次性" in paid_once["source"]


@pytest.mark.parametrize("direction", sorted(ONE_TIME))
def test_a_claim_still_pending_refuses_another_claim_of_the_same_thing(quote, direction):
    facts = ONE_TIME[direction][0]
    q = quote(direction, facts, history=[_entry(direction, facts, pending=True)])
    assert "paid_once" in _codes(q)


@pytest.mark.parametrize("direction", sorted(d for d, (_, other) in ONE_TIME.items() if other))
def test_a_different_thing_is_still_paid(quote, direction):
    facts, change = ONE_TIME[direction]
    q = quote(direction, {**facts, **change}, history=[_entry(direction, facts, amount=100_000)])
    assert q["eligible"] is True
    assert "paid_once" not in _codes(q)


def test_a_platform_paid_in_an_earlier_year_is_not_paid_again(quote):
    facts = ONE_TIME["30.1"][0]
    q = quote("30.1", facts, history=[{"direction": "30.1", "year": 2019, "level": "national", "content": facts["content"]}])
    assert "paid_once" in _codes(q)


def test_a_contest_prize_of_an_earlier_year_does_not_count_against_this_years(quote):
    facts = ONE_TIME["25.1"][0]
    q = quote("25.1", facts, history=[{"direction": "25.1", "year": 2021, "facts": facts}])
    assert q["eligible"] is True


def test_an_earlier_platform_award_whose_content_is_unknown_is_left_to_the_officer(quote):
    facts = ONE_TIME["30.1"][0]
    q = quote("30.1", facts, history=[{"direction": "30.1", "year": 2021, "level": "national"}])
    assert q["eligible"] is True
    note = next(r for r in q["reasons"] if r["code"] == "to_verify" and r.get("rule") == "30.1:award")
    assert note["fields"] == ["facts.content"]


def test_an_entry_of_another_guide_year_is_named_by_its_stable_id(quote):
    q = quote("34.1", {"level": "national"}, history=[{"direction": "nanning-2021/34.1", "year": 2021, "amount": 200_000}])
    assert q["eligible"] is True  # the 2022 guide's own one-time rule names its own direction only


def test_a_direction_of_this_guide_that_does_not_exist_is_refused(quote):
    from yongke.core.errors import BadInput

    with pytest.raises(BadInput) as e:
        quote("34.1", {"level": "national"}, history=[{"direction": "nanning-2022/99.9", "year": 2022}])
    assert e.value.detail["field"] == "history[0].direction"


# --------------------------------------------------------------------------- in the lifecycle

TITLE_25 = "（第七届南宁市创新创业大赛获奖企业后补助）"


@pytest.fixture
def setting(db):
    make_guide()
    org = make_org()
    return {
        "org": org,
        "user": make_user("applicant", organisation=org),
        "officer": make_user("officer", programme="*"),
        "call": make_call(directions=["25.1", "34.1"], budgets={"34.1": 1_000_000}),
    }


def _claim(setting, direction: str, facts: dict, title: str) -> Application:
    app = make_application(
        call=setting["call"], org=setting["org"], user=setting["user"], direction=direction, facts=facts, title=title, requested_amount=0
    )
    app, _ = apps.application_transition(actor=setting["user"], application=app, action="submit")
    return app


PRIZE = {"group": "growth", "prize": 1, "prize_won_this_year": True}


def test_a_second_claim_of_one_prize_under_another_title_is_refused_at_submission(setting):
    first = _claim(setting, "25.1", PRIZE, f"智能巡检机器人研发{TITLE_25}")
    second = make_application(
        call=setting["call"],
        org=setting["org"],
        user=setting["user"],
        direction="25.1",
        facts=PRIZE,
        title=f"巡检机器人产业化{TITLE_25}",
        requested_amount=0,
    )
    with pytest.raises(Refused) as e:
        apps.application_transition(actor=setting["user"], application=second, action="submit")
    assert e.value.code == "paid_once"
    assert f"申报 #{first.pk}" in e.value.message
    second.refresh_from_db()
    assert second.state == "draft"


def test_a_claim_of_another_prize_is_submitted(setting):
    _claim(setting, "25.1", PRIZE, f"智能巡检机器人研发{TITLE_25}")
    other = _claim(setting, "25.1", {**PRIZE, "prize": 3}, f"农业无人机研发{TITLE_25}")
    assert other.state == "claimed"


def test_the_officer_cannot_check_a_one_time_claim_already_paid(setting):
    first = _claim(setting, "34.1", {"level": "national", "star_innovation_space_enterprise": True}, "星创天地后补助")
    first, _ = services.claim_check(actor=setting["officer"], application=first)
    assert first.state == "checked"
    # A second claim that slipped in before the rule (data from an earlier system) is refused at the check.
    twin = make_application(
        call=setting["call"],
        org=setting["org"],
        user=setting["user"],
        direction="34.1",
        facts={"level": "national", "star_innovation_space_enterprise": True},
        title="星创天地补助",
        requested_amount=0,
    )
    Application.objects.filter(pk=twin.pk).update(state="claimed")
    twin.refresh_from_db()
    twin, quote = services.claim_check(actor=setting["officer"], application=twin)
    assert twin.state == "refused"
    assert "paid_once" in _codes(quote)


def test_an_allocation_refuses_two_claims_that_cannot_both_be_paid(setting):
    first = _claim(setting, "34.1", {"level": "national", "star_innovation_space_enterprise": True}, "星创天地后补助")
    first, _ = services.claim_check(actor=setting["officer"], application=first)
    twin = make_application(
        call=setting["call"],
        org=setting["org"],
        user=setting["user"],
        direction="34.1",
        facts={"level": "national", "star_innovation_space_enterprise": True},
        title="星创天地补助",
        requested_amount=0,
    )
    Application.objects.filter(pk=twin.pk).update(state="checked", decided_amount=200_000)
    with pytest.raises(Refused) as e:
        services.claims_allocate(actor=setting["officer"], call=setting["call"], direction="34.1")
    assert e.value.code == "paid_once"
    assert e.value.detail["applications"] == [first.pk, twin.pk]
    assert Application.objects.get(pk=first.pk).decided_amount == 200_000


# --------------------------------------------------------------------------- the faces


def test_the_cli_quote_refuses_a_second_one_time_award(tmp_path, capsys):
    body = {
        "direction": "34.1",
        "facts": {"level": "national"},
        "history": [{"direction": "34.1", "year": 2022, "facts": {"level": "national"}}],
    }
    path = tmp_path / "q.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    code = run(["award", "quote", str(path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert "paid_once" in _codes(out)


def test_the_api_quote_refuses_a_second_one_time_award(client, db):
    make_guide()
    body = {
        "direction": "34.1",
        "facts": {"level": "national"},
        "history": [{"direction": "34.1", "year": 2022, "facts": {"level": "national"}}],
    }
    response = client.post("/api/v1/awards/quote", data=body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["eligible"] is False
    assert "paid_once" in _codes(response.json())


def test_an_earlier_platform_award_written_with_the_claims_own_fact_names_is_the_same_platform(quote):
    facts = ONE_TIME["30.1"][0]
    entry = {"direction": "30.1", "year": 2022, "facts": {"platform_level": "national", "content": facts["content"]}}
    q = quote("30.1", facts, history=[entry])
    assert (q["eligible"], q["amount"]) == (False, 0)
    assert "paid_once" in _codes(q)


def test_an_earlier_award_of_another_level_written_with_the_claims_names_is_another_platform(quote):
    facts = ONE_TIME["30.1"][0]
    entry = {"direction": "30.1", "year": 2022, "facts": {"platform_level": "region_key_lab", "content": facts["content"]}}
    q = quote("30.1", facts, history=[entry])
    assert q["eligible"] is True
    assert "paid_once" not in _codes(q)
