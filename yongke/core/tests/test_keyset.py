"""Keyset pages agree with the ordering they walk, NULLs last included, forwards and back."""

from __future__ import annotations

import pytest
from django.db.models import F

from yongke.applications.models import Application
from yongke.applications.services import application_transition
from yongke.core.errors import BadInput
from yongke.core.keyset import Keyset
from yongke.testing import ELIGIBLE_1_1, build_world, make_application, make_person


@pytest.fixture
def world(db):
    return build_world()


def _walk(keys: Keyset, qs, size: int) -> tuple[list[int], list[int]]:
    forward, page = [], list(qs[:size])
    while page:
        forward += [a.pk for a in page]
        page = list(keys.after(qs, keys.cursor(page[-1]))[:size])
    back: list[int] = []
    page = list(qs)[-size:]
    while page:
        back = [a.pk for a in page] + back
        page = list(keys.before(qs, keys.cursor(page[0]))[:size])[::-1]
    return forward, back


@pytest.mark.parametrize(
    "ordering",
    [
        (F("submitted_at").asc(nulls_last=True), "id"),
        (F("submitted_at").desc(nulls_last=True), "-id"),
        ("-created_at", "-id"),
        ("state", "-updated_at", "id"),
    ],
)
def test_every_row_once_in_order_with_nulls_last(world, ordering):
    for i in range(7):
        app = make_application(call=world.call, org=world.org, user=world.applicant, facts=ELIGIBLE_1_1, leader=make_person(world.org))
        if i % 3:  # a third stay drafts, never submitted (submitted_at NULL)
            application_transition(actor=world.applicant, application=app, action="submit")
    qs = Application.objects.order_by(*ordering)
    keys = Keyset.of(qs)
    assert keys is not None
    expected = [a.pk for a in qs]
    assert any(a.submitted_at is None for a in qs)
    for size in (1, 2, 3, 50):
        forward, back = _walk(keys, qs, size)
        assert forward == expected
        assert back == expected


def test_orderings_a_keyset_cannot_walk_are_refused():
    assert Keyset.of(Application.objects.order_by("submitted_at", "id")) is None  # NULLs placed by the database
    assert Keyset.of(Application.objects.order_by("-created_at")) is None  # no unique column last
    assert Keyset.of(Application.objects.order_by("organisation__name", "id")) is None  # a join
    assert Keyset.of(Application.objects.all()) is None  # the model's default ordering is not asked for
    assert Keyset.of([1, 2]) is None


def test_a_cursor_of_another_ordering_is_bad_input():
    a = Keyset.of(Application.objects.order_by("-created_at", "-id"))
    b = Keyset.of(Application.objects.order_by("state", "-updated_at", "id"))
    assert a is not None
    assert b is not None
    with pytest.raises(BadInput):
        b.after(Application.objects.order_by("state", "-updated_at", "id"), "WzEsMl0")  # [1,2]: too short, not a state
