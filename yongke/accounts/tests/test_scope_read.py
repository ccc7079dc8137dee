"""The scope of the request's user is read in the query that reads the user, a statement compiled
once per process (core.statements): the session's user (accounts.backends.ScopedModelBackend) and
a bearer token's (accounts.selectors.user_for_token) come with their role grants, so no page or API call
asks for the grants again. The scope so read is the one `scope_of` reads from the grants."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yongke.accounts.backends import ScopedModelBackend
from yongke.accounts.models import RoleGrant
from yongke.accounts.selectors import scope_of, user_for_token
from yongke.accounts.services import token_create
from yongke.testing import TEST, make_org, make_user

pytestmark = pytest.mark.django_db


def _fresh_scope(user: User):
    """The scope as read from the grants, on an instance that has none kept."""
    return scope_of(User.objects.get(pk=user.pk))


@pytest.fixture
def people():
    """Users with every kind of scope: several organisations, a unit, programmes, none at all."""
    a, b = make_org(), make_org()
    admin = make_user("org_admin", organisation=a)
    RoleGrant.objects.create(user=admin, role="applicant", organisation=b)
    recommender = make_user("recommender", unit="450103")
    officer = make_user("officer", programme="1")
    RoleGrant.objects.create(user=officer, role="officer", programme="3")
    everywhere = make_user("officer", programme="*")
    nobody = User.objects.create_user("nobody", password="x" * 12)
    return [admin, recommender, officer, everywhere, nobody, make_user("expert"), make_user("finance")]


def test_the_sessions_user_comes_with_the_scope_its_grants_give(people, django_assert_num_queries):
    for person in people:
        with django_assert_num_queries(1):
            user = ScopedModelBackend().get_user(person.pk)
            scope = scope_of(user)
        assert scope == _fresh_scope(person), person.username
    admin = people[0]
    assert scope_of(ScopedModelBackend().get_user(admin.pk)).organisations == {g.organisation_id for g in admin.role_grants.all()}
    assert scope_of(ScopedModelBackend().get_user(people[2].pk)).programmes == {"1", "3"}
    assert scope_of(ScopedModelBackend().get_user(people[4].pk)).roles == frozenset()


def test_a_disabled_or_unknown_account_has_no_session_user(people):
    people[1].is_active = False
    people[1].save()
    assert ScopedModelBackend().get_user(people[1].pk) is None
    assert ScopedModelBackend().get_user(999_999) is None


def test_a_tokens_user_comes_with_its_scope(people):
    for person in people:
        key = token_create(actor=TEST, user=person, name="脚本")
        user_for_token(key)  # its first use is recorded (and audited); the next ones are reads only
        with CaptureQueriesContext(connection) as q:
            user = user_for_token(key)
            scope = scope_of(user)
        assert len(q.captured_queries) == 2  # the token, then its user with the grants
        assert _grant_reads(q.captured_queries) == []
        assert scope == _fresh_scope(person), person.username


def test_a_role_granted_since_is_in_the_next_requests_scope(people):
    officer = people[2]
    key = token_create(actor=TEST, user=officer, name="脚本")
    assert "5" not in scope_of(user_for_token(key)).programmes
    RoleGrant.objects.create(user=officer, role="officer", programme="5")
    assert "5" in scope_of(user_for_token(key)).programmes
    assert "5" in scope_of(ScopedModelBackend().get_user(officer.pk)).programmes


def _grant_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "accounts_rolegrant"' in q["sql"] and "_yongke_grants" not in q["sql"]]


def test_no_page_or_api_call_reads_the_grants_on_its_own(people):
    officer = people[3]
    key = token_create(actor=TEST, user=officer, name="脚本")
    api = Client()
    api.get("/api/v1/applications", HTTP_AUTHORIZATION=f"Bearer {key}")
    with CaptureQueriesContext(connection) as q:
        assert api.get("/api/v1/applications", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert _grant_reads(q.captured_queries) == []
    applicant = people[0]
    portal = Client()
    portal.force_login(applicant, backend=settings.AUTHENTICATION_BACKENDS[-1])  # the password backend
    with CaptureQueriesContext(connection) as q:
        assert portal.get("/my/applications/").status_code == 200
    assert _grant_reads(q.captured_queries) == []


def test_a_session_whose_id_is_no_id_has_no_user():
    assert ScopedModelBackend().get_user("not-a-number") is None


def test_a_revoked_or_unknown_token_is_refused_as_before(people):
    from yongke.accounts.services import token_revoke
    from yongke.accounts.tokens import TokenRefused

    assert user_for_token("never-issued") is None
    key = token_create(actor=TEST, user=people[0], name="脚本")
    token_revoke(actor=people[0], token=people[0].api_tokens.get())
    with pytest.raises(TokenRefused):
        user_for_token(key)
