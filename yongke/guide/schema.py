"""The guide file's structure, declared: which keys each part has, of which type, from which values.

A guide file (docs/guide-format.md) is checked against these pydantic models before anything
is built from it. Unknown keys are refused (a misspelt `exprs:` is an error, not a rule
without an expression), values are never converted (`"3"` is not a number, `1` is not
true), and each error is reported at its place in the file.

What a part means in the whole guide (verbatim sources, declared facts, ids that follow the
guide's numbering, expressions that compile, cases that hold) is `yongke.guide.validate`'s.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from yongke.guide.model import GATING_KINDS, About, FactType, Funding, Kind, Others, RegistryField, Result, Unit, Verdict
from yongke.guide.problems import Place, Problems, Reporter

_FACT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_RULE_ID = re.compile(r"^[0-9]+(\.[0-9]+)?:[a-z0-9_]+$")
_PROJECT_ID = re.compile(r"^[0-9]+$")
_DIRECTION_ID = re.compile(r"^[1-9][0-9]*\.[1-9][0-9]*$")
_GUIDE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# A direction of this guide (23.1) or, by its stable id, of any guide (nanning-2022/23.1).
_ANY_DIRECTION = re.compile(r"^([a-z0-9][a-z0-9-]*/)?[1-9][0-9]*\.[1-9][0-9]*$")


def _matching(pattern: re.Pattern[str], code: str, message: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise PydanticCustomError(code, message + "（收到 {value}）", {"value": _shown(value)})
        return value

    return AfterValidator(check)


def _figure_as_text(value: Any) -> Any:
    """A step's amount may be written as a bare figure (`expr: 1000000`)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("number", "参数值应为数值 / a parameter's value is a number（收到 {value}）", {"value": _shown(value)})
    return value


def _yuan_or_name(value: Any) -> Any:
    if isinstance(value, bool) or (value is not None and not isinstance(value, (int, str))):
        raise PydanticCustomError(
            "cap", "cap 应为整数（元）或参数名 / cap is whole yuan or a parameter name（收到 {value}）", {"value": _shown(value)}
        )
    return value


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)[:60]


Text = Annotated[str, StringConstraints(min_length=1)]
Expr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
FactName = Annotated[str, _matching(_FACT_NAME, "fact_name", "事实名须为小写字母、数字和下划线 / bad fact name")]
RuleId = Annotated[str, _matching(_RULE_ID, "rule_id", "规则编号格式应为 <项目或方向>:<小写名> / bad rule id")]
ProjectId = Annotated[str, _matching(_PROJECT_ID, "project_id", "项目编号应为数字 / a project id is a number")]
DirectionId = Annotated[str, _matching(_DIRECTION_ID, "direction_id", "方向编号应为 <项目>.<序号> / a direction id is <project>.<n>")]
GuideId = Annotated[str, _matching(_GUIDE_ID, "guide_id", "指南编号应为小写字母、数字和连字符，如 nanning-2022 / bad guide id")]
AnyDirection = Annotated[
    str, _matching(_ANY_DIRECTION, "direction_ref", "方向应写作 23.1 或 <指南编号>/23.1 / a direction is 23.1 or <guide>/23.1")
]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _refuse(problems: list[tuple[str, str]]) -> None:
    """Report problems that involve several keys of one part, each at the key it is about."""
    if problems:
        raise PydanticCustomError("guide_part", problems[0][1], {"problems": problems})


class YearsSpec(_Part):
    years: Annotated[int, Field(ge=1, le=50)]


Period = Literal["same_year", "ever"] | YearsSpec


class MatchSpec(_Part):
    """The claim's fact `fact` against an earlier entry's `entry` (after `map`)."""

    fact: FactName
    entry: FactName
    map: dict[str, Text] = {}


class SelectorSpec(_Part):
    directions: list[AnyDirection] = []
    kinds: list[FactName] = []
    project: Literal["any", "same", "other"] = "any"
    period: Period = "same_year"
    match: list[MatchSpec] = []

    @model_validator(mode="after")
    def _names_something(self) -> Self:
        if not self.directions and not self.kinds:
            _refuse([("directions", "须写明 directions 或 kinds / name the directions or kinds it selects")])
        return self


class HistorySpec(_Part):
    any: Annotated[list[SelectorSpec], Field(min_length=1)]
    recorded: bool = False
    # What an entry matching `any` makes the fact: true (an earlier grant that excludes), or
    # false (an earlier grant that contradicts a claim, e.g. a 首次 recognition paid before).
    found: bool = True


class FactSpec(_Part):
    type: FactType
    label: Text
    about: About
    unit: Unit | None = None
    values: list[Text] = []
    labels: dict[str, Text] = {}
    history: HistorySpec | None = None
    registry: RegistryField | None = None  # the organisation registry's field that answers it


class GroupMemberSpec(_Part):
    key: Text  # how a list item names the fact
    fact: FactName


class FactGroupSpec(_Part):
    """Facts given together as one list: items {key_field: key, value_field: value}."""

    key_field: FactName
    value_field: FactName
    others: Others = "missing"  # zero: when any fact of the group is given, the others count 0
    facts: Annotated[list[GroupMemberSpec], Field(min_length=1)]


class OnceSpec(_Part):
    directions: list[AnyDirection] = []  # default: the award's own direction
    period: Period = "ever"
    match: list[MatchSpec] = []
    source: Text
    # What is paid once, as a refusal names it (default 一次性补助), e.g. an award paid once per recognition.
    what: Text | None = None


class KindSpec(_Part):
    label: Text
    levels: list[Text] = []


class ExcludeSpec(_Part):
    id: FactName
    by: SelectorSpec
    applies_to: Literal["other_projects", "all"] | Annotated[list[AnyDirection], Field(min_length=1)]
    message: Text
    source: Text


class CapSpec(_Part):
    id: FactName
    directions: Annotated[list[AnyDirection], Field(min_length=1)]
    amount: Annotated[int | str, BeforeValidator(_yuan_or_name)]
    period: Period = "same_year"
    message: Text
    source: Text


class ClaimsSpec(_Part):
    kinds: dict[FactName, KindSpec] = {}
    excludes: list[ExcludeSpec] = []
    caps: list[CapSpec] = []


def _rate(value: Any) -> Any:
    """A tier's rate in percent: a number, not negative, with at most 4 decimals (so that both
    engines compute with it exactly)."""
    _number(value)
    if value < 0:
        raise PydanticCustomError("rate", "rate_pct 不能为负数 / a rate is not negative（收到 {value}）", {"value": _shown(value)})
    if round(value, 4) != value:
        raise PydanticCustomError("rate", "rate_pct 最多 4 位小数 / at most 4 decimal places（收到 {value}）", {"value": _shown(value)})
    return value


def _whole_yuan(value: int) -> int:
    if value <= 0:
        raise PydanticCustomError("upto", "upto 应为正整数（元）/ upto is a positive whole number（收到 {value}）", {"value": value})
    return value


class TierSpec(_Part):
    """One slice of a tiered rate: the part of the amount up to `upto` yuan at `rate_pct` percent."""

    upto: Annotated[int, AfterValidator(_whole_yuan)] | None = None  # omitted on the last tier: the part above
    rate_pct: Annotated[int | float, BeforeValidator(_rate)]


def tier_problems(tiers: list[TierSpec]) -> list[tuple[str, str]]:
    """(key, problem) for a tiers table: `upto` strictly ascending, omitted on the last tier only."""
    out: list[tuple[str, str]] = []
    last = len(tiers) - 1
    below: int | None = None  # the previous tier's upto
    for i, t in enumerate(tiers):
        if t.upto is None and i < last:
            out.append(("tiers", f"tiers[{i}] 缺少 upto：只有最后一档不写 upto / only the last tier has no upto"))
        if t.upto is not None and i == last:
            out.append(("tiers", f"tiers[{i}] 是最后一档（以上部分），不写 upto / the last tier has no upto"))
        if t.upto is not None and below is not None and t.upto <= below:
            out.append(("tiers", f"tiers[{i}].upto {t.upto} 不大于上一档的 {below}：upto 须严格递增 / upto must strictly ascend"))
        below = t.upto if t.upto is not None else below
    return out


class ParameterSpec(_Part):
    """A named figure (`value`), or a table of marginal rates (`tiers`) read by `tiered(amount, name)`."""

    value: Annotated[int | float, BeforeValidator(_number)] | None = None
    tiers: Annotated[list[TierSpec], Field(min_length=1)] | None = None
    label: Text | None = None
    unit: Unit | None = None
    assumed: bool = False
    source: Text | None = None

    @model_validator(mode="after")
    def _value_or_tiers(self) -> Self:
        if self.value is None and self.tiers is None:
            _refuse([("value", "参数须有 value 或 tiers / a parameter has a value or tiers")])
        if self.value is not None and self.tiers is not None:
            _refuse([("tiers", "参数只能有 value 或 tiers 之一 / a value or tiers, not both")])
        _refuse(tier_problems(self.tiers or []))
        return self


class TermSpec(_Part):
    step: Text
    expr: Annotated[Expr, BeforeValidator(_figure_as_text)]
    source: Text


class LimitSpec(TermSpec):
    per_year: bool = False


class RuleSpec(_Part):
    id: RuleId
    kind: Kind
    message: Text
    source: Text
    expr: Expr | None = None
    evidence: Text | None = None
    reason: Text | None = None
    cap: Annotated[int | str, BeforeValidator(_yuan_or_name)] | None = None
    requires: list[FactName] | None = None
    terms: Annotated[list[TermSpec], Field(min_length=1)] | None = None
    limits: Annotated[list[LimitSpec], Field(min_length=1)] | None = None
    note: Text | None = None
    ambiguous: bool = False
    once: OnceSpec | None = None

    @model_validator(mode="after")
    def _keys_fit_the_kind(self) -> Self:
        _refuse(rule_shape_problems(self))
        return self


def rule_shape_problems(rule: RuleSpec) -> list[tuple[str, str]]:
    """(key, problem) for each key a rule of its kind must have, or must not have."""
    kind = rule.kind
    out: list[tuple[str, str]] = []
    if kind in (*GATING_KINDS, "award") and rule.expr is None:
        out.append(("expr", f"{kind} 规则须有表达式 expr"))
    if kind in ("document", "officer") and rule.expr is not None:
        out.append(("expr", f"{kind} 规则由人工判断，不应有 expr"))
    if kind == "officer" and not rule.reason:
        out.append(("reason", "officer 规则须写明机器无法判断的原因 reason"))
    if kind == "document" and not rule.evidence:
        out.append(("evidence", "document 规则须写明所需证明材料 evidence"))
    if kind != "award":
        award_only = [key for key in ("cap", "requires", "terms", "limits", "once") if getattr(rule, key) is not None]
        out += [(key, f"只有 award 规则可以有 {key} / {key} is for award rules only") for key in award_only]
    elif rule.limits and not rule.terms:
        out.append(("limits", "有 limits 时须同时给出 terms / limits need terms"))
    if rule.ambiguous and not rule.note:
        out.append(("note", "ambiguous 规则须在 note 中写明另一种理解 / an ambiguous rule gives the other reading in note"))
    return out


class CaseSpec(_Part):
    name: Text | None = None
    facts: dict[str, Any]
    verdict: Verdict
    rules: dict[str, Result] = {}


class DirectionSpec(_Part):
    id: DirectionId
    name: Text
    text: Text
    rules: list[RuleSpec] = []
    cases: list[CaseSpec] = []


class ProjectSpec(_Part):
    id: ProjectId
    name: Text
    name_inferred: bool = False
    funding: Funding
    review: bool | None = None  # by default, a pre-funded project is reviewed
    text: Text | None = None
    rules: list[RuleSpec] = []
    directions: Annotated[list[DirectionSpec], Field(min_length=1)]


class ProgrammeSpec(_Part):
    id: Text
    name: Text
    name_inferred: bool = False
    text: Text | None = None
    projects: list[ProjectSpec] = []


DocumentType = Literal["pdf", "jpg", "png", "ofd", "docx", "xlsx"]


class DocumentSpec(_Part):
    """An attachment category a `document` rule asks for (its `evidence`): the label people
    read, the file types accepted, and when it is needed — before the application may be
    submitted, or verified by the officer in formal review (受理审查)."""

    label: Text
    types: Annotated[list[DocumentType], Field(min_length=1)] = ["pdf", "jpg", "png", "ofd"]
    when: Literal["submission", "officer"]
    note: Text | None = None


class GuideSpec(_Part):
    id: GuideId | None = None  # stable across years: a direction is <id>/<direction> (default guide-<version>)
    version: Text
    title: Text
    text: Text | None = None  # the published text's file, beside the guide file
    preamble: list[Text] = []
    facts: dict[FactName, FactSpec] = {}
    parameters: dict[str, ParameterSpec] = {}
    programmes: list[ProgrammeSpec] = []
    claims: ClaimsSpec = ClaimsSpec()
    fact_groups: dict[FactName, FactGroupSpec] = {}
    documents: dict[FactName, DocumentSpec] = {}  # the attachment categories document rules name in `evidence`


def json_schema() -> dict[str, Any]:
    """The guide file's structure as a JSON Schema, for editors to autocomplete and flag
    mistakes (published as docs/guide.schema.json; `yongke guide schema` prints it)."""
    schema = GuideSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Yongke guide file"
    return schema


# --------------------------------------------------------------------------- errors


_TYPES = {
    "string_type": "文本 / must be text",
    "int_type": "整数 / must be a whole number",
    "float_type": "数值 / must be a number",
    "bool_type": "布尔值 true/false / must be true or false",
    "list_type": "列表 / must be a list",
    "dict_type": "映射 / must be a mapping",
    "model_type": "映射 / must be a mapping",
}


def _problem(error: ErrorDetails, key: str) -> str:
    """The Chinese message (with an English gloss) for one pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = error.get("input")
    if kind == "missing" or (kind in _TYPES and got is None):
        return f"缺少字段 {key} / missing field"
    if kind == "extra_forbidden":
        return f"未知字段 {key} / unknown field"
    if kind in _TYPES:
        return f"{key} 应为{_TYPES[kind]}（收到 {_shown(got)}）"
    if kind == "literal_error":
        allowed = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{key} 应为 {allowed} 之一（收到 {_shown(got)}）/ not one of the allowed values"
    if kind == "string_too_short":
        return f"{key} 不能为空 / must not be empty"
    if kind == "too_short":
        return f"{key} 至少要有一项 / must not be empty"
    return str(error["msg"])


def report_error(error: ErrorDetails, problems: Reporter) -> None:
    """One pydantic error added at its place to `problems` (a guide's, or one file's of a folder)."""
    path: Place = tuple(k for k in error["loc"] if k != "[key]")
    named = max((i for i, k in enumerate(path) if isinstance(k, str)), default=None)
    key = str(path[named]) + "".join(f"[{i}]" for i in path[named + 1 :]) if named is not None else "top"  # `kind`, `rules[2]`
    ctx = error.get("ctx") or {}
    if error["type"] == "guide_part":
        for field, problem in ctx["problems"]:
            problems.add((*path, field), problem)
        return
    problems.add(path, _problem(error, key))


def check_structure(raw: Any, problems: Problems) -> GuideSpec:
    """The file validated against the schema; raises GuideError listing every structural problem."""
    if not isinstance(raw, dict):
        problems.add((), "指南文件应为映射 / a guide is a mapping")
        problems.fail()
    try:
        return GuideSpec.model_validate(raw)
    except ValidationError as e:
        for error in e.errors(include_url=False):
            report_error(error, problems)
        problems.fail()
