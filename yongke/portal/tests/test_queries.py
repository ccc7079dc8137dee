"""List pages cost a constant number of queries, whatever the number of rows (no N+1)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from yongke.accounts.models import RoleGrant
from yongke.applications import services
from yongke.testing import ELIGIBLE_1_1, make_application, make_org, make_person, make_user, review_by_panel

# (who, page, upper bound): the bound must hold for 30 rows exactly as for 4.
PAGES = [
    ("officer", "/officer/queue/?funding=pre&state=recommended", 10),
    ("officer", "/officer/queue/?funding=pre&state=funded", 10),
    ("officer", "/officer/", 6),
    ("recommender", "/recommend/", 11),
    ("applicant", "/my/applications/", 8),
    ("finance", "/finance/", 11),
    ("auditor", "/audit/", 7),
    ("officer", "/dashboard/", 13),
    (None, "/publicity/", 4),
    ("officer", "/officer/publicity.xlsx", 11),  # 3 (4 on PostgreSQL: the chain's advisory lock) the export.personal_data audit entry
]
# Each application goes this far; the mix fills every list above.
STEPS = ("submit", "submit recommend", "submit recommend accept start_review fund", "submit recommend accept start_review fund publish")


def _populate(world, n: int) -> None:
    """n applications over several organisations (half of them the applicant's own), so a
    missing select_related shows as one query per row."""
    for i in range(n):
        if i % 2:
            org, actor = world.org, world.applicant
        else:
            org = make_org(district="450103")
            actor = make_user("applicant", organisation=org)
        app = make_application(call=world.call, org=org, user=actor, facts=ELIGIBLE_1_1, leader=make_person(org))
        for action in STEPS[i % len(STEPS)].split():
            who = actor if action == "submit" else world.recommender if action == "recommend" else world.officer
            if action == "fund":
                review_by_panel(app)
            app, _ = services.application_transition(
                actor=who,
                application=app,
                action=action,
                amount=500_000 if action == "fund" else None,
                objection_days=5 if action == "publish" else None,
            )


def _counts(client, world) -> dict[str, int]:
    out = {}
    for who, url, _bound in PAGES:
        if who is None:
            client.logout()
        else:
            client.force_login(getattr(world, who))
        client.get(url)  # warm the per-process caches (the compiled guide)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        out[url] = len(ctx.captured_queries)
    return out


def test_list_pages_do_not_grow_with_rows(client, world):
    _populate(world, 4)
    few = _counts(client, world)
    _populate(world, 26)
    assert RoleGrant.objects.count() > 20
    many = _counts(client, world)
    assert many == few, {url: (few[url], many[url]) for url in few if few[url] != many[url]}
    for _who, url, bound in PAGES:
        assert many[url] <= bound, f"{url}: {many[url]} queries, at most {bound} expected"


def test_the_officer_queue_of_thirty_uses_a_constant_number_of_queries(client, world, django_assert_max_num_queries):
    _populate(world, 30)
    client.force_login(world.officer)
    client.get("/officer/queue/?funding=pre&state=recommended")
    with django_assert_max_num_queries(10):
        page = client.get("/officer/queue/?funding=pre&state=recommended")
    assert page.content.decode().count('data-app="') >= 7
