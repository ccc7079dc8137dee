"""`make run` loads the demo: it must load on a fresh database, every state of both
workflows present, the review round made with the demo expert invited — and load again."""

from __future__ import annotations

import json

import pytest

from yongke.applications.models import Application
from yongke.cli.main import run


@pytest.mark.django_db(transaction=True)
def test_the_demo_loads_on_a_fresh_database_and_again(capsys):
    assert run(["demo"]) == 0, capsys.readouterr().err
    first = json.loads(capsys.readouterr().out)
    assert first["applications_created"] >= 15
    states = set(Application.objects.values_list("state", flat=True))
    assert {"draft", "submitted", "expert_review", "funded", "published", "claimed", "paid"} <= states

    from yongke.review.models import ReviewAssignment

    assert ReviewAssignment.objects.filter(expert__user__username="expert").exists()

    assert run(["demo"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["applications_created"] == 0
    assert again["applications"] == first["applications"]
