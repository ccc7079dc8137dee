"""Column-wise evaluation: the same CEL expressions over a table of many applicants.

Screening thousands of organisations against every direction row by row spends its time
in Python. Here each expression is parsed by cel-python's CEL parser (the grammar of the
CEL specification) and turned into one polars expression, which evaluates a whole column
at once in compiled code. A missing fact is a null, and polars' three-valued logic gives
the same answers as CEL's: `null || true` is true, `null && false` is false, and a null
comparison stays null (the rule is `missing`).

Only the subset the guide uses is accepted (see docs/guide-format.md); anything else is
refused when the guide is validated, never at screening time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Protocol

import polars as pl
from celpy.celparser import CELParser
from lark import Token, Tree

from yongke.guide.model import Guide

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


class _Translator:
    """CEL parse tree to polars, one method per kind of node (`node` dispatches)."""

    def __init__(self, integer_names: frozenset[str]) -> None:
        self.integer_names = integer_names

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
        return pl.col(n), n in self.integer_names

    def literal(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        v = _literal(ch[0])
        return pl.lit(v), isinstance(v, int) and not isinstance(v, bool)

    def function(self, ch: list[Node]) -> tuple[pl.Expr, bool]:
        fn = str(ch[0])
        if fn != "size" or len(ch) != 2:
            raise ValueError(f"不支持的函数 {fn}")
        e, _ = self.node(_tree(ch[1]).children[0])
        return e.str.len_chars(), True

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


@lru_cache(maxsize=4096)
def translate(expr: str, integer_names: frozenset[str] = frozenset()) -> pl.Expr:
    """The polars expression computing a CEL expression column-wise."""
    tree = _parse(expr)
    e, _ = _Translator(integer_names).node(tree)
    return e


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
        self.verdicts: dict[str, pl.Expr] = {}
        for d in guide.directions:
            gates = [translate(r.expr, ints) for r in d.rules if r.gating and r.expr]
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
