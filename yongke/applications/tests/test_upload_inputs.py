"""Uploads (issue 14, item 10; docs/inputs.md): a docx/xlsx that would inflate beyond the zip
limits is refused before it is stored; the stored file name loses control and bidi characters;
titles and names lose them too."""

from __future__ import annotations

import io
import zipfile

import pytest

from yongke.applications import services as svc
from yongke.applications.models import Attachment
from yongke.core.errors import BadInput
from yongke.orgs import services as org_services
from yongke.projects import acceptance as acc
from yongke.projects.models import ProjectFile
from yongke.projects.tests.acceptance_helpers import module_world, pdf, running
from yongke.testing import build_world, make_application, make_person

pytestmark = pytest.mark.django_db


def _docx(body: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        zf.writestr("word/document.xml", body)
    return buf.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A docx of about 200 KB that inflates to 200 MB."""
    return _docx(b"<w:t>" + b"\0" * (200 * 1024 * 1024) + b"</w:t>")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def app():
    world = build_world(directions=["1.1"])
    return world, make_application(call=world.call, org=world.org, user=world.applicant, direction="1.1", complete=False)


def test_a_docx_bomb_is_not_stored_as_an_attachment(app, bomb):
    world, application = app
    assert len(bomb) < 1024 * 1024
    with pytest.raises(BadInput) as e:
        svc.attachment_add(actor=world.applicant, application=application, kind="other", filename="申报书.docx", content=bomb)
    assert (e.value.code, e.value.detail["field"]) == ("zip_bomb", "file")
    assert not Attachment.objects.filter(application=application).exists()


def test_an_ordinary_docx_is_stored_with_its_name_cleaned(app):
    world, application = app
    name = "申报书\u202excod.exe\x00\n"
    att = svc.attachment_add(
        actor=world.applicant, application=application, kind="other", filename=name, content=_docx("<w:t>正文</w:t>".encode())
    )
    assert Attachment.objects.get(pk=att.pk).filename == "申报书xcod.exe"


def test_a_title_loses_its_bidi_and_control_characters(app):
    world, application = app
    got = make_application(
        call=world.call, org=world.org, user=world.applicant, direction="1.1", complete=False, title="\u202e智能\x00传感器\u2066研发"
    )
    assert got.title == "智能传感器研发"
    changed = svc.application_update(
        actor=world.applicant, application=application, lock_version=application.lock_version, changes={"title": "新\u200f名称\x07"}
    )
    assert changed.title == "新名称"


def test_a_persons_name_loses_its_bidi_characters(app):
    world, _ = app
    person = make_person(world.org, name="张\u202e三\x00")
    assert person.name == "张三"
    org = org_services.organisation_upsert(
        actor=world.officer, data={"uscc": world.org.uscc, "name": "\u202d南宁\x1b测试公司", "kind": world.org.kind}
    )[0]
    assert org.name == "南宁测试公司"


@pytest.fixture(scope="module")
def post_world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory)


def test_a_docx_bomb_is_not_stored_as_report_evidence(post_world, django_db_blocker, bomb):
    with django_db_blocker.unblock():
        project = running(post_world)
    report = acc.report_save(actor=post_world.applicant, project=project, kind="final", narrative="x")
    with pytest.raises(BadInput) as e:
        acc.report_attach(actor=post_world.applicant, report=report, filename="佐证.docx", content=bomb)
    assert e.value.code == "zip_bomb"
    assert not ProjectFile.objects.filter(report=report).exists()
    f = acc.report_attach(actor=post_world.applicant, report=report, filename="\u202e佐证\t.pdf", content=pdf("ok"))
    assert ProjectFile.objects.get(pk=f.pk).filename == "佐证.pdf"
