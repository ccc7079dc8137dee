"""A guide as a folder: `guide.yaml`, one file per project, case files that state only what differs.

The folder an officer edits (docs/guide-format.md, "The guide folder"):

    nanning-2022/
      guide.yaml            id, version, title, text, preamble, claims, the facts and
                            parameters several projects share, the programmes, each
                            listing its project files in order
      projects/01.yaml      one project: its rules and directions, and the facts and
                            parameters only it reads, declared beside its rules
      cases/01.yaml         cases: named `bases`, and per direction cases that name a
                            base and give only the facts that differ (`null` removes one)
      nanning-2022.txt      the published text

`assemble` reads the folder into the one mapping a single guide file holds (the form a
stored guide version keeps and every check reads), and a `SourceMap` that takes a place in
that mapping back to the file and the part of it it came from, so that every problem names
its own file and line. A single guide file is still read as it is.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from yongke.guide.problems import GuideError, Place, line_of, render_path
from yongke.guide.schema import (
    CaseSpec,
    DirectionId,
    FactName,
    FactSpec,
    GuideSpec,
    ParameterSpec,
    ProjectSpec,
    Result,
    Text,
    Verdict,
)

GUIDE_FILE = "guide.yaml"


@dataclass(frozen=True)
class Mount:
    """A part of the assembled mapping (`at`) that came from `file`, at `within` in that file."""

    at: Place
    file: str
    node: yaml.Node | None
    within: Place = ()


@dataclass
class SourceMap:
    """Where each part of an assembled guide was written: the longest matching mount wins."""

    file: str
    node: yaml.Node | None
    mounts: list[Mount] = field(default_factory=list)

    def locate(self, path: Place) -> tuple[str, int | None]:
        """The file and line of a place in the assembled mapping."""
        best: Mount | None = None
        for m in self.mounts:
            if path[: len(m.at)] == m.at and (best is None or len(m.at) > len(best.at)):
                best = m
        if best is None:
            return self.file, line_of(self.node, path)
        return best.file, line_of(best.node, best.within + path[len(best.at) :])


# --------------------------------------------------------------------------- the files' structure


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FolderProgrammeSpec(_Part):
    id: Text
    name: Text
    name_inferred: bool = False
    text: Text | None = None
    projects: list[Text] = Field(default=[], description="the programme's project files, in the guide's order, relative to guide.yaml")


class FolderGuideSpec(GuideSpec):
    """`guide.yaml` of a guide folder: a single file's top level, its programmes listing
    project files, and the folder of case files."""

    programmes: list[FolderProgrammeSpec] = Field(default_factory=list)  # type: ignore[assignment]
    cases: Text | None = Field(default=None, description="the folder of case files, relative to guide.yaml")


class ProjectFileSpec(ProjectSpec):
    """A project's own file: the project, and the facts and parameters only it reads."""

    facts: dict[FactName, FactSpec] = Field(default_factory=dict)
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict)


class BaseCaseSpec(_Part):
    base: Text | None = Field(default=None, description="another base this one starts from")
    facts: dict[str, Any] = {}


class DeltaCaseSpec(_Part):
    name: Text | None = None
    base: Text | None = Field(default=None, description="the named base whose facts this case starts from")
    facts: dict[str, Any] = Field(default={}, description="facts that differ from the base; null removes one")
    verdict: Verdict
    rules: dict[str, Result] = {}


class CaseFileSpec(_Part):
    """A file under `cases/`: named bases, and cases per direction."""

    bases: dict[Text, BaseCaseSpec] = {}
    directions: dict[DirectionId, list[DeltaCaseSpec]] = {}


def part_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each kind of file in a guide folder."""
    out = {}
    for name, model, title in (
        ("guide", FolderGuideSpec, "Yongke guide folder: guide.yaml"),
        ("project", ProjectFileSpec, "Yongke guide folder: a project file"),
        ("cases", CaseFileSpec, "Yongke guide folder: a case file"),
    ):
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = title
        out[name] = schema
    return out


# --------------------------------------------------------------------------- assembling


class _At:
    """Problems of one file, in the shape the schema's error reporter adds them."""

    def __init__(self, folder: _Folder, file: Path, node: yaml.Node | None) -> None:
        self.folder, self.file, self.node = folder, file, node

    def add(self, path: Place, problem: str) -> None:
        self.folder.add(self.file, self.node, path, problem)


class _Folder:
    """One folder being read: every file's problems gathered, each at its own file and line."""

    def __init__(self, root: Path, read: Any) -> None:
        self.root = root
        self.read = read
        self.problems: list[dict[str, Any]] = []

    def add(self, file: Path, node: yaml.Node | None, place: Place, problem: str) -> None:
        item: dict[str, Any] = {"file": str(file), "where": render_path(place), "path": render_path(place), "problem": problem}
        line = line_of(node, place)
        if line is not None:
            item["line"] = line
        self.problems.append(item)

    def fail_if_any(self) -> None:
        if not self.problems:
            return
        first = self.problems[0]
        more = f"（另有 {len(self.problems) - 1} 处）" if len(self.problems) > 1 else ""
        at = f"{first['file']}:{first['line']}" if "line" in first else first["file"]
        raise GuideError(f"{at}: {first['where']}: {first['problem']}{more}", detail={"file": str(self.root), "problems": self.problems})

    def structure(self, file: Path, node: yaml.Node | None, raw: Any, model: type[BaseModel]) -> bool:
        """Whether `raw` has the structure `model` declares; each problem added at its line."""
        from yongke.guide.schema import report_error

        try:
            model.model_validate(raw)
        except ValidationError as e:
            for error in e.errors(include_url=False):
                report_error(error, _At(self, file, node))
            return False
        return True

    def mapping(self, file: Path) -> tuple[dict[str, Any], yaml.Node | None]:
        raw, node = self.read(file)
        if not isinstance(raw, dict):
            self.add(file, node, (), "文件应为映射 / a guide file is a mapping")
            self.fail_if_any()
        return raw, node


def is_folder_guide(path: Path) -> bool:
    return path.is_dir()


def assemble(root: Path, read: Any) -> tuple[dict[str, Any], SourceMap, Path]:
    """A guide folder as one mapping, the map back to its files, and the guide.yaml path.

    `read(path)` reads one YAML file into (data, node tree).
    """
    folder = _Folder(root, read)
    top_file = root / GUIDE_FILE
    if not top_file.is_file():
        raise GuideError(
            f"{root}: 指南目录缺少 {GUIDE_FILE} / no {GUIDE_FILE} in the folder", code="file_not_found", detail={"file": str(root)}
        )
    raw, node = folder.mapping(top_file)
    out = copy.deepcopy(raw)
    sources = SourceMap(str(top_file), node)
    out.setdefault("facts", {})
    out.setdefault("parameters", {})
    cases_dir = out.pop("cases", None)
    origin: dict[tuple[str, str], str] = {(k, n): str(top_file) for k in ("facts", "parameters") for n in out[k] or {}}
    for i, prog in enumerate(out.get("programmes") or []):
        if not isinstance(prog, dict):
            continue
        refs = prog.get("projects") or []
        prog["projects"] = [_project(folder, top_file, node, (i, j), ref, out, origin, sources) for j, ref in enumerate(refs)]
    if cases_dir is not None:
        _cases(folder, top_file, node, cases_dir, out, sources)
    folder.fail_if_any()
    return out, sources, top_file


def _project(
    folder: _Folder,
    top_file: Path,
    top_node: yaml.Node | None,
    at: tuple[int, int],
    ref: Any,
    out: dict[str, Any],
    origin: dict[tuple[str, str], str],
    sources: SourceMap,
) -> Any:
    """One project file read in; its facts and parameters joined to the guide's."""
    i, j = at
    place: Place = ("programmes", i, "projects", j)
    if not isinstance(ref, str):
        return ref  # a project written inline: the structure check reports it as it is
    path = (top_file.parent / ref).resolve()
    if not path.is_file():
        folder.add(top_file, top_node, place, f"项目文件不存在 {ref} / project file not found")
        return {}
    raw, node = folder.mapping(path)
    project = dict(raw)
    sources.mounts.append(Mount(place, str(path), node))
    for kind in ("facts", "parameters"):
        own = project.pop(kind, None) or {}
        if not isinstance(own, dict):
            folder.add(path, node, (kind,), f"{kind} 应为映射 / must be a mapping")
            continue
        for name, value in own.items():
            if (kind, name) in origin:
                folder.add(path, node, (kind, name), f"{name} 已在 {origin[kind, name]} 中声明 / declared twice")
                continue
            origin[kind, name] = str(path)
            out[kind][name] = value
            sources.mounts.append(Mount((kind, name), str(path), node, (kind, name)))
    return project


def _directions(out: dict[str, Any]) -> dict[str, tuple[Place, dict[str, Any]]]:
    found: dict[str, tuple[Place, dict[str, Any]]] = {}
    for i, prog in enumerate(out.get("programmes") or []):
        for j, project in enumerate(prog.get("projects") or [] if isinstance(prog, dict) else []):
            for k, d in enumerate(project.get("directions") or [] if isinstance(project, dict) else []):
                if isinstance(d, dict) and isinstance(d.get("id"), str):
                    found[d["id"]] = (("programmes", i, "projects", j, "directions", k), d)
    return found


def _cases(folder: _Folder, top_file: Path, top_node: yaml.Node | None, name: Any, out: dict[str, Any], sources: SourceMap) -> None:
    if not isinstance(name, str):
        folder.add(top_file, top_node, ("cases",), "cases 应为用例目录名 / cases names the folder of case files")
        return
    directory = top_file.parent / name
    if not directory.is_dir():
        folder.add(top_file, top_node, ("cases",), f"用例目录不存在 {name} / case folder not found")
        return
    directions = _directions(out)
    for path in sorted(directory.glob("*.yaml")):
        raw, node = folder.mapping(path)
        if not folder.structure(path, node, raw, CaseFileSpec):
            continue
        bases = raw.get("bases") or {}
        for did, cases in (raw.get("directions") or {}).items():
            if did not in directions:
                folder.add(path, node, ("directions", did), f"方向 {did} 不存在 / no such direction")
                continue
            place, direction = directions[did]
            listed = direction.setdefault("cases", [])
            for n, case in enumerate(cases if isinstance(cases, list) else []):
                at = (*place, "cases", len(listed))
                sources.mounts.append(Mount(at, str(path), node, ("directions", did, n)))
                listed.append(_expand(folder, path, node, ("directions", did, n), case, bases))


def _expand(folder: _Folder, path: Path, node: yaml.Node | None, place: Place, case: Any, bases: dict[str, Any]) -> Any:
    """A case with its base's facts filled in (a `null` fact removes the base's)."""
    if not isinstance(case, dict) or "base" not in case:
        return case
    case = dict(case)
    base = case.pop("base")
    facts = _base_facts(folder, path, node, (*place, "base"), base, bases, ())
    delta = case.get("facts") or {}
    if not isinstance(delta, dict):
        return case | {"facts": delta}
    merged = dict(facts)
    for k, v in delta.items():
        if v is None:
            merged.pop(k, None)
        else:
            merged[k] = v
    case["facts"] = merged
    return case


def _base_facts(
    folder: _Folder, path: Path, node: yaml.Node | None, place: Place, name: Any, bases: dict[str, Any], seen: tuple[str, ...]
) -> dict[str, Any]:
    if not isinstance(name, str) or name not in bases:
        folder.add(path, node, place, f"基准用例 {name} 不存在 / no such base case")
        return {}
    if name in seen:
        folder.add(path, node, ("bases", name), f"基准用例循环引用 {' → '.join((*seen, name))} / bases refer to each other")
        return {}
    base = bases[name] if isinstance(bases[name], dict) else {}
    facts: dict[str, Any] = {}
    if base.get("base") is not None:
        facts = _base_facts(folder, path, node, ("bases", name, "base"), base["base"], bases, (*seen, name))
    for k, v in (base.get("facts") or {}).items():
        if v is None:
            facts.pop(k, None)
        else:
            facts[k] = v
    return facts


__all__ = ["GUIDE_FILE", "CaseFileSpec", "CaseSpec", "FolderGuideSpec", "Mount", "ProjectFileSpec", "SourceMap", "assemble", "part_schemas"]


# --------------------------------------------------------------------------- splitting a single file


def _names_in(expr: Any) -> set[str]:
    from yongke.guide.engine import referenced_names

    if not isinstance(expr, str) or not expr.strip():
        return set()
    try:
        return set(referenced_names(" ".join(expr.split())))
    except ValueError:
        return set()


def _rule_names(rule: dict[str, Any]) -> set[str]:
    names = _names_in(rule.get("expr")) | set(rule.get("requires") or ())
    for step in (rule.get("terms") or []) + (rule.get("limits") or []):
        names |= _names_in(str(step.get("expr", "")))
    if isinstance(rule.get("cap"), str):
        names.add(rule["cap"])
    for m in (rule.get("once") or {}).get("match") or []:
        names.add(m.get("fact"))
    return names


def _project_names(project: dict[str, Any]) -> set[str]:
    """Every fact and parameter a project's rules and cases read."""
    names: set[str] = set()
    for rule in project.get("rules") or []:
        names |= _rule_names(rule)
    for d in project.get("directions") or []:
        for rule in d.get("rules") or []:
            names |= _rule_names(rule)
        for case in d.get("cases") or []:
            names |= set(case.get("facts") or {})
    return names


def _claims_names(claims: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for item in (claims.get("excludes") or []) + (claims.get("caps") or []):
        for m in (item.get("by") or {}).get("match") or []:
            names.add(m.get("fact"))
    return names


def _delta(base: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in facts.items() if k not in base or base[k] != v or type(base[k]) is not type(v)}
    out.update({k: None for k in base if k not in facts})
    return out


def _split_cases(project: dict[str, Any]) -> dict[str, Any] | None:
    """A project's cases as a case file: one base per direction (its first eligible case,
    shared where two directions' are the same), each case as what differs from it."""
    bases: dict[str, dict[str, Any]] = {}
    directions: dict[str, list[dict[str, Any]]] = {}
    for d in project.get("directions") or []:
        cases = d.pop("cases", None) or []
        if not cases:
            continue
        first = next((c for c in cases if c.get("verdict") == "eligible"), cases[0])
        facts = dict(first.get("facts") or {})
        name = next((n for n, b in bases.items() if b["facts"] == facts), None)
        if name is None:
            name = str(first.get("name") or f"{d['id']} 基准")
            if name in bases:
                name = f"{name}（{d['id']}）"
            bases[name] = {"facts": facts}
        listed = []
        for c in cases:
            own = dict(c.get("facts") or {})
            delta = _delta(facts, own)
            out = {k: v for k, v in c.items() if k not in ("facts",)}
            if len(delta) < len(own):
                out = {"name": c.get("name"), "base": name} if c.get("name") else {"base": name}
                if delta:
                    out["facts"] = delta
                out |= {k: v for k, v in c.items() if k not in ("name", "facts")}
            else:
                out = {k: v for k, v in c.items() if k != "facts"} | {"facts": own}
                out = {k: out[k] for k in ("name", "facts", "verdict", "rules") if k in out}
            listed.append(out)
        directions[d["id"]] = listed
    if not directions:
        return None
    return {"bases": bases, "directions": directions}


_PROJECT_KEYS = ("id", "name", "name_inferred", "funding", "review", "text", "facts", "parameters", "rules", "directions")


def split(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A single guide file's mapping as a folder's files (path → mapping): `guide.yaml`, a
    file per project with the facts and parameters only it reads, and a case file per
    project whose cases state what differs from a base."""
    raw = copy.deepcopy(raw)
    projects = [p for prog in raw.get("programmes") or [] for p in prog.get("projects") or []]
    readers: dict[str, set[str]] = {}
    for project in projects:
        for name in _project_names(project):
            readers.setdefault(name, set()).add(project["id"])
    shared = _claims_names(raw.get("claims") or {})
    for fact in (raw.get("facts") or {}).values():
        for s in (fact.get("history") or {}).get("any") or []:
            shared |= {m.get("fact") for m in s.get("match") or []}
    files: dict[str, dict[str, Any]] = {}
    width = max(2, len(str(len(projects))))
    for prog in raw.get("programmes") or []:
        refs = []
        for project in prog.get("projects") or []:
            stem = project["id"].zfill(width)
            own = {k for k, readers_of in readers.items() if readers_of == {project["id"]} and k not in shared}
            for kind in ("facts", "parameters"):
                mine = {n: v for n, v in (raw.get(kind) or {}).items() if n in own}
                if mine:
                    project[kind] = mine
                    for n in mine:
                        del raw[kind][n]
            cases = _split_cases(project)
            if cases is not None:
                files[f"cases/{stem}.yaml"] = cases
            files[f"projects/{stem}.yaml"] = {k: project[k] for k in _PROJECT_KEYS if k in project}
            refs.append(f"projects/{stem}.yaml")
        prog["projects"] = refs
    raw["cases"] = "cases"
    order = ("id", "version", "title", "text", "cases", "claims", "preamble", "facts", "parameters", "programmes")
    files[GUIDE_FILE] = {k: raw[k] for k in order if k in raw} | {k: v for k, v in raw.items() if k not in order}
    return files


def _header(path: str, data: dict[str, Any], title: str) -> str:
    if path == GUIDE_FILE:
        return f"# {title}：指南目录的总文件（事实、参数、专项与项目文件）。格式见 docs/guide-format.md\n"
    kind = "用例" if path.startswith("cases/") else "规则"
    ident = data.get("id") or path.rsplit("/", 1)[-1].removesuffix(".yaml").lstrip("0")
    name = f" {data['name']}" if data.get("name") else ""
    return f"# {title}：项目{ident}{name}的{kind}。格式见 docs/guide-format.md\n"


def dump(files: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each file of a split guide as YAML text (Chinese as written, keys in order, no wrapping)."""
    title = str(files.get(GUIDE_FILE, {}).get("title", ""))
    out = {}
    for path, data in files.items():
        body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=False)
        out[path] = _header(path, data, title) + body
    return out
