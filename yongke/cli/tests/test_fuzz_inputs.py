"""Malformed files fed to every `yongke` verb that reads one (issue 14, item 10; docs/inputs.md).

The verbs are found from `build_parser()`: every argument naming a file to read is classified
below, so a new verb taking a file fails `test_every_file_argument_is_classified` until it is
added — and is then fuzzed like the others. Each malformed file must give exit 2 (1 where a
binary file is read and the rules then refuse the request) with one line on stderr, never 70,
and leave the database as it was. Files in other encodings with valid content must be *read*.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import pkgutil
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps

import yongke.cli
from yongke.cli.main import build_parser, run
from yongke.core import textio
from yongke.testing import build_world, make_application_in

pytestmark = pytest.mark.django_db

# How each file argument is read: a table (csv/xlsx), a JSON document, a guide (YAML/JSON),
# raw bytes (an upload), or JSON given as `@FILE`.
TABLE, JSON, GUIDE, BYTES, AT_JSON = "table", "json", "guide", "bytes", "@json"
FILE_ARGS: dict[tuple[str, str], str] = {
    ("guide validate", "file"): GUIDE,
    ("guide load", "file"): GUIDE,
    ("guide facts", "--file"): GUIDE,
    ("guide export", "--file"): GUIDE,
    ("guide split", "file"): GUIDE,
    ("check", "file"): JSON,
    ("check", "--guide"): GUIDE,
    ("org import", "file"): TABLE,
    ("award quote", "file"): JSON,
    ("award quote", "--guide"): GUIDE,
    ("award allocate", "file"): JSON,
    ("award screen", "--orgs"): TABLE,
    ("award screen", "--guide"): GUIDE,
    ("review assign", "--scores"): TABLE,
    ("review assign", "--conflicts"): TABLE,
    ("review assign", "--loads"): TABLE,
    ("review assign", "--organisations"): TABLE,
    ("review experts-import", "file"): TABLE,
    ("project edit", "--changes"): JSON,
    ("project sign", "--file"): BYTES,
    ("project change", "--payload"): AT_JSON,
    ("project change", "--file"): BYTES,
    ("project settings", "--tranches"): AT_JSON,
    ("project settings", "--consequences"): AT_JSON,
    ("project verify", "file"): JSON,
    ("project verify", "--guide"): GUIDE,
    ("project report", "--data"): JSON,
    ("project report", "--evidence"): BYTES,
    ("project accept", "--reasons"): JSON,
    ("project panel-opinion", "--data"): JSON,
}
# arguments whose help mentions files or JSON but which take text typed on the command line
NOT_FILES = {("call open", "--budgets"), ("guide export", "--format"), ("guide schema", "--part"), ("review assign", "--affinity-floor")}
OUTPUTS = {"--out", "--out-xlsx", "--out-json", "folder"}
MAIN_TABLES = (
    "orgs.Organisation",
    "orgs.Person",
    "auth.User",
    "guide.GuideVersion",
    "applications.Application",
    "applications.Attachment",
    "projects.Project",
    "projects.ProjectFile",
    "projects.Report",
    "review.Expert",
    "audit.AuditEvent",
)


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _leaves(sub, (*path, name))
            return
    yield " ".join(path), parser


def _name(action: argparse.Action) -> str:
    return action.option_strings[0] if action.option_strings else action.dest


def _reads_a_file(action: argparse.Action) -> bool:
    text = f"{action.dest} {action.help or ''}".lower()
    return any(w in text for w in ("file", "文件", "csv", "json")) and _name(action) not in OUTPUTS


def _verbs() -> dict[str, argparse.ArgumentParser]:
    return dict(_leaves(build_parser()))


def test_every_file_argument_is_classified():
    found = {
        (verb, _name(a))
        for verb, p in _verbs().items()
        for a in p._actions
        if _reads_a_file(a) and not isinstance(a, argparse._HelpAction) and verb != "manage"
    }
    unclassified = found - set(FILE_ARGS) - NOT_FILES
    assert not unclassified, f"classify these file arguments in FILE_ARGS: {sorted(unclassified)}"
    every = {(verb, _name(a)) for verb, p in _verbs().items() for a in p._actions}
    assert not set(FILE_ARGS) - every, "FILE_ARGS names an argument the parser no longer has"


# --------------------------------------------------------------------------- the corpus


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _bomb() -> bytes:
    """An xlsx-shaped zip of ~200 KB that inflates to 150 MB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        zf.writestr("xl/workbook.xml", b"<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b" " * (1024 * 1024)
            for _ in range(150):
                fh.write(chunk)
    return buf.getvalue()


@pytest.fixture(scope="module")
def corpus() -> dict[str, bytes | None]:
    """Malformed inputs, by class: None is a directory, "missing" a path that does not exist."""
    return {
        "broken-xlsx": b"PK\x03\x04" + random.Random(1).randbytes(2000),
        "bomb-xlsx": _bomb(),
        "not-a-workbook-zip": _zip({"hello.txt": b"hi"}),
        "utf16-broken-json": '{"direction": '.encode("utf-16"),
        "big-int": b'{"direction": "1", "facts": {"n": ' + b"7" * 5000 + b"}}",
        "deep": b"[" * 100_000 + b"]" * 100_000,
        "deep-objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        "directory": None,
        "nul-byte": b'{"direction": "a\x00b"}\nuscc,name\n1,a\x00b\n',
        "nul-escape": b'{"direction": "a\\u0000b", "facts": {}, "x\\u0000": 1}',
        "empty": b"",
        "garbage": random.Random(0).randbytes(4096),
        "bare-cr-garbage": b'{\r"direction":\r',
        "control-chars": b"uscc,name\r\x01\x02\x03\x04,\x05\x06\n",
        "nan": b'{"direction": "1", "facts": {"x": NaN}}',
    }


def _materialise(tmp_path: Path, key: str, content: bytes | None, how: str) -> str:
    suffix = ".xlsx" if key.endswith("xlsx") or key == "not-a-workbook-zip" else (".csv" if how == TABLE else ".json")
    p = tmp_path / f"{key}{suffix}"
    if content is None:
        p.mkdir()
    else:
        p.write_bytes(content)
    return str(p)


def _filler(verb: str, action: argparse.Action, tmp_path: Path, project: int) -> list[str]:
    """A plausible value for an argument not under test."""
    name = _name(action)
    if name in OUTPUTS:
        value = str(tmp_path / f"out-{action.dest}")
    elif action.choices:
        value = str(next(iter(action.choices)))
    elif action.dest in ("id",):
        value = str(project)
    elif action.dest in ("paid_on", "received_on", "rectify_by"):
        value = "2030-01-01"
    elif action.dest in ("k", "min_load", "max_load", "round", "call", "application", "tranche", "amount", "lock_version"):
        value = "1"
    else:
        value = "x"
    return [value] if not action.option_strings else [name, value]


def _argv(verb: str, parser: argparse.ArgumentParser, arg: str, path: str, tmp_path: Path, project: int) -> list[str]:
    argv = verb.split()
    for action in parser._actions:
        name = _name(action)
        if isinstance(action, argparse._HelpAction):
            continue
        if name == arg:
            value = f"@{path}" if FILE_ARGS[(verb, arg)] == AT_JSON else path
            argv += [value] if not action.option_strings else [name, value]
        elif (verb, name) in FILE_ARGS and (action.required or not action.option_strings):
            # another required file: a valid-looking but empty one, so the one under test is read
            other = tmp_path / f"other-{action.dest}.csv"
            other.write_text("", encoding="utf-8")
            argv += [str(other)] if not action.option_strings else [name, str(other)]
        elif action.required or (not action.option_strings and action.nargs not in ("?", "*")):
            argv += _filler(verb, action, tmp_path, project)
    return argv


def _counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in MAIN_TABLES}


@pytest.fixture(autouse=True)
def _no_migrate_each_time(monkeypatch):
    """The test database is migrated once; the verbs skip `migrate` on each run."""
    for mod in pkgutil.iter_modules(yongke.cli.__path__):
        module = importlib.import_module(f"yongke.cli.{mod.name}")
        if hasattr(module, "django_setup"):
            monkeypatch.setattr(module, "django_setup", lambda **_: None)


@pytest.fixture(scope="module")
def cases() -> list[tuple[str, str]]:
    return sorted(FILE_ARGS)


def test_malformed_files_are_bad_input_for_every_verb(capsys, tmp_path, corpus, cases):
    world = build_world()
    project = make_application_in("contracted", world=world).project.pk
    verbs = _verbs()
    before = _counts()
    failures = []
    for verb, arg in cases:
        how = FILE_ARGS[(verb, arg)]
        for key, content in [*corpus.items(), ("missing", b"")]:
            d = tmp_path / f"{verb.replace(' ', '_')}{arg}-{key}"
            d.mkdir()
            path = _materialise(d, key, content, how) if key != "missing" else str(d / "nowhere.json")
            argv = _argv(verb, verbs[verb], arg, path, d, project)
            code = run(argv)
            _, err = capsys.readouterr()
            allowed = (1, 2) if how in (BYTES, GUIDE) else (2,)
            if code not in allowed or err.count("\n") != 1 or "Traceback" in err:
                failures.append(f"{' '.join(argv)} → {code}: {err.strip()[:200]}")
    assert not failures, "\n".join(failures)
    assert _counts() == before


# --------------------------------------------------------------------------- valid content, other encodings

ORGS = "uscc,name,kind,district\n91450103MA5L123454,南宁测试科技有限公司,enterprise,450103\n"


def _encodings() -> list[tuple[str, bytes]]:
    return [
        ("utf-8", ORGS.encode()),
        ("utf-8-bom", ORGS.encode("utf-8-sig")),
        ("gbk", ORGS.encode("gbk")),
        ("gb18030", ORGS.encode("gb18030")),
        ("utf-16", ORGS.encode("utf-16")),
        ("utf-16-be", "\ufeff".encode("utf-16-be") + ORGS.encode("utf-16-be")),
        ("crlf", ORGS.replace("\n", "\r\n").encode()),
        ("bare-cr", ORGS.replace("\n", "\r").encode("gbk")),
    ]


@pytest.mark.parametrize(("encoding", "content"), _encodings(), ids=[e for e, _ in _encodings()])
def test_org_import_reads_every_encoding_excel_saves(capsys, tmp_path, encoding, content):
    from yongke.orgs.models import Organisation

    path = tmp_path / "orgs.csv"
    path.write_bytes(content)
    code = run(["org", "import", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["created"] == 1
    assert Organisation.objects.get(uscc="91450103MA5L123454").name == "南宁测试科技有限公司"


def test_check_reads_utf16_json(capsys, tmp_path):
    path = tmp_path / "check.json"
    path.write_bytes(json.dumps({"direction": "x", "facts": {}}).encode("utf-16"))
    code = run(["check", str(path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "UTF" not in err  # read: the complaint is about the direction, not the encoding
    assert "direction" in err or "方向" in err


@pytest.mark.parametrize("revision", ["x", "", "1.5", "9" * 40, -1, True, [1]])
def test_check_refuses_a_bad_revision(capsys, tmp_path, revision):
    path = tmp_path / "check.json"
    path.write_text(json.dumps({"version": "2022", "revision": revision, "direction": "1", "facts": {}}), encoding="utf-8")
    code = run(["check", str(path)])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert "revision" in err


def test_an_unreadable_file_is_bad_input(capsys, tmp_path, monkeypatch):
    path = tmp_path / "secret.json"
    path.write_text("{}", encoding="utf-8")
    real_open = Path.open

    def refuse(self, *args, **kwargs):  # what a file without read permission does (root reads every file)
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    code = run(["check", str(path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "无法读取" in err
    assert err.count("\n") == 1


def test_the_corpus_limits_are_the_documented_ones():
    assert (textio.MAX_JSON_DEPTH, textio.MAX_INT_DIGITS) == (64, 30)
    assert textio.MAX_ZIP_UNCOMPRESSED == 100 * 1024 * 1024


@pytest.mark.parametrize(
    "text", ['{"1": ' + "9" * 5000 + "}", "[" * 100_000 + "]" * 100_000, '{"1\\u0000": 1}'], ids=["5000-digits", "deep", "nul"]
)
def test_json_typed_on_the_command_line_is_held_to_the_same_limits(capsys, text):
    code = run(["call", "open", "--name", "x", "--closes-at", "2030-01-01T00:00", "--budgets", text])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert err.startswith("yongke: --budgets: ")
    assert err.count("\n") == 1
