"""Column-wise evaluation: the same CEL expressions over a table of many applicants.

Screening thousands of organisations against every direction row by row spends its time
in Python. Here each expression is parsed by cel-python's CEL parser (the grammar of the
CEL specification) and turned into one polars expression, which evaluates a whole column
at once in compiled code. A missing fact is a null, and polars' three-valued logic gives
the same answers as CEL's: `null || true` is true, `null && false` is false, and a null
comparison stays null (the rule is `missing`).

Only the subset the guide uses is accepted (see docs/guide-format.md); anything else is
refused when the guide is validated, never at screening time.

The expression helpers (`min`, `max`, `year`, `years_between`, `days_between`, `tiered`)
compute here what `yongke.guide.engine`'s Python functions compute for one row, with CEL's
rule for a missing argument: the result is null, even where polars would skip a null
(`pl.min_horizontal`). A `tiered` amount is integer arithmetic over the tiers' common
denominator, floored once, exactly as the row engine's fractions.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import polars as pl
from celpy.celparser import CELParser
from lark import Token, Tree

from yongke.guide.engine import HELPERS, arity_problem
from yongke.guide.model import Guide, Tier

type TierTables = tuple[tuple[str, tuple[Tier, ...]], ...]
"""The tiers parameters an expression may name, hashable (see `tier_tables`)."""


def tier_tables(tiers: Mapping[str, Sequence[Tier]]) -> TierTables:
    """A compiled guide's tiers tables (`CompiledGuide.tiers`) in the form `translate` takes."""
    return tuple(sorted((name, tuple(table)) for name, table in tiers.items()))


_parser: CELParser | None = None

_REL = {
    "relation_lt": lambda a, b: a < b,
    "relation_le": lambda a, b: a <= b,
    "relation_gt": lambda a, b: a > b,
    "relation_ge": lambda a, b: a >= b,
    "relation_eq": lambda a, b: a == b,
    "relation_ne": lambda a, b: a != b,
}


def _parse(expr: str) -> Tree[Any]:
    global _parser
    if _parser is None:
        _parser = CELParser()
    try:
        return _parser.parse(expr)
    except Exception as e:  # noqa: BLE001 - the parser raises its own error types
        raise ValueError(str(e).splitlines()[0]) from None


def _literal(tok: Node) -> Any:
    s = str(tok)
    if s in ("true", "false"):
        return s == "true"
    if s == "null":
        return None
    if s.startswith(("'", '"')):
        return json.loads('"' + s[1:-1] + '"') if s[0] == "'" else json.loads(s)
    if re.fullmatch(r"-?[0-9]+", s):
        return int(s)
    if re.fullmatch(r"-?[0-9]*\.[0-9]+([eE][-+]?[0-9]+)?", s):
        return float(s)
    raise ValueError(f"不支持的字面量 {s}")


Node = Tree[Any] | Token


def _tree(t: Node) -> Tree[Any]:
    if isinstance(t, Token):
        raise ValueError(f"意外的记号 {t}")
    return t


def _bare(t: Node) -> Node:
    """A node with the grammar's pass-through levels above it removed (`(x)` stays `x`)."""
    while isinstance(t, Tree) and len(t.children) == 1 and (t.data in _WRAPPERS or t.data in _OPERATORS):
        t = t.children[0]
    return t


def _ident_name(t: Node) -> str | None:
    """The name when a node is a bare identifier (`tiers`, not `tiers + 1`)."""
    t = _bare(t)
    return str(t.children[0]) if isinstance(t, Tree) and t.data == "ident" else None


def _as_date(e: pl.Expr) -> pl.Expr:
    # Date facts are ISO text (facts.py, POLARS_TYPES); a date literal is ISO text too.
    return e.cast(pl.String).str.to_date("%Y-%m-%d", strict=False)


def _completed_years(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """As `engine._completed_years`: whole years to a later date; a year completes on its month and day."""

    def month_day(d: pl.Expr) -> pl.Expr:
        return d.dt.month().cast(pl.Int64) * 100 + d.dt.day().cast(pl.Int64)

    return end.dt.year().cast(pl.Int64) - start.dt.year().cast(pl.Int64) - (month_day(end) < month_day(start)).cast(pl.Int64)


def tiered_expr(amount: pl.Expr, tiers: Sequence[Tier]) -> pl.Expr:
    """`tiered` column-wise. With every rate written n_i / D over the tiers' common denominator
    D, the amount is floor(sum(slice_i * n_i) / D), computed as sum((slice_i // D) * n_i) +
    sum((slice_i % D) * n_i) // D: the same integer, with no intermediate larger than the
    result (Int64). A null amount stays null (`+`, not `sum_horizontal`, which skips nulls)."""
    d = math.lcm(*(t.rate.denominator for t in tiers))
    whole: list[pl.Expr] = []
    rest: list[pl.Expr] = []
    lower = 0
    for t in tiers:
        n = int(t.rate * d)
        piece = (amount - lower).clip(lower_bound=0) if t.upto is None else (amount - lower).clip(0, t.upto - lower)
        whole.append(piece // d * n)
        rest.append(piece % d * n)
        if t.upto is None:
            break
        lower = t.upto
    total = whole[0]
    for e in whole[1:]:
        total = total + e
    remainder = rest[0]
    for e in rest[1:]:
        remainder = remainder + e
    return total + remainder // d


class _Translator:
    """CEL parse tree to polars, one method per kind of node (`node` dispatches)."""

    def __init__(
        self, integer_names: frozenset[str], tiers: Mapping[str, tuple[Tier, ...]], columns: Mapping[str, str] | None = None
    ) -> None:
        self.integer_names = integer_names
        self.tiers = tiers
        self.columns = columns or {}

    def node(self, t: Node) -> tuple[pl.Expr, bool]:
        """Translate a node; returns (expression, is_integer)."""
        t = _tree(t)
        ch = t.children
        # An operator's node with one child is the grammar passing a lower level through.
        if t.data in _WRAPPERS or (t.data in _OPERATORS and len(ch) == 1):
            return self.node(ch[0])
        translate = _NODES.get(t.data)
        if translate is None:
            raise ValueError(f"不支持的语法 {t.data}")
        return translate(self, ch)

    def ternary(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        cond, _ = self.node(ch[0])
        a, ai = self.node(ch[1])
        b, bi = self.node(ch[2])
        # CEL: a ternary whose condition cannot be decided is itself undecided.
        return pl.when(cond.is_null()).then(None).when(cond).then(a).otherwise(b), ai and bi

    def either(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        return self.node(ch[0])[0] | self.node(ch[1])[0], False

    def both(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        return self.node(ch[0])[0] & self.node(ch[1])[0], False

    def relation(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        op_node, right = ch
        op = _tree(op_node)
        left, _ = self.node(op.children[0])
        if op.data == "relation_in":
            values = self.list_values(right)
            return pl.when(left.is_null()).then(None).otherwise(left.is_in(values)), False
        r, _ = self.node(right)
        return _REL[op.data](left, r), False

    def arithmetic(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        op_node, right = ch
        op = _tree(op_node)
        left, li = self.node(op.children[0])
        r, ri = self.node(right)
        if op.data == "addition_add":
            return left + r, li and ri
        if op.data == "addition_sub":
            return left - r, li and ri
        if op.data == "multiplication_mul":
            return left * r, li and ri
        if op.data == "multiplication_div":
            # CEL divides integers to an integer (toward zero; our values are never negative).
            return (left // r, True) if (li and ri) else (left / r, False)
        raise ValueError(f"不支持的运算 {op.data}")

    def unary(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        op_node, operand = ch
        op = _tree(op_node)
        e, ei = self.node(operand)
        if op.data == "unary_not":
            return ~e, False
        if op.data == "unary_neg":
            return -e, ei
        raise ValueError(f"不支持的运算 {op.data}")

    def method(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        target, method, args = ch
        if str(method) != "matches":
            raise ValueError(f"不支持的方法 {method}")
        (pattern,) = self.list_values(Tree("list_lit", [args]))
        e, _ = self.node(target)
        return e.str.contains(str(pattern)), False

    def ident(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        n = str(ch[0])
        return pl.col(self.columns.get(n, n)), n in self.integer_names

    def literal(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        v = _literal(ch[0])
        return pl.lit(v), isinstance(v, int) and not isinstance(v, bool)

    def function(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        fn = str(ch[0])
        args = list(_tree(ch[1]).children) if len(ch) == 2 else []
        if fn == "size" and len(args) == 1:
            e, _ = self.node(args[0])
            return e.str.len_chars(), True
        helper = _HELPERS.get(fn)
        if helper is None:
            raise ValueError(f"不支持的函数 {fn}")
        problem = arity_problem(fn, len(args))
        if problem:
            raise ValueError(problem)
        return helper(self, fn, args)

    def extreme(self, fn: str, args: list[Node]) -> tuple[pl.Expr, bool]:
        """`min`/`max`: null when any argument is (polars' horizontal min/max skip nulls)."""
        parts = [self.node(a) for a in args]
        exprs = [e for e, _ in parts]
        integer = all(i for _, i in parts)
        value = (pl.min_horizontal if fn == "min" else pl.max_horizontal)(exprs).cast(pl.Int64 if integer else pl.Float64)
        return pl.when(pl.any_horizontal([e.is_null() for e in exprs])).then(None).otherwise(value), integer

    def dates(self, fn: str, args: list[Node]) -> tuple[pl.Expr, bool]:
        d = [_as_date(self.node(a)[0]) for a in args]
        if fn == "year":
            return d[0].dt.year().cast(pl.Int64), True
        start, end = d
        if fn == "days_between":
            return (end - start).dt.total_days().cast(pl.Int64), True
        # A null comparison takes `otherwise`, which is null too: the result is null.
        return pl.when(end >= start).then(_completed_years(start, end)).otherwise(-_completed_years(end, start)), True

    def tiered(self, fn: str, args: list[Node]) -> tuple[pl.Expr, bool]:
        amount, integer = self.node(args[0])
        if not integer:
            raise ValueError("tiered 的金额须为整数（元）/ tiered takes whole yuan")
        name = _ident_name(args[1])
        if name is None:
            raise ValueError("tiered 的第二个参数须为分段参数（tiers）的名称 / tiered's second argument names a tiers parameter")
        if name not in self.tiers:
            raise ValueError(f"没有分段参数 {name} 的分段表（translate 的 tiers，见 tier_tables）/ no tiers table for {name}")
        return tiered_expr(amount.cast(pl.Int64), self.tiers[name]), True

    def list_values(self, t: Node) -> list[Any]:
        """The constant values of a list literal (the right side of `in`)."""
        t = _tree(t)
        lits = [x for x in t.iter_subtrees_topdown() if x.data == "literal"]
        idents = [x for x in t.iter_subtrees_topdown() if x.data in ("ident", "ident_arg", "member_dot_arg")]
        if idents:
            raise ValueError("in 右侧只能是常量列表")
        return [_literal(x.children[0]) for x in lits]


_WRAPPERS = frozenset({"member", "primary", "paren_expr"})
_OPERATORS = frozenset({"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary"})
_NODES: dict[str, Callable[[_Translator, list[Node]], tuple[pl.Expr, bool]]] = {
    "expr": _Translator.ternary,
    "conditionalor": _Translator.either,
    "conditionaland": _Translator.both,
    "relation": _Translator.relation,
    "addition": _Translator.arithmetic,
    "multiplication": _Translator.arithmetic,
    "unary": _Translator.unary,
    "member_dot_arg": _Translator.method,
    "ident": _Translator.ident,
    "literal": _Translator.literal,
    "ident_arg": _Translator.function,
}
_HELPERS: dict[str, Callable[[_Translator, str, list[Node]], tuple[pl.Expr, bool]]] = {
    "min": _Translator.extreme,
    "max": _Translator.extreme,
    "year": _Translator.dates,
    "years_between": _Translator.dates,
    "days_between": _Translator.dates,
    "tiered": _Translator.tiered,
}
assert _HELPERS.keys() == HELPERS.keys(), "every helper of the row engine is computed here too"


@lru_cache(maxsize=4096)
def translate(
    expr: str, integer_names: frozenset[str] = frozenset(), tiers: TierTables = (), columns: tuple[tuple[str, str], ...] = ()
) -> pl.Expr:
    """The polars expression computing a CEL expression column-wise.

    `integer_names` are the names CEL holds as integers (so `/` divides to a whole number);
    `tiers` the tiers tables `tiered(amount, name)` may name (`tier_tables(compiled.tiers)`);
    `columns` the column a name is read from where it is not the name's own, as (name, column) pairs.
    """
    tree = _parse(expr)
    e, _ = _Translator(integer_names, dict(tiers), dict(columns)).node(tree)
    return e


# --------------------------------------------------------------------------- outline, for validation

type Arg = tuple[str, Any]
"""A call's argument as validation sees it: ("ident", name), ("literal", value) or ("expr", None)."""


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Arg, ...]
    method: bool  # written `x.f(…)`: the receiver is the first argument


@dataclass(frozen=True)
class Outline:
    """What validation checks of an expression beyond its names: every call, every identifier read (repeats kept)."""

    calls: tuple[Call, ...]
    idents: tuple[str, ...]


def _arg(t: Node) -> Arg:
    t = _bare(t)
    if isinstance(t, Tree) and t.data == "ident":
        return "ident", str(t.children[0])
    if isinstance(t, Tree) and t.data == "literal":
        try:
            return "literal", _literal(t.children[0])
        except ValueError:
            pass
    return "expr", None


def outline(expr: str) -> Outline:
    """The calls and identifiers of an expression; raises ValueError when it does not parse."""
    calls: list[Call] = []
    idents: list[str] = []
    for t in _parse(expr).iter_subtrees_topdown():
        if t.data == "ident":
            idents.append(str(t.children[0]))
        elif t.data == "ident_arg":
            args = _tree(t.children[1]).children if len(t.children) == 2 else []
            calls.append(Call(str(t.children[0]), tuple(_arg(a) for a in args), method=False))
        elif t.data == "member_dot_arg":
            args = _tree(t.children[2]).children if len(t.children) == 3 else []
            calls.append(Call(str(t.children[1]), (_arg(t.children[0]), *(_arg(a) for a in args)), method=True))
    return Outline(tuple(calls), tuple(idents))


VERDICT_CODES = ("eligible", "not_eligible", "incomplete")

POLARS_TYPES = {
    "bool": pl.Boolean,
    "int": pl.Int64,
    "money": pl.Int64,
    "number": pl.Float64,
    "enum": pl.String,
    "string": pl.String,
    "date": pl.String,
}


class Compiled(Protocol):
    """What the column engine needs of a compiled guide (`yongke.guide.engine.CompiledGuide`)."""

    @property
    def guide(self) -> Guide: ...

    @property
    def parameters(self) -> Mapping[str, Any]: ...

    @property
    def tiers(self) -> Mapping[str, tuple[Tier, ...]]: ...


class ColumnarGuide:
    """Every direction's verdict for every row of a table of facts, computed column-wise."""

    def __init__(self, compiled: Compiled) -> None:
        guide = compiled.guide
        self.guide = guide
        self.parameters = dict(compiled.parameters)
        ints = frozenset(
            [n for n, f in guide.facts.items() if f.type in ("int", "money")]
            + [n for n, v in self.parameters.items() if isinstance(v, int) and not isinstance(v, bool)]
        )
        self.tiers = tier_tables(compiled.tiers)
        self.verdicts: dict[str, pl.Expr] = {}
        for d in guide.directions:
            gates = [translate(r.expr, ints, self.tiers) for r in d.rules if r.gating and r.expr]
            if not gates:
                self.verdicts[d.id] = pl.lit(0, dtype=pl.Int8)
                continue
            # The gates' Kleene `and` is the verdict: false when one fails, else null when one is
            # undecided, else true. Each gate is computed once; asking "any fails?" and "any
            # undecided?" separately computed it twice, as polars rewrites a negated gate.
            ok = pl.all_horizontal(gates)
            self.verdicts[d.id] = (
                pl.when(ok.is_null())
                .then(pl.lit(2, dtype=pl.Int8))
                .when(ok)
                .then(pl.lit(0, dtype=pl.Int8))
                .otherwise(pl.lit(1, dtype=pl.Int8))
            )

    def prepare(self, frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
        """Give the table a typed column for every fact (null where absent) and every parameter."""
        lf = frame.lazy()
        have = set(lf.collect_schema().names())
        cols = []
        for name, fact in self.guide.facts.items():
            dtype = POLARS_TYPES[fact.type]
            cols.append(pl.col(name).cast(dtype) if name in have else pl.lit(None, dtype=dtype).alias(name))
        cols += [pl.lit(v).alias(n) for n, v in self.parameters.items()]
        keep = [c for c in have if c not in self.guide.facts and c not in self.parameters]
        return lf.select([pl.col(c) for c in keep] + cols)

    def screen(
        self, frame: pl.DataFrame | pl.LazyFrame, directions: list[str] | None = None, *, keep: list[str] | None = None
    ) -> pl.DataFrame:
        """One Int8 column per direction: 0 eligible, 1 not eligible, 2 incomplete (VERDICT_CODES)."""
        ids = directions or list(self.verdicts)
        lf = self.prepare(frame)
        # with_columns, not select: a direction with no machine gate is a literal, broadcast to every row.
        return lf.with_columns([self.verdicts[d].alias(d) for d in ids]).select([*(keep or []), *ids]).collect()
