"""The 申报书 as a PDF: A4, numbered pages, every section, the verdicts with their verbatim
clauses and the 承诺书 page; read back with pdftotext (poppler-utils) to check the Chinese text.
The applicant and the programme's officers may download it; an officer's read is audited."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from yongke.applications import services as svc
from yongke.audit.models import AuditEvent
from yongke.core.errors import NotFound
from yongke.testing import ELIGIBLE, build_world, make_application, make_application_in, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def world():
    return build_world(org_name="南宁市申报书测试科技有限公司", directions=["1.1", "35.1"])


def pdf_text(content: bytes, tmp_path: Path) -> str:
    # make test installs poppler-utils; without it this is a failure, never a skip.
    assert shutil.which("pdftotext"), "pdftotext is not installed: run `make browser` (make test does)"
    path = tmp_path / "shenbaoshu.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


def pdf_info(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout


def a_proposal(world):
    leader = make_person(world.org, name="陈负责")
    app = make_application(
        call=world.call,
        org=world.org,
        user=world.applicant,
        title="纯电动物流车热管理系统研发与示范",
        leader=leader,
        requested_amount=1_000_000,
        self_raised_amount=500_000,
    )
    app.refresh_from_db()
    return svc.application_update(
        actor=world.applicant,
        application=app,
        lock_version=app.lock_version,
        changes={
            "budget": [
                {"category": "equipment", "fiscal": 600_000, "self_raised": 200_000, "basis": "热管理测试台架"},
                {"category": "labour", "fiscal": 400_000, "self_raised": 300_000},
            ],
            "team": [{"person": make_person(world.org, name="林成员"), "role": "系统集成", "months": 18}],
            "partners": [{"uscc": world.other_org.uscc, "name": world.other_org.name, "tasks": "样车试验", "budget": 200_000}],
        },
    )


def test_the_pdf_holds_every_section_in_chinese(world, tmp_path):
    app = a_proposal(world)
    text = pdf_text(svc.application_pdf(actor=world.applicant, application=app), tmp_path)
    flat = re.sub(r"\s+", "", text)
    for expected in (
        "南宁市科技计划项目申报书",
        "南宁市申报书测试科技有限公司",
        "纯电动物流车热管理系统研发与示范",
        "经费预算",
        "设备费",
        "600,000元",
        "热管理测试台架",
        "陈负责",
        "林成员",
        "系统集成",
        world.other_org.uscc,
        "申报要求检查结果",
        "承诺书",
        "项目负责人（签字）",
        "申报单位（公章）",
    ):
        assert expected in flat, expected
    # a rule's verbatim clause, as the guide quotes it
    assert "新增产值或新增销售收入达到5000万元以上" in flat


def test_the_pdf_is_a4_with_numbered_pages(world, tmp_path):
    content = svc.application_pdf(actor=world.applicant, application=a_proposal(world))
    info = pdf_info(content, tmp_path)
    assert "A4" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 3
    flat = re.sub(r"\s+", "", pdf_text(content, tmp_path))
    assert f"第1页共{pages}页" in flat
    assert f"第{pages}页共{pages}页" in flat


def test_a_claims_form_shows_its_quote_and_no_budget(world, tmp_path):
    app = make_application(
        call=world.call, org=world.org, user=world.applicant, direction="35.1", facts=ELIGIBLE["35.1"], requested_amount=0
    )
    app.refresh_from_db()
    flat = re.sub(r"\s+", "", pdf_text(svc.application_pdf(actor=world.applicant, application=app), tmp_path))
    assert "后补助项目申领表" in flat
    assert "300,000元" in flat
    assert "经费预算" not in flat
    assert "承诺书" in flat


def test_the_applicants_own_download_is_not_audited_an_officers_is(world):
    app = make_application_in("recommended", world=world)
    svc.application_pdf(actor=world.applicant, application=app)
    assert not AuditEvent.objects.filter(action="application_pdf").exists()
    svc.application_pdf(actor=world.officer, application=app)
    event = AuditEvent.objects.get(action="application_pdf")
    assert (event.actor_name, event.target_id) == (world.officer.username, str(app.pk))


@pytest.mark.parametrize("who", ["stranger", "other_recommender", "other_officer"])
def test_who_may_not_see_the_application_may_not_download_it(world, who):
    app = make_application_in("recommended", world=world)
    with pytest.raises(NotFound):
        svc.application_pdf(actor=world.users[who], application=app)
