"""One error shape for everything: {"code", "message", "detail"} with a 4xx status, never a 5xx
or an HTML page for bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yongke.api.schemas import MAX_AMOUNT

A = "/api/v1"


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    assert body["message"]
    return body


def test_missing_field_is_a_400_naming_the_field(api, world):
    body = assert_error(
        api.as_("applicant").post(f"{A}/applications", {"call": world.call.pk, "direction": "1.1", "organisation": world.org.pk}),
        400,
        "bad_input",
    )
    assert body["detail"]["field"] == "title"
    assert body["detail"]["errors"][0]["location"] == "body"


def test_query_parameter_out_of_range_names_it(api):
    body = assert_error(api.as_("officer").get(f"{A}/applications?page_size=101"), 400, "bad_input")
    assert body["detail"]["field"] == "page_size"


def test_control_characters_are_refused_before_the_database(api):
    body = assert_error(api.as_("officer").get(f"{A}/organisations?q=a%00b"), 400, "bad_input")
    assert body["detail"]["field"] == "q"


def test_nul_inside_facts_is_refused(api, world):
    payload = {
        "call": world.call.pk,
        "direction": "1.1",
        "organisation": world.org.pk,
        "title": "x",
        "facts": {"kpi_new_revenue": "\x00"},
    }
    assert_error(api.as_("applicant").post(f"{A}/applications", payload), 400, "bad_input")


def test_id_beyond_64_bits_is_a_400(api):
    body = assert_error(api.as_("officer").get(f"{A}/applications/{2**70}"), 400, "bad_input")
    assert body["detail"]["field"] == "app_id"


def test_body_that_is_not_json_is_a_400(api, world):
    response = api.as_("applicant").client.post(
        f"{A}/applications", data="{not json", content_type="application/json", **world.headers("applicant")
    )
    assert_error(response, 400, "bad_input")


def test_unknown_endpoint_and_non_numeric_id_are_json_404s(api):
    assert_error(api.as_("officer").get(f"{A}/nothing-here"), 404, "not_found")
    assert_error(api.as_("officer").post(f"{A}/applications/abc/check"), 404, "not_found")


def test_unsupported_method_is_a_json_405(api):
    response = api.as_("officer").client.delete(f"{A}/applications")
    body = assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]
    assert "GET" in body["detail"]["allowed"]


def test_no_credentials_is_a_401_with_a_challenge(api):
    response = api.get(f"{A}/applications")
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_is_a_401(api, world):
    response = api.client.get(f"{A}/me", HTTP_AUTHORIZATION="Bearer yk_not-a-token")
    assert_error(response, 401, "unauthenticated")


def test_domain_errors_keep_their_code_and_status(api, world):
    applicant = api.as_("applicant")
    body = assert_error(applicant.post(f"{A}/applications/{world.draft_a.pk}/transitions", {"action": "fly"}), 400, "bad_input")
    assert body["detail"]["field"] == "action"
    body = assert_error(
        applicant.patch(f"{A}/applications/{world.submitted_a.pk}", {"lock_version": world.submitted_a.lock_version, "title": "改名"}),
        422,
        "not_editable",
    )
    assert body["detail"]["state"] == "submitted"
    assert_error(api.as_("officer").post(f"{A}/applications/{world.submitted_a.pk}/transitions", {"action": "return"}), 400, "bad_input")


def test_model_validation_in_a_service_becomes_a_400(api, world):
    from yongke.api.tests.conftest import fresh_id_number

    payload = {"name": "张三", "id_number": fresh_id_number(), "organisation": world.org.pk, "email": "not-an-address"}
    body = assert_error(api.as_("applicant").post(f"{A}/people", payload), 400, "bad_input")
    assert body["detail"]["field"] == "email"


def test_a_body_beyond_the_upload_limit_is_a_413(api, world):
    big = {"call": world.call.pk, "direction": "1.1", "organisation": world.org.pk, "title": "大", "summary": "字" * 1_000_000}
    assert_error(api.as_("applicant").post(f"{A}/applications", big), 413, "too_large")


def test_a_broken_multipart_body_is_a_400(api, world):
    response = api.as_("applicant").client.post(
        f"{A}/applications/{world.draft_a.pk}/attachments",
        data=b'--x\r\nContent-Disposition: form-data; name="kind"\r\n\r\nx',
        content_type="multipart/form-data; boundary=",
        **world.headers("applicant"),
    )
    assert_error(response, 400, "bad_input")


# --------------------------------------------------------------------------- strict numbers in bodies


def new_application(world, **changes):
    return {"call": world.call.pk, "direction": "1.1", "organisation": world.org.pk, "title": "严格类型", **changes}


@pytest.mark.parametrize("value", [True, "800000", 800_000.0, -1, 10**12 + 1])
def test_an_amount_must_be_whole_yuan_within_bounds(api, world, value):
    body = assert_error(api.as_("applicant").post(f"{A}/applications", new_application(world, requested_amount=value)), 400, "bad_input")
    assert body["detail"]["field"] == "requested_amount"


def test_an_amount_of_a_trillion_yuan_is_still_an_amount(api, world):
    r = api.as_("finance").post(f"{A}/awards/allocate", {"budget": 10**12, "claims": [{"id": "a", "amount": 10**12}]})
    assert r.status_code == 200, r.content
    body = assert_error(api.as_("finance").post(f"{A}/awards/allocate", {"budget": 10**12 + 1, "claims": []}), 400, "bad_input")
    assert body["detail"]["field"] == "budget"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget=st.integers(min_value=-(10**13), max_value=10**13))
def test_a_budget_is_accepted_exactly_from_0_to_a_trillion(api, world, budget):
    r = api.as_("finance").post(f"{A}/awards/allocate", {"budget": budget, "claims": []})
    assert r.status_code == (200 if 0 <= budget <= MAX_AMOUNT else 400)


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/awards/allocate", {"budget": 100, "claims": [{"id": "a", "amount": True}]}, "claims.0.amount"),
        ("/awards/allocate", {"budget": 100, "claims": [{"id": False, "amount": 1}]}, "claims.0.id"),
        ("/calls", {"name": "批次", "closes_at": "2030-05-31T17:00:00+08:00", "leader_limit": "2"}, "leader_limit"),
        ("/calls", {"name": "批次", "closes_at": "2030-05-31T17:00:00+08:00", "experts_per_application": 3.0}, "experts_per_application"),
        ("/calls", {"name": "批次", "closes_at": "2030-05-31T17:00:00+08:00", "blind_review": 1}, "blind_review"),
        ("/calls", {"name": "批次", "closes_at": "2030-05-31T17:00:00+08:00", "budgets": {"26": True}}, "budgets.26"),
        ("/organisations", {"uscc": "91450100MA5L00100X", "name": "x", "kind": "enterprise", "legal_person": "yes"}, "legal_person"),
        ("/awards/quote", {"direction": "26.1", "facts": {"points": 80}, "year": "2022"}, "year"),
    ],
)
def test_a_number_or_a_flag_of_the_wrong_json_type_is_refused_naming_it(api, path, payload, field):
    body = assert_error(api.as_("officer").post(f"{A}{path}", payload), 400, "bad_input")
    assert body["detail"]["field"] == field


def test_a_count_beyond_its_bound_is_refused_naming_it(api, world):
    body = assert_error(
        api.as_("officer").post(
            f"{A}/applications/{world.submitted_a.pk}/transitions", {"action": "return", "comment": "补正", "objection_days": 10**6 + 1}
        ),
        400,
        "bad_input",
    )
    assert body["detail"]["field"] == "objection_days"
    body = assert_error(
        api.as_("officer").post(
            f"{A}/applications/{world.submitted_a.pk}/transitions", {"action": "return", "comment": "补正", "lock_version": "3"}
        ),
        400,
        "bad_input",
    )
    assert body["detail"]["field"] == "lock_version"


@pytest.mark.parametrize("payload", [[], [None, None], 7, "text", None])
def test_a_body_that_is_not_an_object_is_refused(api, world, payload):
    response = api.as_("officer").client.patch(
        f"{A}/organisations/{world.other_org.pk}", data=json.dumps(payload), content_type="application/json", **world.headers("officer")
    )
    body = assert_error(response, 400, "bad_input")
    assert body["detail"]["field"] == "body"


def test_a_path_with_a_newline_is_a_json_404(api):
    assert_error(api.as_("officer").get(f"{A}/calls/%0A%07/claims"), 404, "not_found")
