"""A copy of the bundled guide folder to break in a test, one edit at a time."""

from __future__ import annotations

import shutil
from pathlib import Path

from yongke.guide.loader import default_guide_path


def copy_guide(tmp_path: Path, name: str = "g") -> Path:
    """The bundled guide folder copied under `tmp_path`."""
    target = tmp_path / name
    shutil.copytree(default_guide_path(), target)
    return target


def guide_files(folder: Path) -> list[Path]:
    """A folder's files in the order the guide reads them: guide.yaml, projects, cases."""
    return [folder / "guide.yaml", *sorted((folder / "projects").glob("*.yaml")), *sorted((folder / "cases").glob("*.yaml"))]


def edit_guide(folder: Path, old: str, new: str, *, file: str | None = None) -> tuple[Path, str]:
    """Replace the first `old` (in `file`, or in the first file holding it); the file and its new text."""
    for path in [folder / file] if file else guide_files(folder):
        text = path.read_text(encoding="utf-8")
        if old in text:
            edited = text.replace(old, new, 1)
            path.write_text(edited, encoding="utf-8")
            return path, edited
    raise AssertionError(f"{old!r} is in no file of {folder}")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1
