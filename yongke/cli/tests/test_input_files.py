"""A file argument that is not a readable UTF-8 file is bad input naming it (exit 2, one line),
whichever command reads it — never an internal error."""

from __future__ import annotations

import pytest

from yongke.cli.main import run


@pytest.mark.parametrize("command", ["check", "award quote"])
@pytest.mark.parametrize(
    ("content", "said"),
    [(None, "是目录"), (b"\xff\xfe{\x00\x00\xd8", "不是有效的 UTF-16"), (b"{", "JSON 语法错误")],
    ids=["directory", "utf16", "broken-json"],
)
def test_a_bad_file_is_bad_input(command, content, said, tmp_path, capsys):
    target = tmp_path / "given"
    if content is None:
        target.mkdir()
    else:
        target.write_bytes(content)
    code = run([*command.split(), str(target)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert said in err
    assert err.count("\n") == 1
