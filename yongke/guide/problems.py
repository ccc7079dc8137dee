"""What is wrong with a guide file, and where: a path in the file, its line, the item it names.

Schema and semantic validation both report here. A problem's place is a path in the file
(`programmes[0].projects[2].rules[1].kind`); when the guide was read from YAML the line of
that place is added, and the id of the rule, direction or project it lies in, so that an
officer can find it both ways. Every problem is collected; the error names the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, NoReturn, Protocol

import yaml

from yongke.core.errors import BadInput

Place = tuple[str | int, ...]  # a path in the file: keys and list indexes

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# The item a path passes through, named by its id as people know it.
_ITEMS = {"programmes": "专项", "projects": "项目", "directions": "方向", "rules": "规则"}


class Reporter(Protocol):
    """Anything problems are added to at a place."""

    def add(self, path: Place, problem: str) -> None: ...


class GuideError(BadInput):
    code = "guide_invalid"


def render_path(path: Place) -> str:
    """`programmes[0].projects[2].rules[1].kind`, `cases[0].rules["1:ip"]`; the empty path is the file's top."""
    out = ""
    for key in path:
        if isinstance(key, int):
            out += f"[{key}]"
        elif not _NAME.match(key):
            out += f"[{json.dumps(key, ensure_ascii=False)}]"
        else:
            out += f".{key}" if out else key
    return out or "top"


def line_of(node: yaml.Node | None, path: Place) -> int | None:
    """The line of a place in a YAML file (1-based): its key's line, or its nearest parent's."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for key in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            found = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
            if found is not None:
                line, child = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            child = node.value[key]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def label_of(raw: Any, path: Place) -> str:
    """The innermost project, direction or rule (and case) a path lies in, by its id."""
    item = case = ""
    obj = raw
    for parent, key in zip(("", *path), path, strict=False):
        try:
            obj = obj[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(key, int) and isinstance(obj, dict):
            if parent in _ITEMS and isinstance(obj.get("id"), str):
                item = f"{_ITEMS[str(parent)]} {obj['id']}"
            elif parent == "cases":
                case = f"用例 {obj.get('name') or f'case {key + 1}'}"
    return "，".join(x for x in (item, case) if x)


class Problems:
    """The problems found in one guide file, each with its place."""

    def __init__(
        self,
        file: str,
        raw: Any = None,
        node: yaml.Node | None = None,
        locate: Callable[[Place], tuple[str, int | None]] | None = None,
    ) -> None:
        """`locate` takes a place to the file and line it was written at (a guide folder's
        files); without it every place is in `file`, at its line in `node`."""
        self.file = file
        self.raw = raw
        self.node = node
        self.locate = locate
        self.items: list[dict[str, Any]] = []

    def add(self, path: Place, problem: str) -> None:
        where = render_path(path)
        label = label_of(self.raw, path)
        item: dict[str, Any] = {"where": f"{where}（{label}）" if label else where, "path": where, "problem": problem}
        file, line = self.locate(path) if self.locate is not None else (self.file, line_of(self.node, path))
        if file != self.file:
            item["file"] = file
        if line is not None:
            item["line"] = line
        self.items.append(item)

    def raise_if_any(self) -> None:
        if self.items:
            self.fail()

    def fail(self) -> NoReturn:
        """Raise the error naming the first problem (and how many more there are)."""
        first = self.items[0] if self.items else {"where": "top", "problem": "指南无效 / invalid guide"}
        more = f"（另有 {len(self.items) - 1} 处）" if len(self.items) > 1 else ""
        file = first.get("file", self.file)
        at = f"{file}:{first['line']}" if "line" in first else file
        raise GuideError(f"{at}: {first['where']}: {first['problem']}{more}", detail={"file": self.file, "problems": self.items})
