"""The guide file: parsing and validation, with no Django import.

A guide file (see docs/guide-format.md) is read into plain dataclasses. `load_guide`
validates everything a guide must satisfy before anything is stored or evaluated: the
structure, unique ids, declared facts and units, expressions that compile in both engines,
every `source` a verbatim part of the published text, and every test case well formed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from yongke.core.errors import BadInput

DATA_DIR = Path(__file__).resolve().parent / "data"

FACT_TYPES = ("bool", "int", "money", "number", "enum", "string", "date")
NUMERIC_TYPES = ("int", "money", "number")
UNITS = ("元", "亩", "头", "羽", "只", "人次", "m²", "件", "项", "个", "名", "人", "户", "场", "位", "天", "分", "%", "年", "次", "家")
ABOUT = ("application", "organisation")
KINDS = ("eligibility", "commitment", "document", "priority", "naming", "limit", "award", "officer")
GATING_KINDS = ("eligibility", "commitment", "naming", "limit")
MACHINE_KINDS = GATING_KINDS + ("priority", "award")
RESULTS = ("pass", "fail", "missing", "manual")
VERDICTS = ("eligible", "not_eligible", "incomplete")
FUNDING = ("pre", "post")

_BOOKMARK = re.compile(r"\[bookmark: [^\]]*\]")
_DIRECTION_ID = re.compile(r"^([1-9][0-9]*)\.([1-9][0-9]*)$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_RULE_ID = re.compile(r"^[0-9]+(\.[0-9]+)?:[a-z0-9_]+$")


class GuideError(BadInput):
    code = "guide_invalid"


def clean_text(raw: str) -> str:
    """The published text as sources quote it: the `[bookmark: …]` tags removed."""
    return _BOOKMARK.sub("", raw)


@dataclass(frozen=True)
class Fact:
    name: str
    type: str
    label: str
    about: str
    unit: str | None = None
    values: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "type": self.type, "label": self.label, "about": self.about}
        if self.unit:
            d["unit"] = self.unit
        if self.values:
            d["values"] = list(self.values)
            d["labels"] = dict(self.labels)
        return d


@dataclass(frozen=True)
class Parameter:
    name: str
    value: Any
    label: str
    unit: str | None = None
    assumed: bool = False
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "value": self.value, "label": self.label, "assumed": self.assumed}
        if self.unit:
            d["unit"] = self.unit
        if self.source:
            d["source"] = self.source
        return d


@dataclass(frozen=True)
class AwardStep:
    """One line of an award's breakdown: a part of the amount, or a limit that cuts it.

    `step` is shown to people; `{name}` in it is replaced by the fact's or parameter's value.
    A limit with `per_year` holds over all of an organisation's claims under the direction
    in one year, so what its history already received that year reduces the room.
    """

    step: str
    expr: str
    source: str
    per_year: bool = False

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"step": self.step, "expr": self.expr, "source": self.source}
        if self.per_year:
            d["per_year"] = True
        return d


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    message: str
    source: str
    expr: str | None = None
    evidence: str | None = None
    reason: str | None = None
    cap: str | int | None = None  # award rules: the amount never exceeds this (yuan, or a parameter name)
    scope: str = ""  # the project or direction id that declares the rule
    # Award rules only, all optional: the facts a quote cannot do without (other gating facts
    # not given are left to the officer), and the breakdown: terms that add up to the amount
    # before limits, then limits in order. Together they must give exactly what `expr` and
    # `cap` give; validation checks that on every case.
    requires: tuple[str, ...] = ()
    terms: tuple[AwardStep, ...] = ()
    limits: tuple[AwardStep, ...] = ()

    @property
    def gating(self) -> bool:
        return self.kind in GATING_KINDS

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "kind": self.kind, "expr": self.expr, "message": self.message, "source": self.source}
        if self.evidence:
            d["evidence"] = self.evidence
        if self.reason:
            d["reason"] = self.reason
        if self.cap is not None:
            d["cap"] = self.cap
        if self.requires:
            d["requires"] = list(self.requires)
        if self.terms:
            d["terms"] = [t.as_dict() for t in self.terms]
        if self.limits:
            d["limits"] = [t.as_dict() for t in self.limits]
        return d


@dataclass(frozen=True)
class Case:
    name: str
    facts: dict[str, Any]
    verdict: str
    rules: dict[str, str]


@dataclass
class Direction:
    id: str
    name: str
    text: str
    rules: list[Rule]  # the project's rules, then the direction's own
    cases: list[Case]
    project: Project | None = None


@dataclass
class Project:
    id: str
    name: str
    name_inferred: bool
    funding: str
    review: bool
    text: str
    rules: list[Rule]
    directions: list[Direction]


@dataclass
class Programme:
    id: str
    name: str
    name_inferred: bool
    text: str
    projects: list[Project]


@dataclass
class Guide:
    version: str
    title: str
    text: str  # the cleaned published text
    facts: dict[str, Fact]
    parameters: dict[str, Parameter]
    programmes: list[Programme]
    digest: str
    raw: dict[str, Any]
    preamble: list[str] = field(default_factory=list)

    @property
    def projects(self) -> list[Project]:
        return [p for prog in self.programmes for p in prog.projects]

    @property
    def directions(self) -> list[Direction]:
        return [d for p in self.projects for d in p.directions]

    def direction(self, direction_id: str) -> Direction:
        for d in self.directions:
            if d.id == direction_id:
                return d
        raise BadInput(
            f"未知的申报方向：{direction_id} / unknown direction",
            code="unknown_direction",
            detail={"field": "direction", "value": direction_id},
        )

    @property
    def rules(self) -> list[Rule]:
        seen: dict[str, Rule] = {}
        for d in self.directions:
            for r in d.rules:
                seen.setdefault(r.id, r)
        return list(seen.values())

    def export(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "title": self.title,
            "digest": self.digest,
            "facts": [f.as_dict() for f in self.facts.values()],
            "parameters": [p.as_dict() for p in self.parameters.values()],
            "programmes": [
                {
                    "id": prog.id,
                    "name": prog.name,
                    "name_inferred": prog.name_inferred,
                    "projects": [
                        {
                            "id": p.id,
                            "name": p.name,
                            "name_inferred": p.name_inferred,
                            "funding": p.funding,
                            "review": p.review,
                            "directions": [
                                {"id": d.id, "name": d.name, "text": d.text, "rules": [r.as_dict() for r in d.rules]}
                                for d in p.directions
                            ],
                        }
                        for p in prog.projects
                    ],
                }
                for prog in self.programmes
            ],
        }


# --------------------------------------------------------------------------- reading


def read_yaml(path: Path | str) -> Any:
    """Read a YAML (or JSON) file; a syntax error names the file and the line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"文件不存在：{p} / file not found", code="file_not_found", detail={"file": str(p)}) from None
    except UnicodeDecodeError as e:
        raise BadInput(f"{p}: 不是 UTF-8 文本 / not UTF-8 text", code="bad_encoding", detail={"file": str(p)}) from e
    try:
        # libyaml's loader when PyYAML was built with it: the guide parses ten times faster.
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise BadInput(
            f"{p}:{line}: 语法错误 / syntax error: {problem}",
            code="syntax_error",
            detail={"file": str(p), "line": line, "problem": problem},
        ) from None


def read_json(path: Path | str) -> Any:
    """Read a JSON file; a syntax error names the file and the line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8") if str(path) != "-" else sys.stdin.read()
    except FileNotFoundError:
        raise BadInput(f"文件不存在：{p} / file not found", code="file_not_found", detail={"file": str(p)}) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(
            f"{p}:{e.lineno}: JSON 语法错误 / syntax error: {e.msg}",
            code="syntax_error",
            detail={"file": str(p), "line": e.lineno, "column": e.colno, "problem": e.msg},
        ) from None


def default_guide_path() -> Path:
    """The newest bundled guide file."""
    files = sorted(DATA_DIR.glob("nanning-*.yaml"))
    if not files:
        raise GuideError("没有内置的指南文件 / no bundled guide", code="no_guide")
    return files[-1]


# --------------------------------------------------------------------------- validation


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[dict[str, str]] = []

    def add(self, where: str, problem: str) -> None:
        self.items.append({"where": where, "problem": problem})

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            more = f"（另有 {len(self.items) - 1} 处）" if len(self.items) > 1 else ""
            raise GuideError(
                f"{self.file}: {first['where']}: {first['problem']}{more}",
                detail={"file": self.file, "problems": self.items},
            )


def _req(obj: Any, key: str, where: str, probs: _Problems, typ: type = str) -> Any:
    if not isinstance(obj, dict) or key not in obj or obj[key] in (None, ""):
        probs.add(where, f"缺少字段 {key} / missing field")
        return None
    if not isinstance(obj[key], typ):
        probs.add(where, f"字段 {key} 类型应为 {typ.__name__} / wrong type")
        return None
    return obj[key]


def _read_fact(name: str, d: Any, probs: _Problems) -> Fact | None:
    where = f"facts.{name}"
    if not _NAME.match(str(name)):
        probs.add(where, "事实名须为小写字母、数字和下划线 / bad fact name")
        return None
    if not isinstance(d, dict):
        probs.add(where, "应为映射 / must be a mapping")
        return None
    typ = _req(d, "type", where, probs)
    label = _req(d, "label", where, probs)
    about = _req(d, "about", where, probs)
    if typ and typ not in FACT_TYPES:
        probs.add(where, f"未知类型 {typ}，应为 {', '.join(FACT_TYPES)}")
    if about and about not in ABOUT:
        probs.add(where, f"about 应为 {' 或 '.join(ABOUT)}")
    unit = d.get("unit")
    if typ in NUMERIC_TYPES and not unit:
        probs.add(where, "数量须声明单位 / a quantity must declare its unit")
    if unit and unit not in UNITS:
        probs.add(where, f"未知单位 {unit}")
    if typ == "money" and unit and unit != "元":
        probs.add(where, "金额的单位必须是元 / money is in yuan")
    values = tuple(str(v) for v in (d.get("values") or ()))
    if typ == "enum" and not values:
        probs.add(where, "枚举须列出 values / an enum lists its values")
    labels = d.get("labels") or {}
    if typ == "enum":
        for v in values:
            if v not in labels:
                probs.add(where, f"枚举值 {v} 缺少中文标签 labels")
    return Fact(name=name, type=typ or "string", label=label or name, about=about or "application", unit=unit, values=values, labels=dict(labels))


def _read_rule(d: Any, scope: str, where: str, text: str, probs: _Problems) -> Rule | None:
    if not isinstance(d, dict):
        probs.add(where, "规则应为映射 / a rule must be a mapping")
        return None
    rid = _req(d, "id", where, probs)
    where = f"{where}[{rid}]"
    kind = _req(d, "kind", where, probs)
    message = _req(d, "message", where, probs)
    source = _req(d, "source", where, probs)
    expr = d.get("expr")
    if rid and not _RULE_ID.match(rid):
        probs.add(where, "规则编号格式应为 <项目或方向>:<小写名> / bad rule id")
    if rid and not rid.startswith(scope + ":"):
        probs.add(where, f"规则编号须以 {scope}: 开头 / rule id must start with its scope")
    if kind and kind not in KINDS:
        probs.add(where, f"未知类别 {kind}，应为 {', '.join(KINDS)}")
    if kind in GATING_KINDS + ("award",) and not expr:
        probs.add(where, f"{kind} 规则须有表达式 expr")
    if kind in ("document", "officer") and expr:
        probs.add(where, f"{kind} 规则由人工判断，不应有 expr")
    if kind == "officer" and not d.get("reason"):
        probs.add(where, "officer 规则须写明机器无法判断的原因 reason")
    if kind == "document" and not d.get("evidence"):
        probs.add(where, "document 规则须写明所需证明材料 evidence")
    if source and source not in text:
        probs.add(where, f"source 不是指南原文的一部分 / source is not verbatim: {source[:40]}…")
    cap = d.get("cap")
    if cap is not None and kind != "award":
        probs.add(where, "只有 award 规则可以有 cap")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, (int, str))):
        probs.add(where, "cap 应为整数（元）或参数名")
    if expr is not None and not isinstance(expr, str):
        probs.add(where, "expr 应为字符串")
        expr = None
    requires = d.get("requires")
    if requires is not None and (kind != "award" or not isinstance(requires, list) or not all(isinstance(x, str) for x in requires)):
        probs.add(where, "requires 只用于 award 规则，应为事实名列表 / requires is a list of fact names on award rules")
        requires = None
    terms = _read_steps(d.get("terms"), "terms", kind, where, text, probs)
    limits = _read_steps(d.get("limits"), "limits", kind, where, text, probs)
    if limits and not terms:
        probs.add(where, "有 limits 时须同时给出 terms / limits need terms")
    return Rule(
        id=rid or "?", kind=kind or "officer", message=message or "", source=source or "", expr=" ".join(expr.split()) if expr else None,
        evidence=d.get("evidence"), reason=d.get("reason"), cap=cap, scope=scope,
        requires=tuple(requires or ()), terms=terms, limits=limits,
    )


_STEP_KEYS = {"terms": {"step", "expr", "source"}, "limits": {"step", "expr", "source", "per_year"}}


def _read_steps(items: Any, key: str, kind: str | None, where: str, text: str, probs: _Problems) -> tuple[AwardStep, ...]:
    """An award rule's `terms` or `limits`: each a shown step, its CEL amount, its verbatim clause."""
    if items is None:
        return ()
    if kind != "award" or not isinstance(items, list) or not items:
        probs.add(where, f"{key} 只用于 award 规则，应为非空列表 / {key} is a non-empty list on award rules")
        return ()
    out = []
    for i, item in enumerate(items):
        w = f"{where}.{key}[{i}]"
        if not isinstance(item, dict):
            probs.add(w, "应为映射 / must be a mapping")
            continue
        unknown = sorted(set(item) - _STEP_KEYS[key])
        if unknown:
            probs.add(w, f"未知字段 {', '.join(unknown)} / unknown field")
        step = _req(item, "step", w, probs)
        source = _req(item, "source", w, probs)
        expr = item.get("expr")
        if isinstance(expr, int) and not isinstance(expr, bool):
            expr = str(expr)
        if not isinstance(expr, str) or not expr.strip():
            probs.add(w, "缺少字段 expr / missing field")
            continue
        if source and source not in text:
            probs.add(w, f"source 不是指南原文的一部分 / source is not verbatim: {source[:40]}…")
        per_year = item.get("per_year", False)
        if not isinstance(per_year, bool):
            probs.add(w, "per_year 应为 true/false")
            per_year = False
        out.append(AwardStep(step=step or "", expr=" ".join(expr.split()), source=source or "", per_year=per_year))
    return tuple(out)


STEP_NAME = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def coerce_fact(fact: Fact, value: Any, *, where: str = "facts") -> Any:
    """Check one fact value against its declaration; return the value the engine reads."""
    field_name = f"{where}.{fact.name}"

    def bad(rule: str) -> BadInput:
        return BadInput(
            f"{field_name}: {rule}（收到 {json.dumps(value, ensure_ascii=False)}）",
            code="bad_fact",
            detail={"field": field_name, "rule": rule, "value": value},
        )

    if value is None:
        return None
    t = fact.type
    if t == "bool":
        if not isinstance(value, bool):
            raise bad("应为布尔值 true/false / must be a boolean")
        return value
    if t in ("int", "money"):
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise bad(f"应为整数{'（元）' if t == 'money' else ''} / must be a whole number")
        if value < 0:
            raise bad("不能为负数 / must not be negative")
        return value
    if t == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("应为数值 / must be a number")
        if value < 0:
            raise bad("不能为负数 / must not be negative")
        return float(value)
    if t == "enum":
        if not isinstance(value, str) or value not in fact.values:
            raise bad(f"应为 {', '.join(fact.values)} 之一 / must be one of the listed values")
        return value
    if t == "string":
        if not isinstance(value, str):
            raise bad("应为文本 / must be text")
        return value
    if t == "date":
        if not isinstance(value, (str, dt.date)):
            raise bad("应为日期 YYYY-MM-DD / must be an ISO date")
        try:
            return (value if isinstance(value, dt.date) else dt.date.fromisoformat(value)).isoformat()
        except ValueError:
            raise bad("应为日期 YYYY-MM-DD / must be an ISO date") from None
    raise bad("未知类型")


def coerce_facts(facts: dict[str, Fact], given: Any, *, where: str = "facts") -> dict[str, Any]:
    if not isinstance(given, dict):
        raise BadInput(f"{where} 应为对象 / must be an object", code="bad_input", detail={"field": where})
    out: dict[str, Any] = {}
    for name, value in given.items():
        fact = facts.get(name)
        if fact is None:
            raise BadInput(
                f"{where}.{name}: 未声明的事实 / unknown fact",
                code="unknown_fact",
                detail={"field": f"{where}.{name}", "rule": "facts must be declared in the guide"},
            )
        v = coerce_fact(fact, value, where=where)
        if v is not None:
            out[name] = v
    return out


def _digest(raw: Any, text: str) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str).encode())
    h.update(text.encode())
    return h.hexdigest()


def parse_guide(raw: Any, *, text: str, file: str = "<guide>", check_cases: bool = True, partial: bool = False) -> Guide:
    """Validate a parsed guide mapping and build the Guide; raise GuideError listing every problem."""
    from yongke.guide import engine  # the engines validate expressions; they import nothing of ours but spec

    probs = _Problems(file)
    if not isinstance(raw, dict):
        probs.add("top", "指南文件应为映射 / a guide is a mapping")
        probs.raise_if_any()
    version = str(_req(raw, "version", "top", probs) or "")
    title = _req(raw, "title", "top", probs) or ""
    facts: dict[str, Fact] = {}
    for name, d in (raw.get("facts") or {}).items():
        f = _read_fact(name, d, probs)
        if f:
            facts[name] = f
    params: dict[str, Parameter] = {}
    for name, d in (raw.get("parameters") or {}).items():
        where = f"parameters.{name}"
        if not isinstance(d, dict) or "value" not in d:
            probs.add(where, "参数须有 value")
            continue
        if name in facts:
            probs.add(where, "参数名与事实名重复")
        if not isinstance(d["value"], (int, float)) or isinstance(d["value"], bool):
            probs.add(where, "参数值应为数值")
        src = d.get("source")
        if src and src not in text:
            probs.add(where, "source 不是指南原文的一部分 / source is not verbatim")
        params[name] = Parameter(name=name, value=d["value"], label=d.get("label", name), unit=d.get("unit"), assumed=bool(d.get("assumed")), source=src)

    preamble = [str(x) for x in (raw.get("preamble") or [])]
    for i, para in enumerate(preamble):
        if para not in text:
            probs.add(f"preamble[{i}]", "不是指南原文的一部分 / not verbatim")
    names = set(facts) | set(params)
    rule_ids: set[str] = set()
    direction_ids: set[str] = set()
    project_ids: list[int] = []
    programmes: list[Programme] = []

    def read_rules(items: Any, scope: str, where: str) -> list[Rule]:
        out = []
        for i, rd in enumerate(items or []):
            r = _read_rule(rd, scope, f"{where}.rules[{i}]", text, probs)
            if not r:
                continue
            if r.id in rule_ids:
                probs.add(where, f"规则编号重复 {r.id} / duplicate rule id")
            rule_ids.add(r.id)
            if r.expr:
                try:
                    used = engine.referenced_names(r.expr)
                except ValueError as e:
                    probs.add(f"{where}[{r.id}]", f"表达式无法编译 / expression does not compile: {str(e).splitlines()[0]}")
                    out.append(r)
                    continue
                unknown = sorted(set(used) - names)
                if isinstance(r.cap, str) and r.cap not in params:
                    probs.add(f"{where}[{r.id}]", f"cap 引用了未声明的参数 {r.cap}")
                if unknown:
                    probs.add(f"{where}[{r.id}]", f"表达式使用了未声明的事实 {', '.join(unknown)} / unknown fact")
                try:
                    if check_cases:  # full validation; stored versions were validated when loaded
                        engine.columnar_check(r.expr)
                except ValueError as e:
                    probs.add(f"{where}[{r.id}]", f"表达式超出可按列计算的子集 / not in the column subset: {e}")
                if r.kind == "award":
                    check_award_parts(r, used, f"{where}[{r.id}]")
            out.append(r)
        return out

    def check_award_parts(r: Rule, used: list[str], where: str) -> None:
        """Every name a breakdown reads is declared; a quote given `requires` can always compute it."""
        read = set(used)
        for part, s in [("terms", t) for t in r.terms] + [("limits", t) for t in r.limits]:
            try:
                names_in = set(engine.referenced_names(s.expr))
                if check_cases:  # as for rules: stored versions were checked when loaded
                    engine.columnar_check(s.expr)
            except ValueError as e:
                probs.add(where, f"{part} 表达式无法编译 / expression does not compile: {str(e).splitlines()[0]}")
                continue
            shown = set(STEP_NAME.findall(s.step))
            for n in sorted((names_in | shown) - names):
                probs.add(where, f"{part} 使用了未声明的名称 {n} / unknown name")
            read |= names_in | shown
        for n in r.requires:
            if n not in facts:
                probs.add(where, f"requires 列出了未声明的事实 {n} / unknown fact")
        if r.requires:
            needed = sorted((read & set(facts)) - set(r.requires))
            if needed:
                probs.add(where, f"requires 须包含公式读取的事实 {', '.join(needed)} / requires must list every fact the award reads")

    for pi, prd in enumerate(raw.get("programmes") or []):
        pw = f"programmes[{pi}]"
        prog = Programme(
            id=str(_req(prd, "id", pw, probs) or ""), name=_req(prd, "name", pw, probs) or "",
            name_inferred=bool(prd.get("name_inferred")) if isinstance(prd, dict) else False,
            text=(prd.get("text") or "") if isinstance(prd, dict) else "", projects=[],
        )
        if prog.text and prog.text not in text:
            probs.add(pw, "text 不是指南原文的一部分 / text is not verbatim")
        if prog.name and not prog.name_inferred and prog.name not in text:
            probs.add(pw, f"名称 {prog.name} 不在原文中，应标记 name_inferred")
        for ji, pjd in enumerate((prd or {}).get("projects") or []):
            jw = f"{pw}.projects[{ji}]"
            pid = str(_req(pjd, "id", jw, probs) or "")
            jw = f"project {pid}"
            if not pid.isdigit():
                probs.add(jw, "项目编号应为数字")
            else:
                project_ids.append(int(pid))
            funding = pjd.get("funding") if isinstance(pjd, dict) else None
            if funding not in FUNDING:
                probs.add(jw, f"funding 应为 {' 或 '.join(FUNDING)}")
            proj = Project(
                id=pid, name=_req(pjd, "name", jw, probs) or "", name_inferred=bool(pjd.get("name_inferred")),
                funding=funding or "pre", review=bool(pjd.get("review", funding == "pre")), text=pjd.get("text") or "",
                rules=read_rules(pjd.get("rules"), pid, jw), directions=[],
            )
            if proj.text and proj.text not in text:
                probs.add(jw, "text 不是指南原文的一部分 / text is not verbatim")
            if proj.name and not proj.name_inferred and proj.name not in text:
                probs.add(jw, f"名称 {proj.name} 不在原文中，应标记 name_inferred")
            for di, dd in enumerate(pjd.get("directions") or []):
                dw = f"{jw}.directions[{di}]"
                did = str(_req(dd, "id", dw, probs) or "")
                m = _DIRECTION_ID.match(did)
                if not m or m.group(1) != pid:
                    probs.add(dw, f"方向编号 {did} 应为 {pid}.<序号>")
                elif int(m.group(2)) != di + 1:
                    probs.add(dw, f"方向编号 {did} 不连续，应为 {pid}.{di + 1}")
                if did in direction_ids:
                    probs.add(dw, f"方向编号重复 {did}")
                direction_ids.add(did)
                dw = f"direction {did}"
                dtext = _req(dd, "text", dw, probs) or ""
                if dtext and dtext not in text:
                    probs.add(dw, "text 不是指南原文的一部分 / text is not verbatim")
                own = read_rules(dd.get("rules"), did, dw)
                direction = Direction(id=did, name=_req(dd, "name", dw, probs) or "", text=dtext, rules=proj.rules + own, cases=[], project=proj)
                for ci, cd in enumerate(dd.get("cases") or []):
                    cw = f"{dw}.cases[{ci}]"
                    if not isinstance(cd, dict) or not isinstance(cd.get("facts"), dict):
                        probs.add(cw, "测试用例须有 facts 映射")
                        continue
                    verdict = cd.get("verdict")
                    if verdict not in VERDICTS:
                        probs.add(cw, f"verdict 应为 {', '.join(VERDICTS)}")
                    expected = {str(k): str(v) for k, v in (cd.get("rules") or {}).items()}
                    known = {r.id for r in direction.rules}
                    for k, v in expected.items():
                        if k not in known:
                            probs.add(cw, f"用例引用了本方向没有的规则 {k}")
                        if v not in RESULTS:
                            probs.add(cw, f"规则结果应为 {', '.join(RESULTS)}")
                    for k in cd["facts"]:
                        if k not in facts:
                            probs.add(cw, f"用例使用了未声明的事实 {k}")
                    direction.cases.append(Case(name=str(cd.get("name") or f"case {ci + 1}"), facts=dict(cd["facts"]), verdict=str(verdict), rules=expected))
                proj.directions.append(direction)
            if not proj.directions:
                probs.add(jw, "项目至少有一个方向")
            prog.projects.append(proj)
        programmes.append(prog)

    if not partial and project_ids != list(range(1, len(project_ids) + 1)):
        probs.add("programmes", "项目编号应按指南顺序从 1 连续编号")
    probs.raise_if_any()

    guide = Guide(
        version=version, title=title, text=text, facts=facts, parameters=params, programmes=programmes,
        digest=_digest(raw, text), raw=raw, preamble=preamble,
    )
    spans = project_spans(guide)
    for proj in guide.projects:
        span = spans.get(proj.id)
        if span is None:
            probs.add(f"project {proj.id}", "在原文中找不到该项目的方向原文 / project not found in the text")
            continue
        section = text[span[0]:span[1]]
        for r in proj.rules + [r for d in proj.directions for r in d.rules if r.scope == d.id]:
            if r.source and r.source in text and r.source not in section:
                probs.add(f"project {proj.id}[{r.id}]", "source 不在本项目的原文段落内 / source quotes another project's text")
            for s in r.terms + r.limits:
                if s.source in text and s.source not in section:
                    probs.add(f"project {proj.id}[{r.id}]", "分项 source 不在本项目的原文段落内 / step source quotes another project's text")
    for d in guide.directions:
        d_ids = [r.id for r in d.rules]
        if len(set(d_ids)) != len(d_ids):
            probs.add(f"direction {d.id}", "方向内规则编号重复")
    if check_cases:
        compiled = engine.CompiledGuide(guide)
        for d in guide.directions:
            for case in d.cases:
                try:
                    got = compiled.check(d.id, case.facts)
                except BadInput as e:
                    probs.add(f"direction {d.id} case {case.name}", e.message)
                    continue
                if got["verdict"] != case.verdict:
                    probs.add(f"direction {d.id} case {case.name}", f"期望 {case.verdict}，实际 {got['verdict']}")
                results = {r["id"]: r["result"] for r in got["rules"]}
                for rid, want in case.rules.items():
                    if results.get(rid) != want:
                        probs.add(f"direction {d.id} case {case.name}", f"规则 {rid} 期望 {want}，实际 {results.get(rid)}")
                for item in got["rules"]:
                    if item["kind"] != "award" or "amount" not in item:
                        continue
                    parts = compiled.award_breakdown(d.id, coerce_facts(guide.facts, case.facts))
                    if parts is not None and parts.amount != item["amount"]:
                        probs.add(f"direction {d.id} case {case.name}", f"分项合计 {parts.amount} 元与公式金额 {item['amount']} 元不一致 / breakdown does not add up")
    probs.raise_if_any()
    return guide


def load_guide(path: Path | str | None = None, *, check_cases: bool = True) -> Guide:
    """Read and validate a guide file and the published text it names."""
    p = Path(path) if path else default_guide_path()
    raw = read_yaml(p)
    if not isinstance(raw, dict):
        raise GuideError(f"{p}: 指南文件应为映射 / a guide is a mapping", detail={"file": str(p)})
    text_name = raw.get("text")
    if not text_name or not isinstance(text_name, str):
        raise GuideError(f"{p}: 缺少字段 text（原文文件）/ missing field text", detail={"file": str(p), "field": "text"})
    text_path = (p.parent / text_name).resolve()
    if not text_path.is_file():
        raise GuideError(f"{p}: 原文文件不存在 {text_name} / published text not found", detail={"file": str(p), "field": "text"})
    text = clean_text(text_path.read_text(encoding="utf-8"))
    # Stored as JSON: YAML dates and the like become their ISO text once, here.
    raw = json.loads(json.dumps(raw, ensure_ascii=False, default=str))
    return parse_guide(raw, text=text, file=str(p), check_cases=check_cases)


# Headings carry no requirement; they are shown as the tree's names.
_HEADING = re.compile(r"^\s*(重大项目\d+：[^。]*$|项目\d+\s*[：:][^。]*$|[一二三四]、[^。]*$|\d、\s*[^。]*$|申报要求：|（\d）)")
_SUBSTANTIVE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def project_spans(guide: Guide) -> dict[str, tuple[int, int]]:
    """Where each project's part of the published text starts and ends.

    A project starts at its introduction or first direction, found in the guide's order;
    it ends where the next project starts.
    """
    text = guide.text
    starts: list[tuple[str, int]] = []
    cursor = 0
    for p in guide.projects:
        found = [i for i in (text.find(x, cursor) for x in (p.text, p.directions[0].text if p.directions else "") if x) if i >= 0]
        if not found:
            continue
        cursor = min(found)
        starts.append((p.id, cursor))
    spans = {}
    for i, (pid, start) in enumerate(starts):
        spans[pid] = (start, starts[i + 1][1] if i + 1 < len(starts) else len(text))
    return spans


def uncovered(guide: Guide) -> list[str]:
    """The parts of the published text that no preamble, text, rule or parameter quotes.

    Empty when nothing of the guide was dropped: every substantive character of every line
    is inside some verbatim `text` or `source`, or is a heading.
    """
    text = guide.text
    covered = bytearray(len(text))
    spans = project_spans(guide)
    whole = (0, len(text))
    # (quote, the part of the text it belongs to): a clause repeated in several projects is
    # covered in a project only by that project's own rule.
    quotes: list[tuple[str, tuple[int, int]]] = [(q, whole) for q in guide.preamble]
    quotes += [(p.source, whole) for p in guide.parameters.values() if p.source]
    for prog in guide.programmes:
        quotes.append((prog.text, whole))
        for p in prog.projects:
            span = spans.get(p.id, whole)
            quotes.append((p.text, span))
            for d in p.directions:
                quotes.append((d.text, span))
                quotes += [(r.source, span) for r in d.rules]
    for q, (lo, hi) in quotes:
        if not q:
            continue
        start = text.find(q, lo, hi)
        while start != -1:
            covered[start:start + len(q)] = b"\x01" * len(q)
            start = text.find(q, start + 1, hi)
    out = []
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        m = _HEADING.match(line)
        skip = m.end() if m else 0
        missing = "".join(ch for i, ch in enumerate(line) if i >= skip and not covered[pos + i] and _SUBSTANTIVE.match(ch))
        if missing:
            out.append(line.strip())
        pos = end + 1
    return out
