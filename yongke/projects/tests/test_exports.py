"""A call's projects as Excel: 项目, 考核指标, 拨款 and 合计, only the projects the reader may see,
formula-like text kept as text, and totals that are the sums of the rows."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.utils import timezone, translation

from yongke.orgs.services import bank_account_set
from yongke.projects import services as ps
from yongke.projects.exports import call_projects_xlsx
from yongke.testing import PDF_BYTES, build_world, make_application_in

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://example.com","点我")'


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def world():
    return build_world(directions=["1.1", "14.1"], budgets={"1": 5_000_000})


@pytest.fixture
def projects(world):
    """A project of programme 1 signed and paid its first tranche (its title formula-like), and
    one of programme 2 (another unit's, another officer's) just opened."""
    p = make_application_in("contracted", world=world, title=EVIL, amount=800_000).project
    p = ps.project_transition(actor=world.officer, project=p, action="send")
    p = ps.project_transition(actor=world.org_admin, project=p, action="sign", filename="盖章任务书.pdf", content=PDF_BYTES)
    p = ps.project_transition(actor=world.officer, project=p, action="countersign")
    bank_account_set(
        actor=world.org_admin, organisation=world.org, bank="中国银行南宁分行", name=world.org.name, number="6222021234567890123"
    )
    ps.payment_record(actor=world.finance, project=p, tranche=1, amount=560_000, paid_on=timezone.localdate(), voucher="NNKJ-001")
    other = make_application_in("contracted", world=world, org=world.other_org, direction="14.1", amount=300_000).project
    return p, other


def workbook(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def rows(ws) -> list[list]:
    """The data rows under the title and the header (and above a totals row)."""
    values = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    return [r for r in values if r[0] != "合计"]


def totals(ws) -> list:
    return next([c.value for c in r] for r in ws.iter_rows(min_row=3) if r[0].value == "合计")


def test_the_workbook_has_its_four_sheets(world, projects):
    wb = workbook(call_projects_xlsx(actor=world.finance, call=world.call))
    assert wb.sheetnames == ["项目", "考核指标", "拨款", "合计"]
    assert [c.value for c in wb["项目"][2]][:7] == ["序号", "项目编号", "项目名称", "申报方向", "承担单位", "项目负责人", "状态"]


def test_a_formula_like_title_is_text_not_a_formula(world, projects):
    wb = workbook(call_projects_xlsx(actor=world.officer, call=world.call))
    cell = next(r[2] for r in wb["项目"].iter_rows(min_row=3) if r[1].value == projects[0].number)
    assert cell.value == EVIL
    assert cell.data_type == "s"
    assert cell.quotePrefix is True
    payment = wb["拨款"]["B3"]
    assert (payment.value, payment.data_type) == (EVIL, "s")


def test_each_project_with_its_money(world, projects):
    p, _other = projects
    with translation.override("zh-hans"):  # the labels in the language asked for, whatever an earlier test left active
        ws = workbook(call_projects_xlsx(actor=world.officer, call=world.call))["项目"]
    [row] = rows(ws)  # the officer of programmes 1, 3 and 4 does not see programme 2's project
    assert row[1:3] == [p.number, EVIL]
    assert row[3].startswith("1.1 ")
    assert row[6] == "执行中"
    assert row[7:13] == [800_000, 560_000, 240_000, 0, 0, 0]
    assert row[14] == 0  # no amendment


def test_the_totals_are_the_sums_of_the_rows(world, projects):
    wb = workbook(call_projects_xlsx(actor=world.finance, call=world.call))
    data = rows(wb["项目"])
    assert len(data) == 2  # finance sees every project
    sums = [sum(r[i] for r in data) for i in range(7, 13)]
    assert totals(wb["项目"])[7:13] == sums
    assert sums[:2] == [1_100_000, 560_000]
    summary = {r[0]: r[1] for r in rows(wb["合计"])}
    assert summary["立项金额合计"] == sums[0]
    assert summary["已拨付合计"] == sums[1]
    assert summary["待拨付合计"] == sums[2]
    assert summary["净拨付（已拨付 − 已退回）"] == sums[1] - sums[5]
    assert summary["批次预算「1」"] == 5_000_000
    assert summary["批次预算「1」已立项（本表项目）"] == 800_000
    assert summary["批次预算「1」结余"] == 4_200_000
    payments = rows(wb["拨款"])
    assert totals(wb["拨款"])[6] == sum(r[6] for r in payments) == sums[1]


def test_one_row_per_indicator_fact_with_the_clause(world, projects):
    p, _other = projects
    ws = workbook(call_projects_xlsx(actor=world.officer, call=world.call))["考核指标"]
    data = rows(ws)
    expected = sum(len(i.targets) for i in p.indicators.all())
    assert len(data) == expected
    revenue = next(r for r in data if r[2].startswith("承诺项目（课题）实施期间"))
    assert revenue[0] == p.number
    assert revenue[3:6] == ["元", 50_000_000, 50_000_000]
    assert "新增产值或新增销售收入达到5000万元以上" in revenue[6]


def test_payments_show_the_voucher_and_the_masked_account_only(world, projects):
    ws = workbook(call_projects_xlsx(actor=world.officer, call=world.call))["拨款"]
    [row] = rows(ws)
    assert row[2:5] == [1, "首次拨款", "NNKJ-001"]
    assert row[5].date() == timezone.localdate()
    assert row[6] == 560_000
    assert "6222021234567890123" not in row[7]
    assert row[7].endswith("0123")


def test_a_unit_sees_only_its_own_projects(world, projects):
    _p, other = projects
    wb = workbook(call_projects_xlsx(actor=world.stranger, call=world.call))
    assert [r[1] for r in rows(wb["项目"])] == [other.number]
    assert rows(wb["拨款"]) == []
    assert {r[0] for r in rows(wb["考核指标"])} == {other.number}
