"""core.statements: a queryset compiled once and run with other values gives what the queryset
itself gives for them, with its annotations, on either database; the value is bound, not text."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Count, Value
from django.test.utils import CaptureQueriesContext

from yongke.core.statements import STAND_IN_ID, STAND_IN_TEXT, Statement

pytestmark = pytest.mark.django_db


def test_the_statement_gives_what_the_queryset_gives_for_each_value():
    a = User.objects.create_user("alpha", email="a@example.cn")
    b = User.objects.create_user("beta")
    by_id = Statement(lambda pk: User.objects.annotate(tag=Value("x"), n=Count("groups")).filter(pk=pk), STAND_IN_ID)
    for user in (a, b):
        got = by_id.first(user.pk)
        assert (got.pk, got.username, got.email, got.tag, got.n) == (user.pk, user.username, user.email, "x", 0)
    assert by_id.first(10**6) is None
    with CaptureQueriesContext(connection) as q:
        by_id.first(a.pk)
    assert len(q.captured_queries) == 1


def test_a_text_value_is_bound_not_spliced():
    User.objects.create_user("o'brien")
    by_name = Statement(lambda name: User.objects.filter(username=name), STAND_IN_TEXT)
    assert by_name.first("o'brien").username == "o'brien"
    assert by_name.first("x' OR '1'='1") is None
    assert by_name.rows("nobody") == []


def test_several_values_and_none():
    a = User.objects.create_user("alpha", email="a@example.cn")
    User.objects.create_user("alpha2", email="a@example.cn")
    both = Statement(lambda pk, email: User.objects.filter(pk=pk, email=email), STAND_IN_ID, STAND_IN_TEXT)
    assert both.first(a.pk, "a@example.cn").username == "alpha"
    assert both.first(a.pk, "b@example.cn") is None
    with pytest.raises(TypeError):
        both.first(a.pk)
    every = Statement(lambda: User.objects.order_by("username"))
    assert [u.username for u in every.rows()] == ["alpha", "alpha2"]


def test_a_queryset_that_does_not_use_each_value_once_is_refused():
    twice = Statement(lambda pk: User.objects.filter(pk=pk) | User.objects.filter(id=pk), STAND_IN_ID)
    with pytest.raises(ValueError, match="once"):
        twice.first(1)
    never = Statement(lambda pk: User.objects.all(), STAND_IN_ID)
    with pytest.raises(ValueError, match="once"):
        never.first(1)
