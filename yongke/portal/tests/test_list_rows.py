"""The rows of the long lists (bench/lists.py): one SELECT of the columns a list shows, read as
ListedApplication rows that present exactly as the applications themselves; a count of the same
list that joins nothing; direction names without a query; the filters' and the menu's pieces
built once and escaped."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import clear_script_prefix, set_script_prefix
from django.utils import translation
from django.utils.text import Truncator

from yongke.api.applications import app_brief
from yongke.applications.models import Application
from yongke.applications.selectors import ListedApplication, applications_filtered, as_list
from yongke.core.keyset import Keyset, capped_count
from yongke.guide.models import GuideVersion
from yongke.portal import nav
from yongke.portal.templatetags.portal import _clip, _cut_mark, select_options
from yongke.portal.tests.test_keyset_pages import QUEUE, _recommended, _rows
from yongke.portal.views.common import direction_names


def test_a_listed_row_presents_as_the_application_itself(world):
    ids = _recommended(world, 3)
    Application.objects.filter(pk=ids[1]).update(decided_amount=123_000)  # the amount a list shows: the decided one
    rows = list(as_list(applications_filtered(world.officer)).filter(pk__in=ids).order_by("id"))
    models = list(Application.objects.filter(pk__in=ids).select_related("organisation", "call").order_by("id"))
    assert [type(r) for r in rows] == [ListedApplication] * 3
    for row, app in zip(rows, models, strict=True):
        assert app_brief(row, world.officer) == app_brief(app, world.officer)
        assert (row.pk, row.listed_amount, str(row.state_label), row.guide_version_id) == (
            app.pk,
            app.listed_amount,
            str(app.state_label),
            app.guide_version_id,
        )
        assert row.organisation.recommending_unit_name == app.organisation.recommending_unit_name != ""
        assert (row.guide_version.pk, row.guide_version.digest) == (app.guide_version_id, app.guide_version.digest)
    assert rows[1].listed_amount == 123_000
    keys = Keyset.of(as_list(Application.objects.all()).order_by("-created_at", "-id"))
    assert keys is not None
    assert keys.cursor(rows[0]) == keys.cursor(models[0])  # a cursor reads a row as it reads a model


def test_the_list_selects_its_columns_once_and_its_count_joins_nothing(world):
    _recommended(world, 2)
    qs = as_list(applications_filtered(world.officer)).order_by("-created_at", "-id")
    with CaptureQueriesContext(connection) as q:
        rows = list(qs[:10])
        capped_count(qs, 100)
    page, count = (x["sql"] for x in q.captured_queries)
    assert len(rows) == 2
    assert '"orgs_organisation"."name"' in page
    assert '"applications_call"."blind_review"' in page
    for heavy in ("facts", "verdict", "summary", "correction_reasons"):
        assert f'"applications_application"."{heavy}"' not in page
    assert '"guide_guideversioncontent"' not in page
    assert "JOIN" not in count.upper()  # the organisation and the call are joined for the page only


def test_direction_names_of_listed_rows_need_no_query_and_hide_a_draft(world):
    _recommended(world, 1)
    rows = list(as_list(Application.objects.all()))
    with CaptureQueriesContext(connection) as q:
        names = direction_names(world.officer, rows)
    assert q.captured_queries == []
    assert names[(rows[0].guide_version_id, "1.1")]
    GuideVersion.objects.filter(pk=rows[0].guide_version_id).update(status=GuideVersion.Status.DRAFT)
    drafted = list(as_list(Application.objects.all()))
    assert direction_names(world.officer, drafted) == {}  # a draft's names only to staff, as guide_versions_visible_to says
    world.sysadmin.is_staff = True
    assert direction_names(world.sysadmin, drafted)[(rows[0].guide_version_id, "1.1")] == names[(rows[0].guide_version_id, "1.1")]
    models = list(Application.objects.all())
    assert direction_names(world.officer, models) == {}  # the same rule on model instances (one query)


def test_the_queue_asks_no_version_for_its_direction_names(client, world):
    ids = _recommended(world, 2)
    client.force_login(world.officer)
    with CaptureQueriesContext(connection) as q:
        html = client.get(QUEUE).content.decode()
    assert _rows(html) == ids
    versions = [x["sql"] for x in q.captured_queries if 'FROM "guide_guideversion"' in x["sql"]]
    assert len(versions) == 1  # the current guide, for the programme filter; the rows carry their own
    name = direction_names(world.officer, list(as_list(Application.objects.filter(pk=ids[0]))))
    assert next(iter(name.values()))[:10] in html


def test_select_options_escape_and_mark_the_chosen_one():
    html = str(select_options([(1, "批次<一>"), (12, 'A&"B"')], "12"))
    assert html.startswith('<option value="">全部</option>')
    assert '<option value="1">批次&lt;一&gt;</option>' in html
    assert '<option value="12" selected>A&amp;&quot;B&quot;</option>' in html
    assert " selected" not in str(select_options([("450103", "青秀区")], None))
    assert str(select_options([('"><x', "x")], '"><x')).count("<x") == 0


def test_the_clipped_direction_name_is_truncators_in_either_language():
    texts = ["短", "一二三四五六七八九十一二三四", "一二三四五六七八九十一二三四五", "Energy storage and new materials"]
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for text in texts:
                assert _clip(text, 14, _cut_mark()) == Truncator(text).chars(14), (language, text)


def test_the_menu_follows_the_script_prefix():
    scope = nav.Scope(roles=frozenset({"officer"}), programmes=frozenset({"1"}))
    plain = {i["key"]: i["url"] for i in nav.menu(scope, nav.ROLE_NAV)}
    assert plain["officer_queues"] == "/officer/"
    try:
        set_script_prefix("/keji/")
        prefixed = {i["key"]: i["url"] for i in nav.menu(scope, nav.ROLE_NAV)}
    finally:
        clear_script_prefix()
    assert prefixed["officer_queues"] == "/keji/officer/"
    assert {i["key"]: i["url"] for i in nav.menu(scope, nav.ROLE_NAV)} == plain
