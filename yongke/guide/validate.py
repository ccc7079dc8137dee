"""What a structurally sound guide must mean before it is stored or evaluated.

Every `text` and `source` is a verbatim part of the published text, each rule's inside its
own project's section; nothing of the text is left uncovered (`uncovered`, run by the test
suite); every fact a rule reads is declared, quantities with their units and enums with a
label for each value; ids follow the guide's numbering; every expression compiles in both
engines; an award's breakdown reads only what it may; and every case gives the verdict it
expects. Problems are reported at their place in the file (`yongke.guide.problems`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator

from yongke.core.errors import BadInput
from yongke.guide import columnar
from yongke.guide.claims import Selector, local_part
from yongke.guide.engine import HELPERS, CompiledGuide, arity_problem, as_date, called_functions, referenced_names
from yongke.guide.facts import coerce_facts
from yongke.guide.model import NUMERIC_TYPES, STEP_NAME, AwardStep, Direction, Guide, Programme, Project, Rule, lowest_values
from yongke.guide.problems import Place, Problems


def validate_guide(guide: Guide, problems: Problems, *, check_cases: bool = True, partial: bool = False) -> None:
    """Raise GuideError listing every problem; `check_cases` False skips the slow checks.

    Stored versions were fully checked when loaded: reading one back skips running the
    cases and the column engine's translation. `partial` accepts a guide of some
    programmes only, whose projects are not numbered from 1.
    """
    _check_facts(guide, problems)
    _check_parameters(guide, problems)
    _check_quotes(guide, problems)
    _check_numbering(guide, problems, partial=partial)
    _check_rule_ids(guide, problems)
    for rule, path in _rules(guide):
        _check_rule(guide, rule, path, problems, columnar_too=check_cases)
    _check_case_references(guide, problems)
    _check_claims(guide, problems)
    _check_fact_groups(guide, problems)
    _check_documents(guide, problems)
    problems.raise_if_any()
    _check_sections(guide, problems)
    if check_cases:
        _check_cases_hold(guide, problems)
    problems.raise_if_any()


# --------------------------------------------------------------------------- places


def _projects(guide: Guide) -> Iterator[tuple[Project, Place]]:
    for pi, prog in enumerate(guide.programmes):
        for ji, project in enumerate(prog.projects):
            yield project, ("programmes", pi, "projects", ji)


def _directions(guide: Guide) -> Iterator[tuple[Direction, Place]]:
    for project, path in _projects(guide):
        for di, d in enumerate(project.directions):
            yield d, (*path, "directions", di)


def _rules_of(project: Project, path: Place) -> Iterator[tuple[Rule, Place]]:
    """A project's rules where they are declared: its own, then each direction's."""
    for ri, r in enumerate(project.rules):
        yield r, (*path, "rules", ri)
    for di, d in enumerate(project.directions):
        for ri, r in enumerate(d.own_rules):
            yield r, (*path, "directions", di, "rules", ri)


def _rules(guide: Guide) -> Iterator[tuple[Rule, Place]]:
    for project, path in _projects(guide):
        yield from _rules_of(project, path)


# --------------------------------------------------------------------------- declarations


def _check_facts(guide: Guide, problems: Problems) -> None:
    """Quantities declare their unit (money is in yuan); an enum lists its values, each labelled."""
    for name, f in guide.facts.items():
        where: Place = ("facts", name)
        if f.type in NUMERIC_TYPES and not f.unit:
            problems.add((*where, "unit"), "数量须声明单位 / a quantity must declare its unit")
        if f.type == "money" and f.unit and f.unit != "元":
            problems.add((*where, "unit"), "金额的单位必须是元 / money is in yuan")
        if f.type == "enum" and not f.values:
            problems.add((*where, "values"), "枚举须列出 values / an enum lists its values")
        if f.type == "enum":
            for v in f.values:
                if v not in f.labels:
                    problems.add((*where, "labels"), f"枚举值 {v} 缺少中文标签 labels / every value needs a label")


def _check_parameters(guide: Guide, problems: Problems) -> None:
    for name, p in guide.parameters.items():
        if name in guide.facts:
            problems.add(("parameters", name), "参数名与事实名重复 / a parameter is named like a fact")
        if p.source and p.source not in guide.text:
            problems.add(("parameters", name, "source"), "source 不是指南原文的一部分 / source is not verbatim")
    _check_tiers_as_figures(guide, problems)


_TIERS_READ = "分段参数只能作为 tiered(金额, 分段参数) 的第二个参数 / a tiers parameter is read only by tiered"


def _check_tiers_as_figures(guide: Guide, problems: Problems) -> None:
    """A tiers parameter is no figure: no cap names one (in an expression, see `_check_calls`)."""
    tiers = {n for n, p in guide.parameters.items() if p.tiers}
    if not tiers:
        return
    for rule, path in _rules(guide):
        if isinstance(rule.cap, str) and rule.cap in tiers:
            problems.add((*path, "cap"), f"cap 不能是分段参数 {rule.cap}：{_TIERS_READ}")
    for i, cap in enumerate(guide.claims.caps):
        if isinstance(cap.amount, str) and cap.amount in tiers:
            problems.add(("claims", "caps", i, "amount"), f"amount 不能是分段参数 {cap.amount}：{_TIERS_READ}")


def _check_quotes(guide: Guide, problems: Problems) -> None:
    """The preamble and every programme's, project's and direction's text are verbatim; so are names not inferred."""
    text = guide.text
    for i, para in enumerate(guide.preamble):
        if para not in text:
            problems.add(("preamble", i), "不是指南原文的一部分 / not verbatim")
    parts: list[tuple[Programme | Project, Place]] = [(prog, ("programmes", pi)) for pi, prog in enumerate(guide.programmes)]
    parts += list(_projects(guide))
    for part, path in parts:
        if part.text and part.text not in text:
            problems.add((*path, "text"), "text 不是指南原文的一部分 / text is not verbatim")
        if part.name and not part.name_inferred and part.name not in text:
            problems.add(
                (*path, "name"), f"名称 {part.name} 不在原文中，应标记 name_inferred / a name not in the text is marked name_inferred"
            )
    for d, path in _directions(guide):
        if d.text not in text:
            problems.add((*path, "text"), "text 不是指南原文的一部分 / text is not verbatim")


def _check_claims(guide: Guide, problems: Problems) -> None:
    """The rules across claims name what exists: this guide's directions (another guide's are
    named by stable id and checked when the history is read), declared kinds, declared facts
    and parameters; and they quote the published text verbatim."""
    for name, fact in guide.facts.items():
        if fact.history is None:
            continue
        if fact.type != "bool":
            problems.add(("facts", name, "history"), "由申报历史决定的事实须为 bool / a history fact is a bool")
        for i, sel in enumerate(fact.history.any):
            _check_selector(guide, sel, ("facts", name, "history", "any", i), problems)
    for i, ex in enumerate(guide.claims.excludes):
        _check_selector(guide, ex.by, ("claims", "excludes", i, "by"), problems)
        _check_verbatim(guide, ex.source, ("claims", "excludes", i, "source"), problems)
    for i, cap in enumerate(guide.claims.caps):
        _check_selector(guide, Selector(directions=cap.directions), ("claims", "caps", i), problems)
        if isinstance(cap.amount, str) and cap.amount not in guide.parameters:
            problems.add(("claims", "caps", i, "amount"), f"未声明的参数 {cap.amount} / undeclared parameter")
        _check_verbatim(guide, cap.source, ("claims", "caps", i, "source"), problems)
    for rule, path in _rules(guide):
        if rule.once is not None:
            _check_selector(guide, rule.once.selector, (*path, "once"), problems)
            _check_verbatim(guide, rule.once.source, (*path, "once", "source"), problems)


def _check_verbatim(guide: Guide, source: str, path: Place, problems: Problems) -> None:
    if source not in guide.text:
        problems.add(path, "source 不是指南原文的一部分 / source is not verbatim")


def _check_selector(guide: Guide, sel: Selector, path: Place, problems: Problems) -> None:
    own = {d.id for d in guide.directions}
    kinds = {"award", "prefunded", *guide.claims.kinds}
    for i, d in enumerate(sel.directions):
        if (d.startswith(f"{guide.id}/") or "/" not in d) and local_part(d) not in own:
            problems.add((*path, "directions", i), f"指南中没有方向 {d} / unknown direction")
    for i, k in enumerate(sel.kinds):
        if k not in kinds:
            problems.add((*path, "kinds", i), f"未声明的类别 {k}（见 claims.kinds）/ undeclared kind")
    for i, m in enumerate(sel.match):
        if m.fact not in guide.facts and m.fact != "content":
            problems.add((*path, "match", i, "fact"), f"未声明的事实 {m.fact} / undeclared fact")


def _check_numbering(guide: Guide, problems: Problems, *, partial: bool) -> None:
    """Projects are numbered 1, 2, … in the guide's order; a project's directions <project>.1, .2, …"""
    if not partial:
        for i, (project, path) in enumerate(_projects(guide)):
            if int(project.id) != i + 1:
                problems.add(
                    (*path, "id"), f"项目编号 {project.id} 不连续，应为 {i + 1} / projects are numbered from 1 in the guide's order"
                )
                break
    seen: set[str] = set()
    for project, path in _projects(guide):
        for di, d in enumerate(project.directions):
            where: Place = (*path, "directions", di, "id")
            number, _, n = d.id.partition(".")
            if number != project.id:
                problems.add(where, f"方向编号 {d.id} 应为 {project.id}.<序号> / a direction id starts with its project's")
            elif int(n) != di + 1:
                problems.add(where, f"方向编号 {d.id} 不连续，应为 {project.id}.{di + 1} / directions are numbered in order")
            if d.id in seen:
                problems.add(where, f"方向编号重复 {d.id} / duplicate direction id")
            seen.add(d.id)


def _check_rule_ids(guide: Guide, problems: Problems) -> None:
    """A rule id starts with the id of the project or direction that declares it, and is unique."""
    seen: set[str] = set()
    for r, path in _rules(guide):
        if not r.id.startswith(r.scope + ":"):
            problems.add((*path, "id"), f"规则编号须以 {r.scope}: 开头 / rule id must start with its scope")
        if r.id in seen:
            problems.add((*path, "id"), f"规则编号重复 {r.id} / duplicate rule id")
        seen.add(r.id)


# --------------------------------------------------------------------------- rules


def _check_rule(guide: Guide, r: Rule, path: Place, problems: Problems, *, columnar_too: bool) -> None:
    """The rule's source is verbatim; its expression compiles and reads only declared names."""
    if r.source not in guide.text:
        problems.add((*path, "source"), f"source 不是指南原文的一部分 / source is not verbatim: {r.source[:40]}…")
    for part, i, s in _steps(r):
        if s.source not in guide.text:
            problems.add((*path, part, i, "source"), f"source 不是指南原文的一部分 / source is not verbatim: {s.source[:40]}…")
    if not r.expr:
        return
    try:
        used = referenced_names(r.expr)
    except ValueError as e:
        problems.add((*path, "expr"), f"表达式无法编译 / expression does not compile: {str(e).splitlines()[0]}")
        return
    if isinstance(r.cap, str) and r.cap not in guide.parameters:
        problems.add((*path, "cap"), f"cap 引用了未声明的参数 {r.cap} / unknown parameter")
    unknown = sorted(set(used) - set(guide.facts) - set(guide.parameters))
    if unknown:
        problems.add((*path, "expr"), f"表达式使用了未声明的事实 {', '.join(unknown)} / unknown fact")
    calls_ok = _check_calls(guide, r.expr, (*path, "expr"), problems)
    if columnar_too and calls_ok:
        try:
            columnar.translate(r.expr, *_column_names(guide))
        except ValueError as e:
            problems.add((*path, "expr"), f"表达式超出可按列计算的子集 / not in the column subset: {e}")
    if r.kind == "award":
        _check_award_parts(guide, r, set(used), path, problems, columnar_too=columnar_too)


def _column_names(guide: Guide) -> tuple[frozenset[str], columnar.TierTables]:
    """What the column engine is told of a guide's names: those CEL holds as integers, and the tiers tables."""
    ints = [n for n, f in guide.facts.items() if f.type in ("int", "money")]
    ints += [n for n, p in guide.parameters.items() if isinstance(p.value, int) and not isinstance(p.value, bool)]
    return frozenset(ints), columnar.tier_tables({n: p.tiers for n, p in guide.parameters.items() if p.tiers})


_CALLABLE = frozenset({"size", "matches", *HELPERS})
_DATE_HELPERS = frozenset({"year", "years_between", "days_between"})
_WANT = {"date": '日期（date 事实或 "YYYY-MM-DD"）/ a date', "int": "整数（元）/ whole yuan", "number": "数值 / a number"}


def _check_calls(guide: Guide, expr: str, where: Place, problems: Problems) -> bool:
    """An expression calls only the helpers of docs/guide-format.md, each with its arguments,
    and reads a tiers parameter only as `tiered`'s second argument; True when it does."""
    tiers = {n for n, p in guide.parameters.items() if p.tiers}
    called = set(called_functions(expr))
    found = [f"未知的函数 {fn}，可用的函数为 {', '.join(sorted(_CALLABLE))} / unknown function" for fn in sorted(called - _CALLABLE)]
    if called & HELPERS.keys() or tiers & set(referenced_names(expr)):
        try:
            shape = columnar.outline(expr)
        except ValueError as e:
            found.append(f"表达式超出可按列计算的子集 / not in the column subset: {e}")
        else:
            found += [problem for call in shape.calls for problem in _call_problems(guide, call, tiers)]
            found += _tiers_read_elsewhere(shape, tiers)
    for problem in found:
        problems.add(where, problem)
    return not found


def _call_problems(guide: Guide, call: columnar.Call, tiers: set[str]) -> list[str]:
    helper = HELPERS.get(call.name)
    if helper is None:
        return []
    if call.method:
        return [f"{call.name} 须写作 {helper.usage}，不能写成方法调用 / call {call.name} as a function"]
    arity = arity_problem(call.name, len(call.args))
    if arity:
        return [arity]
    return [problem for i, arg in enumerate(call.args) if (problem := _arg_problem(guide, call.name, i, arg, tiers))]


def _arg_problem(guide: Guide, fn: str, i: int, arg: columnar.Arg, tiers: set[str]) -> str | None:
    """What is wrong with a helper's argument, as far as a name or a literal shows (an expression is checked by the cases)."""
    if fn == "tiered" and i == 1:
        if arg[0] == "ident" and arg[1] in tiers:
            return None
        return "tiered 的第二个参数须为分段参数（tiers:）的名称 / tiered's second argument names a tiers parameter"
    want = "date" if fn in _DATE_HELPERS else "int" if fn == "tiered" else "number"
    got = _arg_type(guide, arg)
    if got in (None, "tiers", want) or (want, got) == ("number", "int"):  # a tiers table here: `_tiers_read_elsewhere` says so
        return None
    shown = arg[1] if arg[0] == "ident" else json.dumps(arg[1], ensure_ascii=False)
    return f"{fn} 的第 {i + 1} 个参数应为{_WANT[want]}（{shown} 是 {got}）"


def _arg_type(guide: Guide, arg: columnar.Arg) -> str | None:
    """int, number, date, tiers or the fact's type; None when an expression (not a name or literal) or an unknown name."""
    kind, value = arg
    if kind == "ident":
        fact, param = guide.facts.get(value), guide.parameters.get(value)
        if fact is not None:
            return {"money": "int"}.get(fact.type, fact.type)
        if param is not None:
            return "tiers" if param.tiers else "int" if isinstance(param.value, int) else "number"
        return None
    if kind != "literal":
        return None
    if isinstance(value, str):
        try:
            as_date(value)
        except (TypeError, ValueError):
            return "string"
        return "date"
    return "bool" if isinstance(value, bool) else "int" if isinstance(value, int) else "number" if isinstance(value, float) else "null"


def _tiers_read_elsewhere(shape: columnar.Outline, tiers: set[str]) -> list[str]:
    read = Counter(n for n in shape.idents if n in tiers)
    by_tiered = Counter(c.args[1][1] for c in shape.calls if c.name == "tiered" and len(c.args) == 2 and c.args[1][0] == "ident")
    return [f"{n}：{_TIERS_READ}" for n in sorted(read) if read[n] > by_tiered[n]]


def _steps(r: Rule) -> Iterator[tuple[str, int, AwardStep]]:
    for part, steps in (("terms", r.terms), ("limits", r.limits)):
        for i, s in enumerate(steps):
            yield part, i, s


def _check_award_parts(guide: Guide, r: Rule, read: set[str], path: Place, problems: Problems, *, columnar_too: bool) -> None:
    """Every name a breakdown reads is declared; a quote given `requires` can always compute it."""
    names = set(guide.facts) | set(guide.parameters)
    for part, i, s in _steps(r):
        try:
            names_in = set(referenced_names(s.expr))
            if _check_calls(guide, s.expr, (*path, part, i, "expr"), problems) and columnar_too:
                columnar.translate(s.expr, *_column_names(guide))
        except ValueError as e:
            problems.add((*path, part, i, "expr"), f"{part} 表达式无法编译 / expression does not compile: {str(e).splitlines()[0]}")
            continue
        shown = set(STEP_NAME.findall(s.step))
        for n in sorted((names_in | shown) - names):
            problems.add((*path, part, i), f"{part} 使用了未声明的名称 {n} / unknown name")
        read |= names_in | shown
    for n in r.requires:
        if n not in guide.facts:
            problems.add((*path, "requires"), f"requires 列出了未声明的事实 {n} / unknown fact")
    # A yes/no or enum fact left out of `requires` is taken, when not given, at its value giving
    # the lowest amount (docs/guide-format.md); a quantity cannot be, so it must be required.
    outside = sorted((read & set(guide.facts)) - set(r.requires))
    needed = [n for n in outside if not lowest_values(guide.facts[n])]
    if r.requires and needed:
        problems.add(
            (*path, "requires"),
            f"requires 须包含公式读取的数量事实 {', '.join(needed)} / requires must list every quantity the award reads",
        )
    combinations = 1
    for n in outside if r.requires else ():
        combinations *= len(lowest_values(guide.facts[n]))
    if combinations > MAX_LOWEST_COMBINATIONS:
        problems.add(
            (*path, "requires"),
            f"requires 之外的是否/枚举事实取值组合 {combinations} 种，超过 {MAX_LOWEST_COMBINATIONS} / too many combinations to find the lowest amount",
        )


MAX_LOWEST_COMBINATIONS = 64  # the award is evaluated at every combination of the facts outside `requires`


def _check_fact_groups(guide: Guide, problems: Problems) -> None:
    """A fact group names declared quantities, each in one group only, by keys unique in the group;
    its list's name is no fact's."""
    seen: dict[str, str] = {}
    for name, group in guide.fact_groups.items():
        where: Place = ("fact_groups", name)
        if name in guide.facts:
            problems.add(where, f"事实组名 {name} 与事实名重复 / a group is named like a fact")
        if group.key_field == group.value_field:
            problems.add((*where, "value_field"), "value_field 不能与 key_field 相同 / the two fields differ")
        keys: set[str] = set()
        for i, (key, fact) in enumerate(group.members):
            at: Place = (*where, "facts", i)
            if key in keys:
                problems.add((*at, "key"), f"事实组 {name} 中键 {key} 重复 / duplicate key")
            keys.add(key)
            declared = guide.facts.get(fact)
            if declared is None:
                problems.add((*at, "fact"), f"未声明的事实 {fact} / unknown fact")
            elif declared.type not in NUMERIC_TYPES:
                problems.add(
                    (*at, "fact"), f"事实组的事实须为数量（int/money/number），{fact} 为 {declared.type} / a group's facts are quantities"
                )
            if fact in seen:
                problems.add((*at, "fact"), f"事实 {fact} 已属于事实组 {seen[fact]} / a fact belongs to one group")
            seen.setdefault(fact, name)


def _check_documents(guide: Guide, problems: Problems) -> None:
    """Every `document` rule's `evidence` names an attachment category declared under `documents:`."""
    for r, path in _rules(guide):
        if r.kind == "document" and r.evidence and r.evidence not in guide.documents:
            problems.add(
                (*path, "evidence"),
                f"材料类别 {r.evidence} 未在 documents 中声明（标签、文件类型、提交时必交或由项目处核验）/ undeclared attachment category",
            )


# --------------------------------------------------------------------------- cases


def _check_case_references(guide: Guide, problems: Problems) -> None:
    """A case names only its direction's rules and declared facts."""
    for d, path in _directions(guide):
        known = {r.id for r in d.rules}
        for ci, case in enumerate(d.cases):
            for rid in case.rules:
                if rid not in known:
                    problems.add((*path, "cases", ci, "rules", rid), f"用例引用了本方向没有的规则 {rid} / not a rule of this direction")
            for name in case.facts:
                if name not in guide.facts:
                    problems.add((*path, "cases", ci, "facts", name), f"用例使用了未声明的事实 {name} / unknown fact")


def _check_cases_hold(guide: Guide, problems: Problems) -> None:
    """Every case gives its verdict and rule results; an award's breakdown adds up to its amount."""
    compiled = CompiledGuide(guide)
    for d, path in _directions(guide):
        for ci, case in enumerate(d.cases):
            where: Place = (*path, "cases", ci)
            try:
                got = compiled.check(d.id, case.facts)
            except BadInput as e:
                field = str((e.detail or {}).get("field", ""))
                problems.add((*where, *field.split(".", 1)) if field.startswith("facts.") else where, e.message)
                continue
            if got["verdict"] != case.verdict:
                problems.add((*where, "verdict"), f"期望 {case.verdict}，实际 {got['verdict']}")
            results = {r["id"]: r["result"] for r in got["rules"]}
            for rid, want in case.rules.items():
                if results.get(rid) != want:
                    problems.add((*where, "rules", rid), f"规则 {rid} 期望 {want}，实际 {results.get(rid)}")
            for item in got["rules"]:
                if item["kind"] != "award" or "amount" not in item:
                    continue
                parts = compiled.award_breakdown(d.id, coerce_facts(guide.facts, case.facts))
                if parts is not None and parts.amount != item["amount"]:
                    problems.add(where, f"分项合计 {parts.amount} 元与公式金额 {item['amount']} 元不一致 / breakdown does not add up")


# --------------------------------------------------------------------------- the published text

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


def _check_sections(guide: Guide, problems: Problems) -> None:
    """A rule quotes its own project's part of the text (the same clause may stand in several)."""
    spans = project_spans(guide)
    for project, path in _projects(guide):
        span = spans.get(project.id)
        if span is None:
            problems.add(path, "在原文中找不到该项目的方向原文 / project not found in the text")
            continue
        section = guide.text[span[0] : span[1]]
        for r, rpath in _rules_of(project, path):
            if r.source in guide.text and r.source not in section:
                problems.add((*rpath, "source"), "source 不在本项目的原文段落内 / source quotes another project's text")
            for part, i, s in _steps(r):
                if s.source in guide.text and s.source not in section:
                    problems.add(
                        (*rpath, part, i, "source"), "分项 source 不在本项目的原文段落内 / step source quotes another project's text"
                    )


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
            covered[start : start + len(q)] = b"\x01" * len(q)
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
