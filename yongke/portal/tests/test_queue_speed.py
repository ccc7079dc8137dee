"""What keeps the officer's queue and the submission page fast (bench/lists.py): the queue reads
neither the guide version's content nor the applications' facts and verdict, counts no further than
its limit, and the submission's summary reads the facts once, not once per fact shown."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from yongke.applications import services
from yongke.portal.tests.conftest import an_application
from yongke.portal.tests.test_keyset_pages import QUEUE, _link, _recommended, _rows


def _sql(q) -> list[str]:
    return [x["sql"] for x in q.captured_queries]


def test_the_queue_reads_neither_the_guide_spec_nor_the_facts(client, world):
    ids = _recommended(world, 2)
    client.force_login(world.officer)
    with CaptureQueriesContext(connection) as q:
        html = client.get(QUEUE).content.decode()
    assert _rows(html) == ids
    sql = _sql(q)
    assert not [s for s in sql if '"guide_guideversioncontent"' in s]  # the guide's content: compiled once per process
    rows = [s for s in sql if s.startswith('SELECT "applications_application"."id"')]
    assert rows
    assert not [s for s in rows if '"applications_application"."facts"' in s or '"applications_application"."verdict"' in s]
    assert "1.1" in html  # the direction, and its name from the compiled guide, still shown


def test_the_queue_counts_up_to_its_limit_and_walks_on_by_cursor(client, world, monkeypatch):
    monkeypatch.setattr("yongke.portal.views.common.paginate.__defaults__", (2,))  # two rows a page
    ids = _recommended(world, 5)
    client.force_login(world.officer)
    monkeypatch.setattr("yongke.portal.views.queues.QUEUE_COUNT_LIMIT", 3)
    with CaptureQueriesContext(connection) as q:
        html = client.get(QUEUE).content.decode()
    assert "（3 多）" in html
    assert "第 1 页，共 3 多项" in html
    counts = [s for s in _sql(q) if "COUNT(" in s.upper() and "applications_application" in s]
    assert counts
    assert all("LIMIT 4" in s for s in counts)
    seen = _rows(html)
    while (nxt := _link(html, "下一页")) is not None:
        html = client.get(f"/officer/queue/?{nxt}").content.decode()
        assert "多项" in html
        seen += _rows(html)
    assert seen == ids  # every row, though the count stopped at 3
    monkeypatch.setattr("yongke.portal.views.queues.QUEUE_COUNT_LIMIT", 1000)
    exact = client.get(QUEUE).content.decode()
    assert "（5）" in exact
    assert "第 1/3 页，共 5 项" in exact


def test_the_submit_summary_reads_the_facts_once(client, world, monkeypatch):
    app = an_application(world, facts={"kpi_invention_patent_applications": 3, "kpi_new_revenue": 50_000_000})
    real = services.application_facts
    calls: list[int] = []

    def counted(application, **kwargs):
        calls.append(application.pk)
        return real(application, **kwargs)

    monkeypatch.setattr(services, "application_facts", counted)
    client.force_login(world.applicant)
    response = client.get(f"/applications/{app.pk}/submit/")
    assert "50,000,000 元" in response.content.decode()  # the facts shown
    shown = len(response.context["facts_shown"])
    assert shown > 3
    assert len(calls) <= 3  # the page's, the check's and the form's: not one reading per fact shown


def test_the_rows_built_in_python_escape_what_applicants_typed(client, world):
    """The table's rows are one string each (templatetags/portal.py: app_table_rows): a title and
    an organisation's name are shown as text, never as markup, in the cell and the checkbox's label."""
    from yongke.applications.models import Application
    from yongke.orgs.models import Organisation

    ids = _recommended(world, 1)
    Application.objects.filter(pk=ids[0]).update(title='<img src=x onerror="alert(1)">&项目')
    Organisation.objects.filter(pk=world.org.pk).update(name="<script>alert('单位')</script>")
    client.force_login(world.officer)
    html = client.get(QUEUE).content.decode()
    assert _rows(html) == ids
    assert "<img src=x" not in html
    assert "<script>alert" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;项目</a>" in html
    assert 'aria-label="选择 &lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;项目"' in html
    assert "&lt;script&gt;alert(&#x27;单位&#x27;)&lt;/script&gt;" in html
    assert f'<tr data-app="{ids[0]}"><td class="pick"' in html  # the officer's queue can take a batch step
