"""`yongke.core.textio`: every encoding an operator's tool saves is read; every malformed input
is `BadInput` naming the file; names lose their control and bidi characters; zip bombs are
refused before they inflate."""

from __future__ import annotations

import io
import zipfile

import pytest

from yongke.core import textio
from yongke.core.errors import BadInput

TEXT = "统一社会信用代码,单位名称\n91450103MA5L123454,南宁市青秀区测试科技有限公司\n"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode(),
        TEXT.encode("utf-8-sig"),
        TEXT.encode("gbk"),
        TEXT.encode("gb18030"),
        TEXT.encode("utf-16"),
        "\ufeff".encode("utf-16-be") + TEXT.encode("utf-16-be"),
        TEXT.encode("utf-32"),
        TEXT.replace("\n", "\r\n").encode("gbk"),
        TEXT.replace("\n", "\r").encode(),
    ],
    ids=["utf8", "utf8-bom", "gbk", "gb18030", "utf16le-bom", "utf16be-bom", "utf32", "crlf-gbk", "bare-cr"],
)
def test_every_encoding_is_read_with_plain_line_ends(data):
    assert textio.decode_text(data, source="f.csv") == TEXT


def test_gb18030_beyond_gbk_is_read():
    text = "单位,𠀀\n"  # a CJK Extension B character: GB18030 has it, GBK does not
    assert textio.decode_text(text.encode("gb18030"), source="f") == text


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"a,b\n1,\x00\n", "nul_byte"),
        (b"\x00\x01\x02\x03\x04\x05binary", "nul_byte"),
        (b"a,b\n\x01\x02,x\n", "not_text"),
        (b"\xff\xfea\x00\x00\xd8", "bad_encoding"),  # UTF-16 BOM, then a lone surrogate
    ],
    ids=["nul", "binary", "controls", "broken-utf16"],
)
def test_binary_is_refused_naming_the_file(data, code):
    with pytest.raises(BadInput) as e:
        textio.decode_text(data, source="orgs.csv")
    assert e.value.code == code
    assert e.value.message.startswith("orgs.csv: ")
    assert " / " in e.value.message  # Chinese / English


def test_a_directory_a_missing_file_and_a_large_one_are_bad_input(tmp_path):
    with pytest.raises(BadInput, match="是目录") as e:
        textio.read_bytes(tmp_path)
    assert e.value.code == "not_a_file"
    with pytest.raises(BadInput, match="文件不存在"):
        textio.read_bytes(tmp_path / "none")
    big = tmp_path / "big"
    big.write_bytes(b"x" * 11)
    with pytest.raises(BadInput, match="文件超过"):
        textio.read_bytes(big, max_bytes=10)


def test_csv_reads_quoted_newlines_and_names_a_malformed_line(tmp_path):
    p = tmp_path / "t.csv"
    p.write_bytes('name,note\r"甲","第一行\r\n第二行"\r\r'.encode("gbk"))
    assert textio.read_csv(p) == [{"name": "甲", "note": "第一行\n第二行"}]
    p.write_text("a\n" + "x" * (textio.MAX_CSV_FIELD + 1) + "\n", encoding="utf-8")
    with pytest.raises(BadInput, match="第2行 CSV 格式错误"):
        textio.read_csv(p)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('{"n": ' + "9" * 5000 + "}", "number_too_long"),
        ('{"n": -' + "9" * 31 + "}", "number_too_long"),
        ("[" * 100_000 + "]" * 100_000, "too_deep"),
        ('{"a":' * (textio.MAX_JSON_DEPTH + 1) + "1" + "}" * (textio.MAX_JSON_DEPTH + 1), "too_deep"),
        ('{"a": "x\\u0000y"}', "nul_byte"),
        ('{"a\\u0000": 1}', "nul_byte"),
        ('{"a": NaN}', "bad_number"),
        ('{"a": ', "syntax_error"),
        ("", "syntax_error"),
    ],
    ids=["5000-digits", "31-digits", "100k-deep", "just-too-deep", "nul-value", "nul-key", "nan", "truncated", "empty"],
)
def test_json_limits(text, code):
    with pytest.raises(BadInput) as e:
        textio.loads_json(text, source="x.json")
    assert e.value.code == code
    assert "x.json" in e.value.message


def test_json_within_the_limits_is_read():
    depth = textio.MAX_JSON_DEPTH
    text = '{"s": "[[[{{{ not nesting", "n": ' + "9" * 30 + ', "d": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    data = textio.loads_json(text, source="x")
    assert data["n"] == int("9" * 30)
    assert data["s"] == "[[[{{{ not nesting"


def test_utf16_json_file_is_read(tmp_path):
    p = tmp_path / "x.json"
    p.write_bytes('{"方向": "1"}'.encode("utf-16"))
    assert textio.read_json(p) == {"方向": "1"}


def test_parse_int():
    assert textio.parse_int(" 42 ", field="--k") == 42
    for bad in ("4.2", "٤٢", "", "1" * 31, "0x10"):
        with pytest.raises(BadInput, match="--k"):
            textio.parse_int(bad, field="--k")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("南宁\u202e测试\u202c公司", "南宁测试公司"),
        ("\u2066甲\u2069\u200e\u200f乙\u061c", "甲乙"),
        ("a\x00b\x07c\x1bd\x7fe\x85f", "abcdef"),
        (" 第一行\n\t第二行 ", "第一行\n\t第二行"),
        ('=HYPERLINK("x")', '=HYPERLINK("x")'),  # formulas are neutralised on export, not here
    ],
)
def test_clean_name(raw, clean):
    assert textio.clean_name(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report\u202egpj.exe", "reportgpj.exe"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\a\\申报书.docx", "申报书.docx"),
        ("a\nb\tc.pdf", "abc.pdf"),
        ("...", "file"),
        ("\u202e", "file"),
    ],
)
def test_clean_filename(raw, clean):
    assert textio.clean_filename(raw) == clean


def test_clean_filename_keeps_the_extension_when_cut():
    name = textio.clean_filename("长" * 300 + ".docx")
    assert len(name) == 200
    assert name.endswith(".docx")


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_an_ordinary_docx_passes():
    textio.check_zip(_zip({"word/document.xml": b"<w:document>" + "正文".encode() * 1000 + b"</w:document>"}))


def test_a_zip_bomb_is_refused_by_its_ratio():
    data = _zip({"word/document.xml": b"\0" * (5 * 1024 * 1024)})
    assert len(data) < 20_000
    with pytest.raises(BadInput, match="压缩比") as e:
        textio.check_zip(data, source="申报书.docx", field="file")
    assert (e.value.code, e.value.detail["field"]) == ("zip_bomb", "file")


def test_a_zip_that_inflates_beyond_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(textio, "MAX_ZIP_UNCOMPRESSED", 1024 * 1024)
    data = _zip({f"part{i}.xml": bytes(range(256)) * 1024 for i in range(5)}, zipfile.ZIP_STORED)  # 5 × 256 KB
    with pytest.raises(BadInput, match="解压后超过"):
        textio.check_zip(data)


def test_a_header_that_lies_about_its_size_is_refused(monkeypatch):
    monkeypatch.setattr(textio, "MAX_ZIP_UNCOMPRESSED", 1024 * 1024)
    data = bytearray(_zip({"a.xml": b"A" * (2 * 1024 * 1024)}))
    # claim 10 bytes in both the local and the central header: inflating stops there, the CRC fails
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(sig) + offset
        data[at : at + 4] = (10).to_bytes(4, "little")
    with pytest.raises(BadInput) as e:
        textio.check_zip(bytes(data))
    assert e.value.code in ("zip_bomb", "bad_zip")


def test_too_many_entries_are_refused(monkeypatch):
    monkeypatch.setattr(textio, "MAX_ZIP_ENTRIES", 3)
    with pytest.raises(BadInput, match="文件超过 3 个"):
        textio.check_zip(_zip({f"{i}.xml": b"x" for i in range(4)}))


@pytest.mark.parametrize("data", [b"PK\x03\x04broken", b"", b"not a zip at all"])
def test_a_broken_zip_is_refused(data):
    with pytest.raises(BadInput) as e:
        textio.check_zip(data, source="x.xlsx")
    assert e.value.code == "bad_zip"


def test_load_workbook_refuses_a_zip_that_is_not_a_workbook(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_bytes(_zip({"hello.txt": b"hi"}))
    with pytest.raises(BadInput, match="不是有效的 Excel 工作簿"):
        textio.load_workbook(p)
