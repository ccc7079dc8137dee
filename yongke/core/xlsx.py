"""The one Excel writer: every workbook Yongke exports goes through `write_table`.

A cell whose text starts with ``= + - @``, a tab or a carriage return would be read by a
spreadsheet as a formula (OWASP: CSV/formula injection — a name registered as
``=HYPERLINK(...)`` becomes a live link in an officer's 公示 list). Such text is written as a
plain string cell with Excel's quote prefix, so it shows as typed and never runs. Numbers
and dates are written as themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 1_048_576  # Excel's row limit for one sheet


@dataclass(frozen=True)
class Column:
    header: str
    width: float | None = None
    number_format: str | None = None


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value: object) -> object:
    """The text a CSV cell may safely hold: formula-like text gets a leading apostrophe."""
    return "'" + value if isinstance(value, str) and is_formula_like(value) else value


def _cell(ws: WriteOnlyWorksheet, value: Any, number_format: str | None = None) -> Cell:
    # WriteOnlyCell is a factory function: the cell it makes is a plain Cell bound to the sheet.
    cell = WriteOnlyCell(ws, value=None)
    if is_formula_like(value):
        cell.value = value
        cell.data_type = "s"  # a string, not a formula, whatever it starts with
        cell.quotePrefix = True
    else:
        cell.value = value
    if number_format and not isinstance(value, str):
        cell.number_format = number_format
    return cell


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its name, columns, rows and optional title and totals rows."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    title: str | None = None
    totals: Sequence[Any] | None = None


def _write_sheet(wb: Workbook, s: Sheet, on_rows: Callable[[int], None] | None) -> int:
    ws = wb.create_sheet(s.name[:31])
    for i, col in enumerate(s.columns, start=1):
        if col.width:
            ws.column_dimensions[get_column_letter(i)].width = col.width
    first_data_row = 3 if s.title else 2
    ws.freeze_panes = f"A{first_data_row}"
    if s.title:
        head = _cell(ws, s.title)
        head.font = Font(bold=True, size=14)
        ws.append([head])
    header = []
    for col in s.columns:
        c = _cell(ws, col.header)
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center")
        header.append(c)
    ws.append(header)
    n = 0
    for row in s.rows:
        n += 1
        if n + first_data_row > MAX_ROWS:
            raise ValueError(f"more than {MAX_ROWS} rows for one sheet")
        ws.append([_cell(ws, v, col.number_format) for v, col in zip(row, s.columns, strict=True)])
        if on_rows and n % 10_000 == 0:
            on_rows(10_000)
    if s.totals is not None:
        cells = [_cell(ws, v, col.number_format) for v, col in zip(s.totals, s.columns, strict=True)]
        for c in cells:
            c.font = Font(bold=True)
        ws.append(cells)
    return n


def write_sheets(out: IO[bytes] | str | Path, sheets: Iterable[Sheet], *, on_rows: Callable[[int], None] | None = None) -> int:
    """Write a workbook of several sheets, each laid out as `write_table` lays out its one.
    Returns the number of data rows written, all sheets together."""
    wb = Workbook(write_only=True)
    n = sum(_write_sheet(wb, s, on_rows) for s in sheets)
    wb.save(out)
    return n


def write_table(
    out: IO[bytes] | str | Path,
    *,
    sheet: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    title: str | None = None,
    totals: Sequence[Any] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Write one sheet: an optional title row, the header, the rows, an optional totals row.
    Returns the number of data rows written."""
    return write_sheets(out, [Sheet(sheet, columns, rows, title=title, totals=totals)], on_rows=on_rows)
