"""A JSON body is judged as written: a number with more digits than a float holds is not rounded
into a pass, and a key given twice is refused naming it (the CLI reads files the same way)."""

from __future__ import annotations

from yongke import testing as t
from yongke.api.tests.test_applications import new_draft

A = "/api/v1"


def _patch(api, app, body: str):
    return api.as_("applicant").client.patch(
        f"{A}/applications/{app['id']}", data=body, content_type="application/json", **api.world.headers("applicant")
    )


def test_a_revenue_just_below_the_threshold_written_with_many_digits_is_not_a_whole_number(api, world):
    app = new_draft(api, world)
    body = f'{{"lock_version": {app["lock_version"]}, "facts": {{"kpi_new_revenue": 49999999.999999999}}}}'
    response = _patch(api, app, body)
    assert response.status_code in (400, 422), response.content
    assert "kpi_new_revenue" in response.json()["message"]
    assert api.as_("applicant").get(f"{A}/applications/{app['id']}").json()["facts"]["kpi_new_revenue"] == t.ELIGIBLE_1_1["kpi_new_revenue"]


def test_a_whole_number_written_with_a_fraction_of_zero_is_accepted(api, world):
    app = new_draft(api, world)
    response = _patch(api, app, f'{{"lock_version": {app["lock_version"]}, "facts": {{"kpi_new_revenue": 60000000.0}}}}')
    assert response.status_code == 200, response.content
    assert response.json()["facts"]["kpi_new_revenue"] == 60_000_000


def test_a_key_given_twice_is_refused_naming_it(api, world):
    app = new_draft(api, world)
    body = f'{{"lock_version": {app["lock_version"]}, "title": "甲", "title": "乙"}}'
    response = _patch(api, app, body)
    assert response.status_code in (400, 422), response.content
    assert response.json()["detail"]["field"] == "title"
    assert api.as_("applicant").get(f"{A}/applications/{app['id']}").json()["title"] == app["title"]
