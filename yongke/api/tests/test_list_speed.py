"""What keeps the list and the submission fast as the plan grows (bench/lists.py, bench/rush.py):
the list counts no further than a limit, and a submission reads neither the guide's spec and
text (a quarter of a megabyte of JSON) nor the facts twice."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from yongke.api.tests.test_applications import new_draft
from yongke.applications import services
from yongke.applications.models import Submission

A = "/api/v1"


def test_the_list_counts_up_to_its_limit_and_says_when_there_are_more(api, world, monkeypatch):
    for i in range(4):
        new_draft(api, world, title=f"计数项目{i}")
    mine = api.as_("applicant")
    exact = mine.get(f"{A}/applications?page_size=2").json()
    assert exact["count_exact"] is True
    total = exact["count"]
    assert total >= 4
    monkeypatch.setattr("yongke.api.applications.LIST_COUNT_LIMIT", 3)
    with CaptureQueriesContext(connection) as q:
        capped = mine.get(f"{A}/applications?page_size=2").json()
    assert (capped["count"], capped["count_exact"]) == (3, False)
    assert capped["next_cursor"] is not None  # the way on is the cursor, not the count
    counts = [x["sql"] for x in q.captured_queries if "COUNT(" in x["sql"].upper() and "applications_application" in x["sql"]]
    assert counts
    assert all("LIMIT 4" in sql for sql in counts)
    monkeypatch.setattr("yongke.api.applications.LIST_COUNT_LIMIT", total)
    assert mine.get(f"{A}/applications?page_size=2").json()["count_exact"] is True


def test_a_submission_reads_the_guide_without_its_spec_and_the_facts_once(api, world, monkeypatch):
    app = new_draft(api, world)
    real = services.application_facts
    calls: list[int] = []

    def counted(application, **kwargs):
        calls.append(application.pk)
        return real(application, **kwargs)

    monkeypatch.setattr(services, "application_facts", counted)
    with CaptureQueriesContext(connection) as q:
        response = api.as_("applicant").post(f"{A}/applications/{app['id']}/transitions", {"action": "submit"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "submitted"
    assert calls == [app["id"]]  # judged and recorded from one reading of the facts
    spec_reads = [x["sql"] for x in q.captured_queries if '"guide_guideversioncontent"' in x["sql"]]
    assert spec_reads == []
    submission = Submission.objects.get(application_id=app["id"])
    assert set(submission.facts) == set(real(submission.application))  # the facts the rules read, recorded
    assert submission.verdict["verdict"] == "eligible"
