"""Stored guide versions: all-or-nothing loads, immutable versions, pinned verdicts, the admin."""

from __future__ import annotations

import copy

import pytest
from django.test import Client

from yongke.core.errors import PermissionDenied
from yongke.guide import models as m
from yongke.guide import selectors, services
from yongke.guide.loader import load_guide, parse_guide
from yongke.testing import TEST, make_org, make_user

pytestmark = pytest.mark.django_db


def _stricter_guide():
    """The bundled guide with project 1's revenue threshold raised to 6000万."""
    g = load_guide(check_cases=False)
    raw = copy.deepcopy(g.raw)
    rule = next(r for r in raw["programmes"][0]["projects"][0]["rules"] if r["id"] == "1:revenue")
    rule["expr"] = "kpi_new_revenue >= 60000000"
    return parse_guide(raw, text=g.text, check_cases=False)


FACTS = {"kpi_invention_patent_applications": 3, "kpi_new_revenue": 55_000_000}


def test_load_stores_the_tree_and_publishes():
    version, created = services.guide_load(actor=TEST)
    assert created
    assert version.status == m.GuideVersion.Status.PUBLISHED
    assert version.programmes.count() == 4
    assert version.projects.count() == 38
    assert version.directions.count() == 65
    assert version.rules.filter(direction__isnull=True, project__code="1").count() == 2
    assert m.Rule.objects.get(version=version, code="1:revenue").source.startswith("（2）实施期间")
    assert selectors.guide_version_current() == version


def test_a_new_version_never_changes_an_old_verdict():
    v1, _ = services.guide_load(actor=TEST)
    before = selectors.compiled_for(v1).check("1.1", FACTS)["verdict"]
    v2, created = services.guide_store(actor=TEST, guide=_stricter_guide())
    assert created
    assert v2.label == v1.label
    assert v2.revision == v1.revision + 1
    assert selectors.compiled_for(v2).check("1.1", FACTS)["verdict"] == "not_eligible"
    v1.refresh_from_db()
    assert before == "eligible"
    assert selectors.compiled_for(v1).check("1.1", FACTS)["verdict"] == "eligible"
    assert m.Rule.objects.get(version=v1, code="1:revenue").expr == "kpi_new_revenue >= 50000000"


def test_a_failure_midway_rolls_the_whole_load_back(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(m.Fact.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        services.guide_load(actor=TEST)
    assert m.GuideVersion.objects.count() == 0
    assert m.Rule.objects.count() == 0
    assert m.Direction.objects.count() == 0


def test_retired_versions_cannot_be_published_again():
    v, _ = services.guide_load(actor=TEST)
    services.guide_version_retire(actor=TEST, version=v)
    from yongke.core.errors import BadInput

    with pytest.raises(BadInput):
        services.guide_version_publish(actor=TEST, version=v)


def test_drafts_are_hidden_from_the_public():
    v, _ = services.guide_load(actor=TEST, publish=False)
    assert not selectors.guide_versions_visible_to(None).filter(pk=v.pk).exists()


def test_admin_is_read_only_but_can_publish(django_user_model):
    v, _ = services.guide_load(actor=TEST, publish=False)
    admin = make_user("sysadmin")  # the admin is the system administrator's (a superuser without the role is refused)
    client = Client()
    client.force_login(admin)
    rule = m.Rule.objects.filter(version=v).first()
    page = client.get(f"/admin/guide/rule/{rule.pk}/change/")
    assert page.status_code == 200
    assert b'name="expr"' not in page.content
    assert client.get("/admin/guide/rule/add/").status_code == 403
    client.post("/admin/guide/guideversion/", {"action": "publish", "_selected_action": [v.pk]})
    v.refresh_from_db()
    assert v.status == m.GuideVersion.Status.PUBLISHED


def test_guide_pages_show_every_direction_and_verbatim_clauses(client):
    v, _ = services.guide_load(actor=TEST)
    index = client.get("/")
    assert index.status_code == 200
    assert index.content.decode().count("/directions/") == 65
    page = client.get(f"/guide/{v.label}/r{v.revision}/directions/17.5/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "（6）申请单位需按不低于申报支持额度2倍的比例配套自筹经费。" in body
    assert client.get(f"/guide/{v.label}/r{v.revision}/directions/99.1/").status_code == 404


def test_guide_page_shows_an_ambiguous_reading_with_its_note(client):
    v, _ = services.guide_load(actor=TEST)
    rule = next(r for r in selectors.guide_for(v).direction("8.3").rules if r.ambiguous)
    body = client.get(f"/guide/{v.label}/r{v.revision}/directions/8.3/").content.decode()
    row = body[body.index(f'id="rule-{rule.id}"') :].split("</tr>", 1)[0]
    assert "存在不同理解" in row
    assert rule.note is not None
    assert rule.note in row
    plain = client.get(f"/guide/{v.label}/r{v.revision}/directions/17.4/").content.decode()
    assert "存在不同理解" not in plain


def test_an_applicant_may_not_load_publish_or_retire_a_guide():
    v, _ = services.guide_load(actor=TEST, publish=False)
    applicant = make_user("applicant", organisation=make_org())
    with pytest.raises(PermissionDenied):
        services.guide_load(actor=applicant)
    with pytest.raises(PermissionDenied):
        services.guide_version_publish(actor=applicant, version=v)
    with pytest.raises(PermissionDenied):
        services.guide_version_retire(actor=applicant, version=v)
    v.refresh_from_db()
    assert v.status == m.GuideVersion.Status.DRAFT


def test_loading_and_publishing_a_guide_is_audited():
    from yongke.audit.models import AuditEvent

    v, _ = services.guide_load(actor=TEST)
    actions = list(AuditEvent.objects.filter(target_type="guide_version", target_id=str(v.pk)).values_list("action", "actor_name"))
    assert ("guide_load", "system:test") in actions
    assert ("guide_publish", "system:test") in actions
