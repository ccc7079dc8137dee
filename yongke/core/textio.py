"""Reading what operators and users hand us, so that no malformed input is ever an internal error.

Pure: no Django. Every failure is `BadInput` with a Chinese/English message naming the file or
the field (docs/inputs.md).

* Text files: UTF-8 (with or without BOM), UTF-16/UTF-32 with a BOM, GBK/GB18030 (what Excel
  saves on Chinese Windows), and whatever charset-normalizer decides for the rest; any line
  ending (``\\r\\n``, ``\\n``, a bare ``\\r``) becomes ``\\n``. A file holding NUL or other
  control characters (binary data) is refused.
* JSON: at most `MAX_JSON_BYTES`, nested at most `MAX_JSON_DEPTH` deep, integers of at most
  `MAX_INT_DIGITS` digits, no NaN/Infinity, no NUL (``\\u0000``) in any string.
* Names and file names: control and bidirectional-override characters are stripped
  (`clean_name`, `clean_filename`): free text loses them silently, it is not refused.
* Zip containers (xlsx, docx, …): entry count, total inflated size and compression ratio are
  checked before anything opens them (`check_zip`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yongke.core.errors import BadInput

if TYPE_CHECKING:
    from openpyxl import Workbook

MAX_TEXT_BYTES = 50 * 1024 * 1024  # a CSV or JSON file given to a command
MAX_TABLE_BYTES = 1024 * 1024 * 1024  # an organisations table for `award screen`
MAX_JSON_BYTES = 20 * 1024 * 1024
MAX_JSON_DEPTH = 64  # arrays/objects inside each other
MAX_INT_DIGITS = 30  # far beyond any amount (yuan) or id; Python's own limit is 4,300
MAX_CSV_FIELD = 1024 * 1024  # characters in one CSV cell

MAX_ZIP_ENTRIES = 10_000  # files inside one xlsx/docx
MAX_ZIP_UNCOMPRESSED = 100 * 1024 * 1024  # all entries inflated, bytes
MAX_ZIP_RATIO = 200  # inflated / compressed, for an entry inflating to more than ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"

# Bidirectional controls (LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM, ALM) and the BOM /
# zero-width no-break space: invisible, and they reorder or hide what a name shows.
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff"
_NAME_STRIP = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")  # keeps \t and \n
_FILENAME_STRIP = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_TEXT_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")  # binary in a text file (\t\n\v\f\r ESC allowed)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _bad(source: str, zh: str, en: str, code: str = "bad_input", **detail: Any) -> BadInput:
    return BadInput(f"{source}: {zh} / {en}", code=code, detail={"file": source, **detail})


# --------------------------------------------------------------------------- files


def read_bytes(path: str | Path, *, source: str | None = None, max_bytes: int = MAX_TEXT_BYTES) -> bytes:
    """A regular file's bytes: missing, a directory, unreadable or larger than `max_bytes` is bad input."""
    p = Path(path)
    name = source or str(path)
    try:
        if p.is_dir():
            raise _bad(name, "是目录，不是文件", "a directory, not a file", "not_a_file")
        if not p.exists():
            raise _bad(name, "文件不存在", "file not found", "file_not_found")
        if not p.is_file():
            raise _bad(name, "不是普通文件", "not a regular file", "not_a_file")
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as e:
        raise _bad(name, f"无法读取（{e.strerror}）", "cannot be read", "unreadable") from None
    except ValueError:  # a NUL in the path itself
        raise _bad(name, "文件名无效", "bad file name", "bad_path") from None
    if len(data) > max_bytes:
        raise _bad(name, f"文件超过 {max_bytes // (1024 * 1024)} MB", "file too large", "too_large", limit=max_bytes)
    return data


def decode_text(data: bytes, *, source: str) -> str:
    """Bytes as text, whichever encoding an operator's tool saved them in; lines end in ``\\n``."""
    text = _decode(data, source).replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise _bad(source, "含 NUL 字符（二进制数据？）", "contains NUL bytes (binary data?)", "nul_byte")
    m = _TEXT_CONTROLS.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise _bad(source, f"第{line}行含控制字符 U+{ord(m.group()):04X}，不是文本", "not text (control character)", "not_text", line=line)
    return text


def _decode(data: bytes, source: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise _bad(source, f"不是有效的 {encoding.upper()} 文本", f"not valid {encoding} text", "bad_encoding") from None
    for encoding in ("utf-8", "gb18030"):  # GB18030 reads GBK and GB2312 too
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise _bad(source, "无法识别的文本编码（应为 UTF-8 或 GBK）", "unknown text encoding (use UTF-8 or GBK)", "bad_encoding")
    return str(best)


def read_text(path: str | Path, *, source: str | None = None, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """A text file (`-`: standard input) decoded by `decode_text`."""
    name = source or str(path)
    if str(path) == "-":
        import sys

        data = sys.stdin.buffer.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise _bad(name, "输入过大", "input too large", "too_large", limit=max_bytes)
        return decode_text(data, source=name)
    return decode_text(read_bytes(path, source=name, max_bytes=max_bytes), source=name)


# --------------------------------------------------------------------------- CSV


def csv_rows(text: str, *, source: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every row of CSV text; a malformed row names its line."""
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CSV_FIELD)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise _bad(source, f"第{reader.line_num}行 CSV 格式错误（{e}）", "malformed CSV", "bad_csv", line=reader.line_num) from None
            yield reader.line_num, row
    finally:
        csv.field_size_limit(limit)


def read_csv(path: str | Path, *, source: str | None = None) -> list[dict[str, str]]:
    """A CSV file's rows as dicts keyed by its header row (trimmed); blank rows are skipped."""
    name = source or str(path)
    rows = list(csv_rows(read_text(path, source=name), source=name))
    if not rows:
        return []
    header = [h.strip() for h in rows[0][1]]
    return [dict(zip(header, cells, strict=False)) for _, cells in rows[1:] if any(c.strip() for c in cells)]


# --------------------------------------------------------------------------- JSON


def _check_depth(text: str, source: str, max_depth: int) -> None:
    """Refuse nesting deeper than `max_depth` before the parser recurses into it."""
    depth = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text, flags=re.DOTALL):
        ch = m.group()
        if ch in "[{":
            depth += 1
            if depth > max_depth:
                line = text.count("\n", 0, m.start()) + 1
                raise _bad(source, f"第{line}行 JSON 嵌套超过 {max_depth} 层", "JSON nested too deeply", "too_deep", line=line)
        elif ch in "]}":
            depth -= 1


def _walk_nul(value: Any, source: str, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise _bad(source, f"{where or '值'} 含 NUL 字符（\\u0000）", "NUL character in a string", "nul_byte", at=where)
    elif isinstance(value, dict):
        for k, v in value.items():
            _walk_nul(k, source, where)
            _walk_nul(v, source, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk_nul(v, source, f"{where}[{i}]")


def refuse_nul(data: Any, *, source: str) -> None:
    """Refuse a NUL character in any string (key or value) of parsed data: PostgreSQL cannot store it."""
    _walk_nul(data, source, "")


class ExactFloat(float):
    """A JSON number with a fraction or an exponent: the float, and the digits it was written with
    (`text`), so that 49999999.999999999 — the float 50000000.0 — is still judged as written
    (guide/facts.py): below 5000万, and not a whole number."""

    __slots__ = ("text",)
    text: str


def exact_float(text: str) -> ExactFloat:
    """`parse_float` for json.loads: an ExactFloat keeping its digits."""
    number = ExactFloat(text)
    number.text = text
    return number


def unique_keys(where: str) -> Any:
    """`object_pairs_hook` for json.loads: an object naming a key twice is bad input (the last
    value would silently win), named by the key."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise BadInput(
                    f"{key}: 键在同一对象中出现了两次（{where}）/ the key is given twice", code="duplicate_key", detail={"field": key}
                )
            out[key] = value
        return out

    return hook


def loads_json(text: str, *, source: str, max_depth: int = MAX_JSON_DEPTH, max_digits: int = MAX_INT_DIGITS) -> Any:
    """Parse JSON text within the limits; a syntax error names the line, a key given twice in one
    object names the key; a number with a fraction keeps its digits (`ExactFloat`)."""
    _check_depth(text, source, max_depth)

    def parse_int(digits: str) -> int:
        if len(digits.lstrip("-")) > max_digits:
            raise _bad(source, f"整数超过 {max_digits} 位", f"integer longer than {max_digits} digits", "number_too_long")
        return int(digits)

    def parse_constant(name: str) -> Any:
        raise _bad(source, f"不支持 {name}", f"{name} is not a JSON number", "bad_number")

    try:
        data = json.loads(
            text, parse_int=parse_int, parse_float=exact_float, parse_constant=parse_constant, object_pairs_hook=unique_keys(source)
        )
    except json.JSONDecodeError as e:
        raise _bad(
            f"{source}:{e.lineno}", f"JSON 语法错误：{e.msg}", f"syntax error: {e.msg}", "syntax_error", line=e.lineno, column=e.colno
        ) from None
    except RecursionError:  # only below max_depth if the interpreter's stack is tiny
        raise _bad(source, "JSON 嵌套过深", "JSON nested too deeply", "too_deep") from None
    refuse_nul(data, source=source)
    return data


def read_json(path: str | Path, *, source: str | None = None) -> Any:
    """A JSON file (`-`: standard input) in any encoding `decode_text` reads, within the limits."""
    name = source or str(path)
    return loads_json(read_text(path, source=name, max_bytes=MAX_JSON_BYTES), source=name)


def parse_int(text: str, *, field: str, max_digits: int = MAX_INT_DIGITS) -> int:
    """A whole number typed by a person (ASCII digits, an optional sign)."""
    s = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]+", s):
        raise BadInput(f"{field}: 应为整数（收到 {text[:40]!r}）/ must be a whole number", detail={"field": field})
    if len(s.lstrip("+-")) > max_digits:
        raise BadInput(f"{field}: 整数超过 {max_digits} 位 / number too long", detail={"field": field})
    return int(s)


# --------------------------------------------------------------------------- names


def clean_name(value: str) -> str:
    """A name or title as stored: NFC, control and bidi characters stripped (\\t and \\n kept), trimmed."""
    return _NAME_STRIP.sub("", unicodedata.normalize("NFC", value)).strip()


def clean_filename(value: str, *, default: str = "file", max_length: int = 200) -> str:
    """A file name safe to store and show: its last path part, control/bidi characters and
    surrounding dots/spaces removed, at most `max_length` characters (the extension kept)."""
    name = _FILENAME_STRIP.sub("", unicodedata.normalize("NFC", value))
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".").strip()
    if not name:
        return default
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: max_length - len(ext) - 1] + "." + ext) if dot and len(ext) <= 16 else name[:max_length]
    return name


# --------------------------------------------------------------------------- zip containers


def is_zip(data: bytes) -> bool:
    return data[:4] == ZIP_MAGIC


def check_zip(source_data: bytes | str | Path, *, source: str | None = None, field: str | None = None) -> None:
    """Refuse a zip container (xlsx, docx, …) that is broken or would inflate beyond the limits.

    The declared sizes are checked first; then every entry is inflated in chunks and counted
    (a header may lie), stopping as soon as a limit is passed. Nothing is kept. `field` (an upload's form field)
    is named in the error's detail.
    """
    try:
        _check_zip(source_data, source)
    except BadInput as e:
        if field:
            e.detail["field"] = field
        raise


def _check_zip(source_data: bytes | str | Path, source: str | None) -> None:
    if isinstance(source_data, bytes):
        name = source or "file"
        fh: Any = io.BytesIO(source_data)
    else:
        name = source or str(source_data)
        fh = io.BytesIO(read_bytes(source_data, source=name, max_bytes=MAX_ZIP_UNCOMPRESSED))
    try:
        with zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise _bad(name, f"压缩包内文件超过 {MAX_ZIP_ENTRIES} 个", "too many entries in the zip container", "zip_bomb")
            if sum(i.file_size for i in infos) > MAX_ZIP_UNCOMPRESSED:
                raise _bad(name, _too_big_zh(), "inflates beyond the size limit", "zip_bomb")
            total = 0
            for info in infos:
                if info.file_size > ZIP_RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
                    raise _bad(name, f"压缩比超过 {MAX_ZIP_RATIO} 倍（压缩炸弹？）", "compression ratio too high (zip bomb?)", "zip_bomb")
                with zf.open(info) as entry:
                    while chunk := entry.read(1024 * 1024):
                        total += len(chunk)
                        if total > MAX_ZIP_UNCOMPRESSED:
                            raise _bad(name, _too_big_zh(), "inflates beyond the size limit", "zip_bomb")
    except BadInput:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError, OSError, RuntimeError) as e:
        # RuntimeError: an encrypted entry; NotImplementedError: an unknown compression method
        raise _bad(
            name, f"文件已损坏或不是有效的压缩格式（{type(e).__name__}）", "broken or not a valid zip container", "bad_zip"
        ) from None


def _too_big_zh() -> str:
    return f"解压后超过 {MAX_ZIP_UNCOMPRESSED // (1024 * 1024)} MB（压缩炸弹？）"


def load_workbook(path: str | Path, *, source: str | None = None) -> Workbook:
    """An xlsx file opened read-only (values, not formulas) after `check_zip`; a broken one is bad input."""
    name = source or str(path)
    data = read_bytes(path, source=name, max_bytes=MAX_ZIP_UNCOMPRESSED)
    check_zip(data, source=name)
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - openpyxl raises anything (KeyError, TypeError, lxml errors) on a broken workbook
        raise _bad(name, f"不是有效的 Excel 工作簿（{type(e).__name__}）", "not a valid xlsx workbook", "bad_format") from None
