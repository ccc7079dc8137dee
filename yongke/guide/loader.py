"""Reading a guide: the YAML file and its published text in, a validated `Guide` out.

`load_guide` reads the file (a syntax error names the file and the line), checks its
structure against `yongke.guide.schema`, builds the plain data of `yongke.guide.model` and
has `yongke.guide.validate` check what it means; nothing is returned unless all of it holds.
`parse_guide` does the same for a mapping already read (a stored version's JSON).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from yongke.core import textio
from yongke.core.errors import BadInput
from yongke.guide.claims import Cap, Claims, Exclude, HistoryFact, HistoryKind, Match, Once, Period, Selector
from yongke.guide.engine import CompiledGuide
from yongke.guide.layout import GUIDE_FILE, SourceMap, assemble
from yongke.guide.model import AwardStep, Case, Direction, Document, Fact, FactGroup, Guide, Parameter, Programme, Project, Rule
from yongke.guide.problems import GuideError, Problems, line_of
from yongke.guide.schema import (
    CaseSpec,
    ClaimsSpec,
    DirectionSpec,
    DocumentSpec,
    FactGroupSpec,
    FactSpec,
    GuideSpec,
    LimitSpec,
    MatchSpec,
    OnceSpec,
    ParameterSpec,
    ProgrammeSpec,
    ProjectSpec,
    RuleSpec,
    SelectorSpec,
    TermSpec,
    YearsSpec,
    check_structure,
)
from yongke.guide.validate import validate_guide

DATA_DIR = Path(__file__).resolve().parent / "data"

_BOOKMARK = re.compile(r"\[bookmark: [^\]]*\]")


def clean_text(raw: str) -> str:
    """The published text as sources quote it: the `[bookmark: …]` tags removed."""
    return _BOOKMARK.sub("", raw)


def default_guide_path() -> Path:
    """The newest bundled guide (a folder with a guide.yaml, or a single file)."""
    found = sorted(
        [p for p in DATA_DIR.glob("nanning-*") if (p / GUIDE_FILE).is_file()] + list(DATA_DIR.glob("nanning-*.yaml")),
        key=lambda p: p.name.removesuffix(".yaml"),
    )
    if not found:
        raise GuideError("没有内置的指南 / no bundled guide", code="no_guide")
    return found[-1]


# --------------------------------------------------------------------------- files


def _read_text(p: Path) -> str:
    """A text file's content in any encoding `yongke.core.textio` reads; a missing file, a
    directory, an unreadable one or binary data is bad input naming the file."""
    return textio.read_text(p)


def read_yaml(path: Path | str) -> tuple[Any, yaml.Node | None]:
    """A YAML (or JSON) file's data and its node tree (which knows every value's line).

    A syntax error names the file and the line.
    """
    p = Path(path)
    text = _read_text(p)
    # libyaml's loader when PyYAML was built with it: the guide parses ten times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        textio.refuse_nul(data, source=str(p))  # a "\0" escape: no database text column holds it
        return data, node
    except (ValueError, RecursionError) as e:  # an integer of thousands of digits, a bad date, nesting without end
        raise BadInput(f"{p}: 无法读取的值 / unreadable value: {type(e).__name__}", code="syntax_error", detail={"file": str(p)}) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise BadInput(
            f"{p}:{line}: 语法错误 / syntax error: {problem}",
            code="syntax_error",
            detail={"file": str(p), "line": line, "problem": problem},
        ) from None
    finally:
        loader.dispose()


def read_json(path: Path | str) -> Any:
    """Read a JSON file (`-`: standard input); a syntax error names the file and the line.

    Within the limits of `yongke.core.textio.loads_json` (size, depth, digits, no NUL)."""
    return textio.read_json(path)


def _published_text(p: Path, raw: Any, node: yaml.Node | None) -> str:
    """The published text the guide file names in `text`, beside the file, cleaned."""
    if not isinstance(raw, dict):
        raise GuideError(f"{p}: 指南文件应为映射 / a guide is a mapping", detail={"file": str(p)})
    text_name = raw.get("text")
    if not text_name or not isinstance(text_name, str):
        raise GuideError(f"{p}: 缺少字段 text（原文文件）/ missing field text", detail={"file": str(p), "field": "text"})
    text_path = (p.parent / text_name).resolve()
    if not text_path.is_file():
        line = line_of(node, ("text",))
        raise GuideError(
            f"{p}:{line}: 原文文件不存在 {text_name} / published text not found",
            detail={"file": str(p), "field": "text", "line": line},
        )
    return clean_text(_read_text(text_path))


def read_guide(path: Path | str) -> tuple[dict[str, Any], str, SourceMap]:
    """A guide folder (or a single guide file) as the one mapping every check reads, its
    published text, and where each part of the mapping was written."""
    p = Path(path)
    if p.is_dir():
        raw, sources, top = assemble(p, read_yaml)
    else:
        raw, node = read_yaml(p)
        sources, top = SourceMap(str(p), node), p
    text = _published_text(top, raw, sources.node)
    # Stored as JSON: YAML dates and the like become their ISO text once, here.
    return json.loads(json.dumps(raw, ensure_ascii=False, default=str)), text, sources


def load_guide(path: Path | str | None = None, *, check_cases: bool = True) -> Guide:
    """Read and validate a guide (a folder, or a single file) and the published text it names."""
    raw, text, sources = read_guide(Path(path) if path else default_guide_path())
    return parse_guide(raw, text=text, file=sources.file, check_cases=check_cases, sources=sources)


def parse_guide(
    raw: Any,
    *,
    text: str,
    file: str = "<guide>",
    check_cases: bool = True,
    partial: bool = False,
    node: yaml.Node | None = None,
    sources: SourceMap | None = None,
) -> Guide:
    """Validate a parsed guide mapping and build the Guide; raise GuideError listing every problem.

    `node` is the YAML the mapping was read from (or `sources`, where a folder's files each
    wrote their part), for the file and line of each problem. `partial` accepts a guide of
    some programmes only (its projects need not be numbered from 1); `check_cases` False
    skips running the cases (a stored version was checked when loaded).
    """
    problems = Problems(file, raw, node, locate=sources.locate if sources is not None else None)
    spec = check_structure(raw, problems)
    guide = build_guide(spec, raw=raw, text=text)
    validate_guide(guide, problems, check_cases=check_cases, partial=partial)
    return guide


# --------------------------------------------------------------------------- building


def _digest(raw: Any, text: str) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str).encode())
    h.update(text.encode())
    return h.hexdigest()


def build_guide(spec: GuideSpec, *, raw: dict[str, Any], text: str) -> Guide:
    """The Guide a structurally valid file describes (what it means is not checked here)."""
    return Guide(
        version=spec.version,
        title=spec.title,
        text=text,
        facts={name: _fact(name, f) for name, f in spec.facts.items()},
        parameters={name: _parameter(name, p) for name, p in spec.parameters.items()},
        programmes=[_programme(prog) for prog in spec.programmes],
        digest=_digest(raw, text),
        raw=raw,
        preamble=list(spec.preamble),
        id=spec.id or f"guide-{spec.version}",
        claims=_claims(spec.claims),
        fact_groups={name: _fact_group(name, g) for name, g in spec.fact_groups.items()},
        documents={key: _document(key, d) for key, d in spec.documents.items()},
    )


def _document(key: str, spec: DocumentSpec) -> Document:
    return Document(key=key, label=spec.label, types=tuple(dict.fromkeys(spec.types)), when=spec.when, note=spec.note)


def _fact(name: str, spec: FactSpec) -> Fact:
    history = None
    if spec.history is not None:
        history = HistoryFact(any=tuple(_selector(s) for s in spec.history.any), recorded=spec.history.recorded, found=spec.history.found)
    return Fact(
        name=name,
        type=spec.type,
        label=spec.label,
        about=spec.about,
        unit=spec.unit,
        values=tuple(spec.values),
        labels=dict(spec.labels),
        history=history,
        registry=spec.registry,
    )


def _fact_group(name: str, spec: FactGroupSpec) -> FactGroup:
    return FactGroup(
        name=name,
        key_field=spec.key_field,
        value_field=spec.value_field,
        members=tuple((m.key, m.fact) for m in spec.facts),
        others=spec.others,
    )


def _period(spec: Literal["same_year", "ever"] | YearsSpec) -> Period:
    return Period("years", spec.years) if isinstance(spec, YearsSpec) else Period(spec)


def _match(spec: MatchSpec) -> Match:
    return Match(fact=spec.fact, entry_key=spec.entry, map=dict(spec.map))


def _selector(spec: SelectorSpec) -> Selector:
    return Selector(
        directions=tuple(spec.directions),
        kinds=tuple(spec.kinds),
        project=spec.project,
        period=_period(spec.period),
        match=tuple(_match(m) for m in spec.match),
    )


def _claims(spec: ClaimsSpec) -> Claims:
    return Claims(
        kinds={k: HistoryKind(label=v.label, levels=tuple(v.levels)) for k, v in spec.kinds.items()},
        excludes=tuple(
            Exclude(
                id=e.id,
                by=_selector(e.by),
                applies_to=e.applies_to if isinstance(e.applies_to, str) else tuple(e.applies_to),
                message=e.message,
                source=e.source,
            )
            for e in spec.excludes
        ),
        caps=tuple(
            Cap(id=c.id, directions=tuple(c.directions), amount=c.amount, period=_period(c.period), message=c.message, source=c.source)
            for c in spec.caps
        ),
    )


def _once(spec: OnceSpec, *, scope: str) -> Once:
    selector = Selector(
        directions=tuple(spec.directions) or (scope,), period=_period(spec.period), match=tuple(_match(m) for m in spec.match)
    )
    return Once(selector=selector, source=spec.source, **({"what": spec.what} if spec.what else {}))


def _parameter(name: str, spec: ParameterSpec) -> Parameter:
    from yongke.guide.model import Tier

    tiers = tuple(Tier(rate_pct=t.rate_pct, upto=t.upto) for t in spec.tiers or ())
    return Parameter(
        name=name,
        value=[t.as_dict() for t in tiers] if tiers else spec.value,
        label=spec.label if spec.label is not None else name,
        unit=spec.unit,
        assumed=spec.assumed,
        source=spec.source,
        tiers=tiers,
    )


def _programme(spec: ProgrammeSpec) -> Programme:
    return Programme(
        id=spec.id, name=spec.name, name_inferred=spec.name_inferred, text=spec.text or "", projects=[_project(p) for p in spec.projects]
    )


def _project(spec: ProjectSpec) -> Project:
    project = Project(
        id=spec.id,
        name=spec.name,
        name_inferred=spec.name_inferred,
        funding=spec.funding,
        review=spec.review if spec.review is not None else spec.funding == "pre",
        text=spec.text or "",
        rules=[_rule(r, scope=spec.id) for r in spec.rules],
        directions=[],
    )
    project.directions = [_direction(d, project) for d in spec.directions]
    return project


def _direction(spec: DirectionSpec, project: Project) -> Direction:
    own = [_rule(r, scope=spec.id) for r in spec.rules]
    cases = [_case(c, i) for i, c in enumerate(spec.cases)]
    return Direction(id=spec.id, name=spec.name, text=spec.text, rules=project.rules + own, cases=cases, project=project)


def _rule(spec: RuleSpec, *, scope: str) -> Rule:
    return Rule(
        id=spec.id,
        kind=spec.kind,
        message=spec.message,
        source=spec.source,
        expr=_one_line(spec.expr) if spec.expr else None,
        evidence=spec.evidence,
        reason=spec.reason,
        cap=spec.cap,
        scope=scope,
        requires=tuple(spec.requires or ()),
        terms=tuple(_step(s) for s in spec.terms or ()),
        limits=tuple(_step(s) for s in spec.limits or ()),
        note=spec.note,
        ambiguous=spec.ambiguous,
        once=_once(spec.once, scope=scope) if spec.once is not None else None,
    )


def _step(spec: TermSpec) -> AwardStep:
    return AwardStep(step=spec.step, expr=_one_line(spec.expr), source=spec.source, per_year=isinstance(spec, LimitSpec) and spec.per_year)


def _case(spec: CaseSpec, index: int) -> Case:
    return Case(name=spec.name or f"case {index + 1}", facts=dict(spec.facts), verdict=spec.verdict, rules=dict(spec.rules))


def _one_line(expr: str) -> str:
    """An expression as the engines compile it: a folded YAML block becomes one line."""
    return " ".join(expr.split())


# --------------------------------------------------------------------------- the bundled guide


@lru_cache(maxsize=8)
def _bundled(path: str) -> CompiledGuide:
    return CompiledGuide(load_guide(path, check_cases=False))


def bundled_guide(path: str | None = None) -> CompiledGuide:
    """The bundled guide file (or the one at `path`), loaded and compiled once per process."""
    return _bundled(str(path or default_guide_path()))
