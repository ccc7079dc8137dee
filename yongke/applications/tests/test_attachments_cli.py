"""Attachments checked by content; the call and application commands."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from yongke.applications import services as svc
from yongke.applications.models import Application, Attachment, Call
from yongke.cli.main import run
from yongke.core.errors import BadInput, PermissionDenied
from yongke.testing import make_application, make_call, make_guide, make_org, make_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture
def draft():
    make_guide()
    org = make_org()
    user = make_user("applicant", organisation=org)
    return make_application(call=make_call(), org=org, user=user), user


def test_a_pdf_is_stored_with_its_sha256(draft):
    app, user = draft
    att = svc.attachment_add(actor=user, application=app, kind="cooperation_agreement", filename="合作协议.pdf", content=PDF)
    assert att.content_type == "application/pdf"
    assert att.sha256 == hashlib.sha256(PDF).hexdigest()
    assert att.size == len(PDF)


def test_a_stored_file_reads_back_unchanged(draft):
    app, user = draft
    att = svc.attachment_add(actor=user, application=app, kind="cooperation_agreement", filename="合作协议.pdf", content=PDF)
    assert att.file.read() == PDF


def test_the_type_comes_from_the_content_not_the_name(draft):
    app, user = draft
    att = svc.attachment_add(actor=user, application=app, kind="plan", filename="方案.pdf", content=docx_bytes())
    assert att.content_type.endswith("wordprocessingml.document")


def test_a_file_of_a_type_not_allowed_is_refused_whatever_its_name(draft):
    app, user = draft
    with pytest.raises(BadInput) as e:
        svc.attachment_add(actor=user, application=app, kind="plan", filename="病毒.pdf", content=b"MZ\x90\x00 this is an exe")
    assert e.value.detail["field"] == "file"
    assert not Attachment.objects.exists()


def test_an_oversized_file_is_refused(draft, monkeypatch):
    app, user = draft
    monkeypatch.setattr(svc, "MAX_ATTACHMENT_BYTES", 100)
    with pytest.raises(BadInput):
        svc.attachment_add(actor=user, application=app, kind="plan", filename="big.pdf", content=PDF + b"0" * 200)
    assert not Attachment.objects.exists()


def test_an_empty_file_is_refused(draft):
    app, user = draft
    with pytest.raises(BadInput):
        svc.attachment_add(actor=user, application=app, kind="plan", filename="empty.pdf", content=b"")
    assert not Attachment.objects.exists()


def test_another_organisation_cannot_attach(draft):
    app, _ = draft
    stranger = make_user("applicant", organisation=make_org())
    with pytest.raises(PermissionDenied):
        svc.attachment_add(actor=stranger, application=app, kind="plan", filename="x.pdf", content=PDF)
    assert not Attachment.objects.exists()


def test_call_open_close_and_app_commands(capsys):
    make_guide()
    make_user("officer", programme="*", username="off")
    assert run(["call", "open", "--name", "第一批", "--closes-at", "2099-06-30T17:00", "--directions", "1.1,1.2", "--as", "off"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["closes_at"] == "2099-06-30 17:00"
    assert body["directions"] == ["1.1", "1.2"]
    call = Call.objects.get(pk=body["id"])
    org = make_org()
    make_user("applicant", organisation=org, username="ent")
    app = make_application(call=call, org=org)
    assert run(["app", "submit", str(app.pk), "--as", "ent"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "submitted"
    assert run(["app", "submit", str(app.pk), "--as", "ent"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] is False
    assert run(["app", "transition", str(app.pk), "recommend", "--as", "off"]) == 2  # an officer does not recommend
    make_user("recommender", unit=org.recommending_unit, username="rec")
    assert run(["app", "transition", str(app.pk), "recommend", "--as", "rec"]) == 0
    assert Application.objects.get(pk=app.pk).state == "recommended"
    # A refused step is a negative verdict (exit 1); a bad argument is bad input (exit 2).
    assert run(["app", "transition", str(app.pk), "contract", "--as", "off"]) == 1
    assert run(["app", "transition", str(app.pk), "fly", "--as", "off"]) == 2
    assert run(["call", "close", str(call.pk), "--as", "off"]) == 0
    assert run(["call", "open", "--name", "x", "--closes-at", "tomorrow"]) == 2
    assert run(["call", "open", "--name", "x", "--closes-at", "2099-01-01", "--directions", "99.1"]) == 2


def test_user_add_command(capsys):
    org = make_org()
    assert run(["user", "add", "--username", "zhang", "--role", "org_admin", "--org", org.uscc, "--password", "x-12345678", "--token"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["roles"][0]["organisation"] == org.uscc
    assert body["token"].startswith("yk_")
    assert run(["user", "add", "--username", "li", "--role", "recommender", "--unit", "999999"]) == 2
    assert run(["user", "add", "--username", "li", "--role", "pilot"]) == 2
