"""The bundled guide edited in a test: as a compiled guide, or written out as a file for the CLI."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from yongke.guide.engine import CompiledGuide
from yongke.guide.loader import default_guide_path, parse_guide, read_guide


@lru_cache(maxsize=1)
def _bundled() -> tuple[str, str]:
    raw, text, _ = read_guide(default_guide_path())
    return json.dumps(raw, ensure_ascii=False), text


def edited_raw(edit: Callable[[dict[str, Any]], Any] | None = None, *, replace: dict[str, str] | None = None) -> tuple[dict[str, Any], str]:
    """The bundled guide's mapping with every `replace` (old → new, on its JSON text) made, then `edit` applied."""
    data, text = _bundled()
    for old, new in (replace or {}).items():
        assert old in data
        data = data.replace(old, new)
    raw = copy.deepcopy(json.loads(data))
    if edit is not None:
        edit(raw)
    return raw, text


def edited(edit: Callable[[dict[str, Any]], Any] | None = None, *, replace: dict[str, str] | None = None) -> CompiledGuide:
    raw, text = edited_raw(edit, replace=replace)
    return CompiledGuide(parse_guide(raw, text=text, check_cases=False))


def write_guide(folder: Path, raw: dict[str, Any], text: str) -> Path:
    """The mapping as a single guide file beside its published text, for `--guide`."""
    (folder / raw["text"]).write_text(text, encoding="utf-8")
    path = folder / "g.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def direction_of(raw: dict[str, Any], direction: str) -> dict[str, Any]:
    return next(d for prog in raw["programmes"] for p in prog["projects"] for d in p["directions"] if d["id"] == direction)


def award_of(raw: dict[str, Any], direction: str) -> dict[str, Any]:
    return next(r for r in direction_of(raw, direction)["rules"] if r["kind"] == "award")
