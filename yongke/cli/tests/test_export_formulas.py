"""A name that reaches Yongke as a formula (`=HYPERLINK(...)`) through `yongke org import` or
an organisations table leaves it as text: the 公示 workbook and `yongke award screen --out-xlsx`
write it as a string cell with Excel's quote prefix (issue 14, item 11; docs/inputs.md).
Bidi and control characters are stripped on the way in."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine

from yongke.awards.tests.conftest import make_uscc
from yongke.cli.main import run
from yongke.orgs.models import Organisation
from yongke.portal.tests.test_exports import PUBLISHED, published, world  # noqa: F401 - fixtures

EVIL = '=HYPERLINK("http://evil.example","点我领补贴")'


def _text_cell(cell) -> None:
    assert cell.value == EVIL
    assert cell.data_type == "s"  # a string, not a formula
    assert cell.quotePrefix is True


@pytest.mark.django_db
def test_org_import_then_the_publicity_workbook_keeps_a_formula_name_as_text(client, world, published, tmp_path, capsys):  # noqa: F811
    table = tmp_path / "orgs.csv"
    # saved by Excel on Chinese Windows: GBK; the name carries a right-to-left override too
    name = '"\u202e' + EVIL.replace('"', '""') + '"'
    row = f"{world.org.uscc},{name},{world.org.kind},{world.org.district}"
    table.write_bytes(f"uscc,name,kind,district\n{row}\n".encode("gb18030"))
    code = run(["org", "import", str(table)])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert Organisation.objects.get(pk=world.org.pk).name == EVIL  # the override stripped, the text kept
    client.force_login(world.officer)
    with time_machine.travel(PUBLISHED + dt.timedelta(days=1), tick=False):
        response = client.get("/officer/publicity.xlsx")
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in ws[2]]
    _text_cell(ws.cell(row=3, column=header.index("申报单位") + 1))


def test_award_screen_out_xlsx_keeps_a_formula_name_as_text(tmp_path, capsys):
    orgs = tmp_path / "orgs.csv"
    quoted = '"' + EVIL.replace('"', '""') + '"'
    orgs.write_bytes(
        f"name,uscc,points,region_award_received,transaction_volume\n{quoted},{make_uscc(1)},80,false,150000000\n".encode("gbk")
    )
    xlsx = tmp_path / "list.xlsx"
    code = run(["award", "screen", "--orgs", str(orgs), "--out-xlsx", str(xlsx), "--year", "2022"])
    _, err = capsys.readouterr()
    assert code == 0, err
    ws = openpyxl.load_workbook(xlsx).active
    assert ws.max_row == 2  # the header and the one award
    _text_cell(ws.cell(row=2, column=2))
