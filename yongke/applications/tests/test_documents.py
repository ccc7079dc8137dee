"""Documents: the guide declares each category a document rule asks for; submission is refused
while one required at submission is missing, naming it by its label; attachments are deleted
and replaced in a draft (the old file kept for the audit trail); the officer marks each
category verified or not in formal review, audited; 撤回 only after submission."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.storage import default_storage

from yongke.applications import services as svc
from yongke.applications.models import Attachment, DocumentCheck
from yongke.applications.selectors import application_documents
from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, NotFound, PermissionDenied, Refused
from yongke.guide.layout import GUIDE_FILE
from yongke.guide.loader import default_guide_path, parse_guide, read_guide
from yongke.guide.problems import GuideError
from yongke.testing import PDF_BYTES, advance, build_world, make_application, make_application_in

pytestmark = pytest.mark.django_db

HTE = {"hte_certified": True, "above_scale": True, "first_time": True, "rd_in_statistics": True}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def world():
    return build_world(directions=["1.1", "24.1", "37.1", "20.2"])


def a_claim(world, **kwargs):
    """A 24.1 claim (高新技术企业认定奖补) by the world's applicant, without its documents."""
    return make_application(call=world.call, org=world.org, user=world.applicant, direction="24.1", facts=HTE, complete=False, **kwargs)


# --------------------------------------------------------------------------- the guide


def test_every_document_rule_of_the_bundled_guide_names_a_declared_category(guide):
    named = {r.evidence for r in guide.rules if r.kind == "document"}
    assert named
    assert named <= set(guide.documents)
    assert guide.documents["hte_certificate"].label == "高新技术企业证书（或认定公告）"
    assert guide.documents["hte_certificate"].when == "submission"


def test_a_rule_naming_an_undeclared_category_is_refused_where_it_is_written():
    raw, text, sources = read_guide(default_guide_path())
    broken = copy.deepcopy(raw)
    del broken["documents"]["hte_certificate"]
    with pytest.raises(GuideError) as e:
        parse_guide(broken, text=text, file=sources.file, check_cases=False, sources=sources)
    problem = next(p for p in e.value.detail["problems"] if "hte_certificate" in p["problem"])
    assert problem["path"].endswith(".evidence")
    assert Path(problem["file"]).name == "24.yaml"


def test_a_category_declared_with_an_unknown_file_type_is_refused():
    raw, text, _sources = read_guide(default_guide_path())
    broken = copy.deepcopy(raw)
    broken["documents"]["hte_certificate"]["types"] = ["pdf", "exe"]
    with pytest.raises(GuideError) as e:
        parse_guide(broken, text=text, file=str(default_guide_path() / GUIDE_FILE), check_cases=False)
    assert any("documents.hte_certificate.types" in p["path"] for p in e.value.detail["problems"])


# --------------------------------------------------------------------------- submission


def test_a_claim_without_its_required_certificate_is_refused_naming_it_by_its_label(world):
    app = a_claim(world)
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert e.value.code == "document_missing"
    assert "高新技术企业证书（或认定公告）" in e.value.message
    assert "hte_certificate" not in e.value.message
    app.refresh_from_db()
    assert app.state == "draft"


def test_the_claim_is_submitted_once_the_certificate_is_uploaded(world):
    app = a_claim(world)
    att = svc.attachment_add(actor=world.applicant, application=app, kind="hte_certificate", filename="高企证书.pdf", content=PDF_BYTES)
    app, changed = svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert (changed, app.state, att.kind) == (True, "claimed", "hte_certificate")


def test_a_category_chosen_by_its_label_is_stored_by_its_key(world):
    app = a_claim(world)
    att = svc.attachment_add(
        actor=world.applicant, application=app, kind="高新技术企业证书（或认定公告）", filename="证书.pdf", content=PDF_BYTES
    )
    assert att.kind == "hte_certificate"


def test_a_file_type_the_category_does_not_accept_is_refused_naming_the_category(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="37.1", facts={}, complete=False)
    with pytest.raises(BadInput) as e:
        svc.attachment_add(actor=world.applicant, application=app, kind="special_event_plan", filename="方案.png", content=PNG)
    assert "「专场科普活动实施方案」只接受 PDF、DOCX、OFD 文件" in e.value.message
    assert not app.attachments.exists()


def test_a_document_verified_by_the_officer_is_not_needed_at_submission(world):
    # 20.2's pledge is needed at submission; 1.1 asks for no document at all.
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    app, _ = svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert app.state == "submitted"


def test_the_documents_list_shows_each_rule_with_its_label_and_files(world):
    app = a_claim(world)
    svc.attachment_add(actor=world.applicant, application=app, kind="hte_certificate", filename="证书.pdf", content=PDF_BYTES)
    svc.attachment_add(actor=world.applicant, application=app, kind="other", filename="说明.pdf", content=PDF_BYTES + b"1")
    listed = application_documents(world.applicant, app)
    row = next(r for r in listed["rows"] if r["key"] == "hte_certificate")
    assert (row["label"], [f.filename for f in row["files"]], row["check"]) == ("高新技术企业证书（或认定公告）", ["证书.pdf"], None)
    assert [(o["label"], o["file"].filename) for o in listed["others"]] == [("其他材料", "说明.pdf")]


# --------------------------------------------------------------------------- delete and replace


def test_a_removed_attachment_leaves_the_application_but_its_file_and_trail_stay(world):
    app = a_claim(world)
    att = svc.attachment_add(actor=world.applicant, application=app, kind="hte_certificate", filename="证书.pdf", content=PDF_BYTES)
    svc.attachment_remove(actor=world.applicant, attachment=att)
    assert not app.attachments.current().exists()
    kept = Attachment.objects.get(pk=att.pk)
    assert kept.removed_at is not None
    assert default_storage.exists(kept.file.name)
    event = AuditEvent.objects.get(action="attachment_remove", target_id=str(app.pk))
    assert (event.data["attachment"], event.data["sha256"], event.data["filename"]) == (att.pk, att.sha256, "证书.pdf")
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="submit")
    assert e.value.code == "document_missing"


def test_a_replaced_attachment_is_kept_and_points_to_its_replacement(world):
    app = a_claim(world)
    old = svc.attachment_add(actor=world.applicant, application=app, kind="hte_certificate", filename="旧证书.pdf", content=PDF_BYTES)
    new = svc.attachment_replace(actor=world.applicant, attachment=old, filename="新证书.pdf", content=PDF_BYTES + b"% v2\n")
    old.refresh_from_db()
    assert (old.replaced_by_id, old.removed_at is not None, new.kind) == (new.pk, True, "hte_certificate")
    assert list(app.attachments.current()) == [new]
    event = AuditEvent.objects.get(action="attachment_replace", target_id=str(app.pk))
    assert (event.data["replaced"], event.data["replaced_sha256"], event.data["attachment"]) == (old.pk, old.sha256, new.pk)
    assert default_storage.exists(old.file.name)


def test_a_returned_application_may_replace_an_attachment(world):
    app = make_application_in("returned", world=world)
    att = svc.attachment_add(actor=world.applicant, application=app, kind="other", filename="说明.pdf", content=PDF_BYTES)
    new = svc.attachment_replace(actor=world.applicant, attachment=att, filename="说明2.pdf", content=PDF_BYTES + b"2")
    assert new.application_id == app.pk


def test_a_submitted_application_keeps_its_attachments(world):
    app = a_claim(world)
    att = svc.attachment_add(actor=world.applicant, application=app, kind="hte_certificate", filename="证书.pdf", content=PDF_BYTES)
    svc.application_transition(actor=world.applicant, application=app, action="submit")
    with pytest.raises(Refused) as e:
        svc.attachment_remove(actor=world.applicant, attachment=att)
    assert e.value.code == "not_editable"
    assert Attachment.objects.get(pk=att.pk).removed_at is None


def test_another_organisation_may_not_remove_an_attachment(world):
    app = a_claim(world)
    att = svc.attachment_add(actor=world.applicant, application=app, kind="hte_certificate", filename="证书.pdf", content=PDF_BYTES)
    with pytest.raises(PermissionDenied):
        svc.attachment_remove(actor=world.stranger, attachment=att)
    assert Attachment.objects.get(pk=att.pk).removed_at is None


def test_an_attachment_is_removed_once(world):
    app = a_claim(world)
    att = svc.attachment_add(actor=world.applicant, application=app, kind="other", filename="x.pdf", content=PDF_BYTES)
    svc.attachment_remove(actor=world.applicant, attachment=att)
    with pytest.raises(Refused) as e:
        svc.attachment_replace(actor=world.applicant, attachment=att, filename="y.pdf", content=PDF_BYTES)
    assert e.value.code == "attachment_removed"


# --------------------------------------------------------------------------- the officer's marks


def _claimed(world):
    app = a_claim(world)
    svc.attachment_add(actor=world.applicant, application=app, kind="hte_certificate", filename="证书.pdf", content=PDF_BYTES)
    return advance(app, world, "submit")


def test_the_officer_marks_a_document_verified_and_the_mark_is_audited(world):
    app = _claimed(world)
    svc.document_verify(actor=world.officer, application=app, evidence="hte_certificate", verified=True, comment="与认定公告一致")
    check = DocumentCheck.objects.get(application=app, evidence="hte_certificate")
    assert (check.verified, check.checked_by, check.comment) == (True, world.officer, "与认定公告一致")
    event = AuditEvent.objects.get(action="document_verify", target_id=str(app.pk))
    assert (event.data["label"], event.data["verified"]) == ("高新技术企业证书（或认定公告）", True)


def test_a_second_mark_replaces_the_first(world):
    app = _claimed(world)
    svc.document_verify(actor=world.officer, application=app, evidence="hte_certificate", verified=True)
    svc.document_verify(actor=world.officer, application=app, evidence="hte_certificate", verified=False, comment="证书已过期")
    assert list(DocumentCheck.objects.filter(application=app).values_list("verified", flat=True)) == [False]
    assert AuditEvent.objects.filter(action="document_verify", target_id=str(app.pk)).count() == 2


@pytest.mark.parametrize("who", ["applicant", "recommender", "other_officer", "finance", "expert"])
def test_only_the_programmes_officer_marks_documents(world, who):
    app = _claimed(world)
    with pytest.raises(PermissionDenied):
        svc.document_verify(actor=world.users[who], application=app, evidence="hte_certificate", verified=True)
    assert not DocumentCheck.objects.exists()


def test_a_category_the_direction_does_not_ask_for_cannot_be_marked(world):
    app = _claimed(world)
    with pytest.raises(BadInput):
        svc.document_verify(actor=world.officer, application=app, evidence="cooperation_agreement", verified=True)


def test_documents_are_not_marked_on_a_draft(world):
    app = a_claim(world)
    with pytest.raises(Refused):
        svc.document_verify(actor=world.officer, application=app, evidence="hte_certificate", verified=True)


def test_a_claim_whose_document_failed_verification_is_not_checked(world):
    app = _claimed(world)
    svc.document_verify(actor=world.officer, application=app, evidence="hte_certificate", verified=False, comment="证书已过期")
    with pytest.raises(Refused) as e:
        advance(app, world, "check")
    assert e.value.code == "document_not_verified"
    assert "「高新技术企业证书（或认定公告）」（证书已过期）" in e.value.message
    assert e.value.detail["documents"] == [
        {"evidence": "hte_certificate", "label": "高新技术企业证书（或认定公告）", "comment": "证书已过期"}
    ]
    app.refresh_from_db()
    assert (app.state, app.decided_amount) == ("claimed", None)
    assert not AuditEvent.objects.filter(action="check").exists()


def test_a_failed_document_is_returned_replaced_verified_again_and_then_checked(world):
    app = _claimed(world)
    svc.document_verify(actor=world.officer, application=app, evidence="hte_certificate", verified=False, comment="证书已过期")
    app = advance(app, world, "return", comment="请上传有效期内的证书")
    svc.attachment_add(actor=world.applicant, application=app, kind="hte_certificate", filename="新证书.pdf", content=PDF_BYTES)
    app = advance(app, world, "submit")
    with pytest.raises(Refused):  # the failed mark stands until the officer looks at the new file
        advance(app, world, "check")
    svc.document_verify(actor=world.officer, application=app, evidence="hte_certificate", verified=True, comment="新证书有效")
    assert advance(app, world, "check").state == "checked"


def test_an_unmarked_document_does_not_hold_the_check(world):
    # A mark is the officer's finding; a document not marked is no finding against the claim.
    assert advance(_claimed(world), world, "check").state == "checked"


def test_formal_review_does_not_pass_an_application_whose_document_failed(world):
    facts = {"kpi_key_practical_technologies": 1, "kpi_new_tech_material_process_equipment": 0, "kpi_tech_transfer_or_conversions": 1}
    # 20.2 (programme 2, world.other_officer's): the 不涉密承诺书 is uploaded before submission.
    app = make_application(call=world.call, org=world.org, user=world.applicant, direction="20.2", facts={**facts, "not_classified": True})
    pledge = "non_classified_pledge"
    app = advance(app, world, "submit", "recommend")
    svc.document_verify(actor=world.other_officer, application=app, evidence=pledge, verified=False, comment="无法人手写签字")
    with pytest.raises(Refused) as e:
        advance(app, world, "accept")
    assert e.value.code == "document_not_verified"
    assert advance(app, world, "refuse", comment="承诺书无法人手写签字").state == "refused"


# --------------------------------------------------------------------------- 撤回


def test_a_draft_cannot_be_withdrawn(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    with pytest.raises(Refused) as e:
        svc.application_transition(actor=world.applicant, application=app, action="withdraw")
    assert e.value.code == "bad_state"
    app.refresh_from_db()
    assert app.state == "draft"


def test_a_submitted_application_can_be_withdrawn(world):
    app = make_application_in("submitted", world=world)
    app, _ = svc.application_transition(actor=world.applicant, application=app, action="withdraw")
    assert app.state == "withdrawn"


# --------------------------------------------------------------------------- nobody


@pytest.mark.parametrize("nobody", [None, AnonymousUser()], ids=["None", "anonymous"])
def test_nobody_may_remove_replace_mark_or_download(world, nobody):
    app = _claimed(world)
    att = app.attachments.current().get()
    with pytest.raises(PermissionDenied):
        svc.attachment_remove(actor=nobody, attachment=att)
    with pytest.raises(PermissionDenied):
        svc.attachment_replace(actor=nobody, attachment=att, filename="x.pdf", content=PDF_BYTES)
    with pytest.raises(PermissionDenied):
        svc.document_verify(actor=nobody, application=app, evidence="hte_certificate", verified=True)
    with pytest.raises(NotFound):
        svc.application_pdf(actor=nobody, application=app)
    assert Attachment.objects.get(pk=att.pk).removed_at is None
    assert not DocumentCheck.objects.exists()
