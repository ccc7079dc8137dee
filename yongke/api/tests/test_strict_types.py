"""Numbers and flags in a JSON body take their JSON type only, amounts are bounded, and the
services bound them again: "100" is not an amount, `true` is not one yuan, and 26 digits are a
400 naming the field — never a 500 from the database."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from yongke.api import main  # noqa: F401 - imports every router, so every input schema exists
from yongke.api.schemas import Input
from yongke.applications import services as app_services
from yongke.core.errors import BadInput
from yongke.core.money import MAX_AMOUNT

A = "/api/v1"
HUGE = 12345678901234567890123456  # 26 digits: the amount that gave an HTTP 500 with a traceback


def _inputs() -> list[type[BaseModel]]:
    out: list[type[BaseModel]] = []
    todo = [Input]
    while todo:
        for sub in todo.pop().__subclasses__():
            out.append(sub)
            todo.append(sub)
    return sorted(set(out), key=lambda c: f"{c.__module__}.{c.__name__}")


def _types(prop: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    if "$ref" in prop:
        prop = defs[prop["$ref"].rsplit("/", 1)[-1]]
    found = {prop["type"]} if "type" in prop else set()
    for alt in prop.get("anyOf", []) + prop.get("oneOf", []):
        found |= _types(alt, defs)
    return found


def _typed_fields() -> list[tuple[type[BaseModel], str, frozenset[str]]]:
    """(schema, field, JSON types) of every number or flag field of every body schema."""
    rows = []
    for model in _inputs():
        doc = model.model_json_schema()
        for name, prop in doc.get("properties", {}).items():
            types = _types(prop, doc.get("$defs", {})) - {"null"}
            if types and types <= {"integer", "number", "boolean"}:
                rows.append((model, name, frozenset(types)))
    return rows


TYPED = _typed_fields()


def _refused_at(model: type[BaseModel], field: str, value: Any) -> bool:
    try:
        model.model_validate({field: value})
    except ValidationError as e:
        return any(tuple(err["loc"][:1]) == (field,) for err in e.errors())
    return False


def test_the_walk_finds_the_amounts_and_flags_of_the_api():
    names = {(m.__name__, f) for m, f, _t in TYPED}
    assert {("AppIn", "requested_amount"), ("AppPatch", "self_raised_amount"), ("TransitionIn", "amount"), ("ClaimIn", "amount")} <= names
    assert ("CallIn", "blind_review") in names
    assert len(TYPED) > 30


@pytest.mark.parametrize(("model", "field", "types"), TYPED, ids=[f"{m.__name__}.{f}" for m, f, _t in TYPED])
def test_every_number_in_a_body_refuses_text_and_flags(model, field, types):
    if "boolean" in types:
        assert _refused_at(model, field, 1), f"{model.__name__}.{field} takes 1 for true"
        assert _refused_at(model, field, "true"), f"{model.__name__}.{field} takes the text 'true'"
    else:
        assert _refused_at(model, field, "100"), f"{model.__name__}.{field} takes the text '100' for 100"
        assert _refused_at(model, field, True), f"{model.__name__}.{field} takes true for 1"


# --------------------------------------------------------------------------- over HTTP: the error shape, the field named


def assert_refused(response, field: str) -> dict[str, Any]:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == "bad_input"
    assert body["detail"]["field"] == field
    assert field in body["message"]
    return body


def new_application(world, **changes):
    return {"call": world.call.pk, "direction": "1.1", "organisation": world.org.pk, "title": "严格类型", **changes}


@pytest.mark.parametrize("value", ["100", True, 100.5, HUGE, MAX_AMOUNT + 1, -1])
def test_creating_an_application_refuses_anything_but_whole_yuan(api, world, value):
    assert_refused(api.as_("applicant").post(f"{A}/applications", new_application(world, requested_amount=value)), "requested_amount")


@pytest.mark.parametrize("value", ["100", True, HUGE])
def test_editing_an_application_refuses_a_string_a_flag_and_26_digits(api, world, value):
    draft = world.draft_a
    response = api.as_("applicant").patch(f"{A}/applications/{draft.pk}", {"lock_version": draft.lock_version, "self_raised_amount": value})
    assert_refused(response, "self_raised_amount")
    draft.refresh_from_db()
    assert draft.self_raised_amount == 0  # nothing written


def test_a_decided_amount_of_26_digits_is_a_400(api, world):
    response = api.as_("officer").post(f"{A}/applications/{world.submitted_a.pk}/transitions", {"action": "accept", "amount": HUGE})
    assert_refused(response, "amount")


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/awards/allocate", {"budget": HUGE, "claims": []}, "budget"),
        ("/awards/allocate", {"budget": 100, "claims": [{"id": "a", "amount": HUGE}]}, "claims.0.amount"),
        ("/calls", {"name": "批次", "closes_at": "2030-05-31T17:00:00+08:00", "budgets": {"1": HUGE}}, "budgets.1"),
        ("/calls", {"name": "批次", "closes_at": "2030-05-31T17:00:00+08:00", "leader_limit": HUGE}, "leader_limit"),
    ],
)
def test_26_digits_anywhere_an_amount_or_a_count_goes_is_a_400(api, path, payload, field):
    assert_refused(api.as_("officer").post(f"{A}{path}", payload), field)


def test_a_26_digit_count_among_the_facts_is_a_400(api, world):
    draft = world.draft_a
    response = api.as_("applicant").patch(
        f"{A}/applications/{draft.pk}", {"lock_version": draft.lock_version, "facts": {"kpi_invention_patent_applications": HUGE}}
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["detail"]["field"].startswith("facts")


def test_a_trillion_yuan_is_still_accepted(api, world):
    response = api.as_("applicant").post(f"{A}/applications", new_application(world, title="上限", requested_amount=MAX_AMOUNT))
    assert response.status_code == 201, response.content[:300]
    assert response.json()["requested_amount"] == MAX_AMOUNT


# --------------------------------------------------------------------------- the services are the gate


def test_the_service_refuses_an_amount_beyond_a_trillion_from_any_face(world):
    with pytest.raises(BadInput) as refused:
        app_services.application_create(
            actor=world.applicant, call=world.call, direction="1.1", organisation=world.org, title="直接调用", requested_amount=HUGE
        )
    assert refused.value.detail["field"] == "requested_amount"
    with pytest.raises(BadInput) as refused:
        app_services.application_update(
            actor=world.applicant,
            application=world.draft_a,
            lock_version=world.draft_a.lock_version,
            changes={"self_raised_amount": 10**13},
        )
    assert refused.value.detail["field"] == "self_raised_amount"


def test_the_service_refuses_a_flag_for_an_amount(world):
    with pytest.raises(BadInput) as refused:
        app_services.application_create(
            actor=world.applicant, call=world.call, direction="1.1", organisation=world.org, title="布尔值", requested_amount=True
        )
    assert refused.value.detail["field"] == "requested_amount"
