"""The 任务书 as a PDF: A4 with GB/T 9704's margins, the cover with its signing state, the
indicators beside the guide's verbatim clauses, the budget at the approved amount, the stages,
the parties, the payment plan, every amendment with what it changed, and the two seals; read
back with pdftotext (poppler-utils). Whoever may not see the project may not download it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from django.utils import timezone

from yongke.applications import services as app_services
from yongke.applications.tests.test_pdf import pdf_info
from yongke.audit.models import AuditEvent
from yongke.core.errors import NotFound
from yongke.orgs.services import bank_account_set
from yongke.projects import services as ps
from yongke.projects.pdf import task_book_pdf
from yongke.testing import PDF_BYTES, advance, build_world, make_application_in, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def world():
    return build_world(org_name="南宁市任务书测试科技有限公司", directions=["1.1", "14.1"])


def flat(content: bytes, tmp_path) -> str:
    """The PDF's text in the order it was laid out (`-raw`: a table cell's lines stay together
    whatever the columns' widths), without white space."""
    assert shutil.which("pdftotext"), "pdftotext is not installed: run `make pdf` (make test does)"
    path = tmp_path / "renwushu.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return re.sub(r"\s+", "", text)


def a_project(world):
    """A project of the world's organisation just opened (立项), with a partner and a team member."""
    app = make_application_in("draft", world=world, title="纯电动物流车热管理系统研发与示范", self_raised_amount=500_000)
    app_services.application_update(
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
    app.refresh_from_db()
    advance(app, world, "submit", "recommend", "accept", "start_review", "fund", "publish", "contract", amount=800_000)
    return app.project


def in_progress(world):
    """The project signed by both sides, its first tranche paid, and an approved extension (amendment 1)."""
    p = a_project(world)
    p = ps.project_transition(actor=world.officer, project=p, action="send")
    p = ps.project_transition(actor=world.org_admin, project=p, action="sign", filename="盖章任务书.pdf", content=PDF_BYTES)
    p = ps.project_transition(actor=world.officer, project=p, action="countersign")
    bank_account_set(
        actor=world.org_admin, organisation=world.org, bank="中国银行南宁分行", name=world.org.name, number="6222021234567890123"
    )
    ps.payment_record(actor=world.finance, project=p, tranche=1, amount=560_000, paid_on=timezone.localdate(), voucher="NNKJ-2027-001")
    cr = ps.change_request_create(
        actor=world.applicant,
        project=p,
        kind="extension",
        reasons="样车试验受气候影响推迟",
        payload={"ends_on": (p.ends_on + dt.timedelta(days=181)).isoformat()},
    )
    cr = ps.change_request_opinion(actor=world.recommender, change=cr, agrees=True, opinion="情况属实，同意延期")
    ps.change_request_decide(actor=world.officer, change=cr, approve=True, comment="同意延期半年")
    p.refresh_from_db()
    return p


def test_the_task_book_holds_every_section_with_the_clauses_targets_and_amendment(world, tmp_path):
    p = in_progress(world)
    old_end, new_end = p.versions.get(number=0).content["ends_on"], p.ends_on
    text = flat(task_book_pdf(actor=world.applicant, project=p), tmp_path)
    for expected in (
        "南宁市科技计划项目任务书",
        p.number,
        "纯电动物流车热管理系统研发与示范",
        "南宁市任务书测试科技有限公司",
        "青秀区",  # the recommending unit, by name
        "南宁市科学技术局",
        "执行中",
        "一、考核指标",
        "二、经费预算",
        "三、进度安排",
        "四、参与单位与人员",
        "五、拨款计划",
        "六、变更记录",
        "800,000元",  # the approved amount
        "热管理测试台架",
        "林成员",
        world.other_org.uscc,
        "首次拨款",
        "560,000元",
        "NNKJ-2027-001",
        "承担单位（盖章）",
        "主管部门（盖章）",
    ):
        assert expected in text, expected
    # the guide's verbatim clause beside its indicator, and the targets with their units
    assert "新增产值或新增销售收入达到5000万元以上" in text
    assert "50,000,000元" in text
    assert "3件" in text
    # the amendment: its number, kind, and the end date before and after
    assert "第1号变更（项目延期" in text
    old, new = dt.date.fromisoformat(old_end), new_end
    assert f"{old.year}年{old.month}月{old.day}日{new.year}年{new.month}月{new.day}日" in text
    assert "样车试验受气候影响推迟" in text
    # both signature dates, on the cover and in the seal boxes
    today = timezone.localdate()
    assert text.count(f"{today.year}年{today.month}月{today.day}日") >= 4


def test_a_second_amendment_shows_each_budget_line_before_and_after(world, tmp_path):
    p = in_progress(world)
    cr = ps.change_request_create(
        actor=world.applicant,
        project=p,
        kind="budget",
        reasons="样机材料涨价",
        payload={
            "budget": [
                {"category": "equipment", "fiscal": 430_000, "self_raised": 200_000, "basis": "热管理测试台架"},
                {"category": "materials", "fiscal": 50_000, "self_raised": 0, "basis": "样机材料"},
                {"category": "labour", "fiscal": 320_000, "self_raised": 300_000},
            ]
        },
    )
    cr = ps.change_request_opinion(actor=world.recommender, change=cr, agrees=True, opinion="同意")
    ps.change_request_decide(actor=world.officer, change=cr, approve=True)
    p.refresh_from_db()
    text = flat(task_book_pdf(actor=world.applicant, project=p), tmp_path)
    assert "第2号变更（经费预算调剂" in text
    assert "设备费财政480,000元，自筹200,000元财政430,000元，自筹200,000元" in text
    assert "材料费—财政50,000元，自筹0元" in text
    assert "劳务费" in text  # in the budget, not among the changes: it did not change
    assert "第1号变更（项目延期" in text  # the first amendment is still there


def test_the_task_book_is_a4_with_gb9704_page_numbers(world, tmp_path):
    content = task_book_pdf(actor=world.applicant, project=a_project(world))
    info = pdf_info(content, tmp_path)
    assert "A4" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 3
    text = flat(content, tmp_path)
    assert f"—{pages}—" in text  # the last page's number; the cover has none
    assert "任务书编制中" in text
    assert "任务书尚未签订，没有变更记录" in text


def test_a_raised_target_shows_beside_the_promise(world, tmp_path):
    p = a_project(world)
    ind = p.indicators.get(rule_id="1:ip")
    p = ps.task_book_update(
        actor=world.officer,
        project=p,
        lock_version=p.lock_version,
        changes={"indicators": {ind.pk: {"kpi_invention_patent_applications": 5}}},
    )
    text = flat(task_book_pdf(actor=world.officer, project=p), tmp_path)
    assert "承诺申请发明专利数（件）5件3件" in text  # the task book's target, then the application's promise


def test_an_officers_download_is_audited_the_units_is_not(world, tmp_path):
    p = a_project(world)
    task_book_pdf(actor=world.org_admin, project=p)
    assert not AuditEvent.objects.filter(action="task_book_pdf").exists()
    task_book_pdf(actor=world.officer, project=p)
    event = AuditEvent.objects.get(action="task_book_pdf")
    assert (event.actor_name, event.target_type, event.target_id) == (world.officer.username, "project", str(p.pk))


@pytest.mark.parametrize("who", ["stranger", "other_recommender", "other_officer", "expert"])
def test_who_may_not_see_the_project_may_not_download_its_task_book(world, who):
    p = a_project(world)
    with pytest.raises(NotFound):
        task_book_pdf(actor=world.users[who], project=p)
    assert not AuditEvent.objects.filter(action="task_book_pdf").exists()
