"""The 申报书 and documents through the API (/api/v1): the new fields read and written with
typed schemas, attachments removed and replaced, the officer's mark, the PDF."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yongke.accounts.services import token_create
from yongke.applications.models import Attachment, DocumentCheck
from yongke.testing import PDF_BYTES, advance, build_world, make_application, make_person

pytestmark = pytest.mark.django_db
A = "/api/v1"
HTE = {"hte_certified": True, "above_scale": True, "first_time": True, "rd_in_statistics": True}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def world():
    return build_world(directions=["1.1", "24.1"])


def api(user) -> tuple[Client, dict[str, str]]:
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {token_create(actor=user, user=user, name='t')}"}


def test_a_draft_is_created_with_its_whole_form_and_read_back(world):
    client, auth = api(world.applicant)
    leader = make_person(world.org)
    body = {
        "call": world.call.pk,
        "direction": "1.1",
        "organisation": world.org.pk,
        "title": "整车控制器研发",
        "requested_amount": 800_000,
        "self_raised_amount": 200_000,
        "facts": {"kpi_invention_patent_applications": 3, "kpi_new_revenue": 50_000_000},
        "leader": leader.pk,
        "leader_phone": "0771-5551234",
        "starts_on": "2027-01-01",
        "ends_on": "2028-12-31",
        "budget": [{"category": "equipment", "fiscal": 800_000, "self_raised": 200_000, "total": 1_000_000, "basis": "台架"}],
        "partners": [{"uscc": world.other_org.uscc, "name": world.other_org.name, "tasks": "测试", "budget": 100_000}],
    }
    r = client.post(f"{A}/applications", body, content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    out = r.json()
    assert (out["starts_on"], out["ends_on"], out["leader_phone"]) == ("2027-01-01", "2028-12-31", "0771-5551234")
    assert out["budget"] == [
        {"category": "equipment", "label": "设备费", "fiscal": 800_000, "self_raised": 200_000, "total": 1_000_000, "basis": "台架"}
    ]
    assert out["partners"][0]["organisation"] == world.other_org.pk
    assert (out["quoted_amount"], out["listed_amount"]) == (None, 800_000)
    submitted = client.post(f"{A}/applications/{out['id']}/transitions", {"action": "submit"}, content_type="application/json", **auth)
    assert submitted.json()["state"] == "submitted"


def test_a_budget_line_that_does_not_add_up_is_a_400_naming_it(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    client, auth = api(world.applicant)
    r = client.patch(
        f"{A}/applications/{app.pk}",
        {"lock_version": app.lock_version, "budget": [{"category": "labour", "fiscal": 1_000_000, "total": 900_000}]},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 400
    assert "经费预算「劳务费」不平衡" in r.json()["message"]
    assert r.json()["detail"]["field"] == "budget.labour.total"


def test_a_category_outside_the_standard_ones_is_a_schema_error(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    client, auth = api(world.applicant)
    r = client.patch(
        f"{A}/applications/{app.pk}",
        {"lock_version": app.lock_version, "budget": [{"category": "banquets", "fiscal": 1}]},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 400


def test_a_claim_lists_its_quote_and_its_documents(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, requested_amount=0)
    client, auth = api(world.applicant)
    out = client.get(f"{A}/applications/{app.pk}", **auth).json()
    assert (out["requested_amount"], out["quoted_amount"], out["listed_amount"]) == (0, 100_000, 100_000)
    doc = next(d for d in out["documents"] if d["evidence"] == "hte_certificate")
    assert (doc["label"], doc["when"], doc["verified"]) == ("高新技术企业证书（或认定公告）", "submission", None)
    assert len(doc["attachments"]) == 1
    listed = client.get(f"{A}/applications?state=draft", **auth).json()["items"]
    assert next(a for a in listed if a["id"] == app.pk)["listed_amount"] == 100_000


def test_an_attachment_is_replaced_then_removed(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, requested_amount=0)
    att = app.attachments.current().get()
    client, auth = api(world.applicant)
    r = client.post(
        f"{A}/applications/{app.pk}/attachments/{att.pk}/replace",
        {"file": SimpleUploadedFile("新证书.pdf", PDF_BYTES + b"2", content_type="application/pdf")},
        **auth,
    )
    assert r.status_code == 201, r.content
    new = r.json()
    assert (new["kind"], new["label"], new["filename"]) == ("hte_certificate", "高新技术企业证书（或认定公告）", "新证书.pdf")
    r = client.delete(f"{A}/applications/{app.pk}/attachments/{new['id']}", **auth)
    assert r.status_code == 200
    assert r.json()["removed_at"] is not None
    assert client.get(f"{A}/applications/{app.pk}/attachments", **auth).json()["count"] == 0
    assert Attachment.objects.filter(application=app).count() == 2


def test_a_stranger_cannot_remove_an_attachment(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, requested_amount=0)
    att = app.attachments.current().get()
    client, auth = api(world.stranger)
    assert client.delete(f"{A}/applications/{app.pk}/attachments/{att.pk}", **auth).status_code == 404
    assert Attachment.objects.get(pk=att.pk).removed_at is None


def test_the_officer_marks_a_document_and_an_applicant_may_not(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, requested_amount=0)
    app = advance(app, world, "submit")
    client, auth = api(world.applicant)
    body = {"verified": True, "comment": ""}
    assert (
        client.put(f"{A}/applications/{app.pk}/documents/hte_certificate", body, content_type="application/json", **auth).status_code == 403
    )
    client, auth = api(world.officer)
    r = client.put(f"{A}/applications/{app.pk}/documents/hte_certificate", body, content_type="application/json", **auth)
    assert r.status_code == 200, r.content
    assert (r.json()["verified"], r.json()["label"]) == (True, "高新技术企业证书（或认定公告）")
    assert DocumentCheck.objects.get(application=app).verified


def test_the_pdf_is_served_as_a_pdf(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    client, auth = api(world.applicant)
    r = client.get(f"{A}/applications/{app.pk}/pdf", **auth)
    assert (r.status_code, r["Content-Type"]) == (200, "application/pdf")
    assert r.content.startswith(b"%PDF-")
    client, auth = api(world.stranger)
    assert client.get(f"{A}/applications/{app.pk}/pdf", **auth).status_code == 404
