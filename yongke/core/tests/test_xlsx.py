"""The one Excel writer: formula-like text never becomes a formula."""

from __future__ import annotations

import io

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from yongke.core.xlsx import Column, neutralise, write_table

DANGEROUS = ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def _read(buf: io.BytesIO) -> Worksheet:
    buf.seek(0)
    sheet = openpyxl.load_workbook(buf).active
    assert isinstance(sheet, Worksheet)  # a workbook we wrote: one plain sheet
    return sheet


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_like_text_is_written_as_text(text):
    buf = io.BytesIO()
    write_table(buf, sheet="名单", columns=[Column("单位名称")], rows=[[text]])
    cell = _read(buf)["A2"]
    assert cell.data_type == "s"
    assert cell.value == text.replace("\r", "\n")  # XML keeps line ends as \n
    assert cell.quotePrefix is True


def test_numbers_and_ordinary_text_are_kept_as_they_are():
    buf = io.BytesIO()
    write_table(buf, sheet="名单", columns=[Column("单位名称"), Column("金额", number_format="0.00")], rows=[["南宁某公司", -5]])
    ws = _read(buf)
    assert ws["A2"].value == "南宁某公司"
    assert ws["B2"].value == -5
    assert ws["B2"].data_type == "n"


def test_a_title_row_comes_before_the_header_and_totals_after_the_rows():
    buf = io.BytesIO()
    n = write_table(
        buf,
        sheet="公示名单",
        title="2022年南宁市科技计划项目公示",
        columns=[Column("序号"), Column("金额")],
        rows=[[1, 10], [2, 20]],
        totals=["合计", 30],
    )
    ws = _read(buf)
    assert n == 2
    assert ws["A1"].value == "2022年南宁市科技计划项目公示"
    assert [c.value for c in ws[2]] == ["序号", "金额"]
    assert [c.value for c in ws[5]] == ["合计", 30]


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_text_gets_a_leading_apostrophe(text):
    assert neutralise(text) == "'" + text


def test_csv_neutralise_leaves_other_values_alone():
    assert neutralise("南宁") == "南宁"
    assert neutralise(-5) == -5
