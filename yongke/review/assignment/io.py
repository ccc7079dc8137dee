"""The file contract, interoperable with openreview-matcher's files.

* scores.csv    `application_id,expert_id,score`  — every pair that may be assigned
* conflicts.csv `application_id,expert_id,-1`     — a conflict (回避); `1` forces the pair
* loads.csv     `expert_id,max` or `expert_id,max,min` — overrides the default loads
* organisations.csv `expert_id,organisation` — each expert's organisation (optional): given,
  no application gets two experts of one organisation

Each file may start with a header row; it is recognised when its number columns hold words
without digits ("score", "max"), so a typo such as `0,5` in the first row is still an error,
not a silently skipped header. Blank lines are skipped; fields are trimmed.

Every problem is a `BadInput` naming the file, the line and the field, because the person
fixing it has the file open in a spreadsheet. A million-row scores file is read by polars
(fast); on any doubt the same file is re-read by the csv module, which finds the exact line.
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from yongke.core.errors import BadInput

from .model import Instance, group_ids

MAX_ABS_SCORE = 1e6
SCORE_FIELDS = ("application_id", "expert_id", "score")
CONFLICT_FIELDS = ("application_id", "expert_id", "value")
LOAD_FIELDS = ("expert_id", "max", "min")
ORGANISATION_FIELDS = ("expert_id", "organisation")


def _where(path: Path, line: int | None, field: str | None) -> tuple[str, str, dict[str, Any]]:
    zh = f"{path}" + (f" 第 {line} 行" if line else "") + (f" {field} 列" if field else "")
    en = f"{path}" + (f" line {line}" if line else "") + (f" field {field}" if field else "")
    return zh, en, {"file": str(path), "line": line, "field": field}


def bad(path: Path, line: int | None, field: str | None, zh: str, en: str, code: str, value: Any = None) -> BadInput:
    """A BadInput that says where: file, line, field — Chinese first, English after."""
    wzh, wen, detail = _where(path, line, field)
    if value is not None:
        detail["value"] = value
    shown = f"「{value}」" if value is not None else ""
    return BadInput(f"{wzh}：{zh}{shown} / {wen}: {en}", code=code, detail=detail)


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise bad(path, None, None, "文件不存在", "file not found", "file_not_found")
    if not path.is_file():
        raise bad(path, None, None, "不是文件", "not a file", "not_a_file")
    if not os.access(path, os.R_OK):
        raise bad(path, None, None, "无法读取", "cannot be read", "unreadable")


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, trimmed fields) for every non-blank row, with encoding and CSV errors located."""
    _check_readable(path)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as e:
                raise bad(path, reader.line_num + 1, None, "不是 UTF-8 编码的文本", "not UTF-8 text", "bad_encoding") from e
            except csv.Error as e:
                raise bad(path, reader.line_num, None, f"CSV 格式错误（{e}）", f"malformed CSV ({e})", "bad_csv") from e
            cells = [c.strip() for c in row]
            if any(cells):
                yield reader.line_num, cells


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_header(cells: list[str], numeric: tuple[int, ...]) -> bool:
    """A first row whose number columns are words (no digits at all) is a header row."""
    return all(i < len(cells) and not _is_number(cells[i]) and not any(ch.isdigit() for ch in cells[i]) for i in numeric)


def _score(path: Path, line: int, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise bad(path, line, "score", "评分不是数字", "score is not a number", "bad_score", text) from None
    if not math.isfinite(value):
        raise bad(path, line, "score", "评分不是有限数", "score is not finite", "bad_score", text)
    if abs(value) > MAX_ABS_SCORE:
        raise bad(path, line, "score", f"评分超出范围 ±{MAX_ABS_SCORE:g}", f"score outside ±{MAX_ABS_SCORE:g}", "bad_score", text)
    return value


def _ids(path: Path, line: int, cells: list[str], names: tuple[str, ...]) -> None:
    for name, cell in zip(names, cells, strict=False):
        if not cell:
            raise bad(path, line, name, "不能为空", "must not be empty", "missing_field")


def _width(path: Path, line: int, cells: list[str], allowed: tuple[int, ...], names: tuple[str, ...]) -> None:
    if len(cells) not in allowed:
        want = " 或 ".join(str(a) for a in allowed)
        raise bad(
            path,
            line,
            None,
            f"应为 {want} 列（{','.join(names)}），实有 {len(cells)} 列",
            f"expected {' or '.join(str(a) for a in allowed)} fields ({','.join(names)}), found {len(cells)}",
            "bad_row",
        )


# --------------------------------------------------------------------------- scores


class Scores:
    """scores.csv as arrays: application and expert ids (first-appearance order) and the pairs."""

    def __init__(self, apps: list[str], experts: list[str], ea: np.ndarray, ee: np.ndarray, score: np.ndarray) -> None:
        self.apps, self.experts, self.ea, self.ee, self.score = apps, experts, ea, ee, score


def read_scores(path: str | Path) -> Scores:
    path = Path(path)
    _check_readable(path)
    fast = _scores_fast(path)
    return fast if fast is not None else read_scores_exactly(path)


def _scores_fast(path: Path) -> Scores | None:
    """polars reader for large files; None whenever anything is off, so the exact reader reports it."""
    import polars as pl

    try:
        df = pl.read_csv(path, has_header=False, schema={"a": pl.String, "e": pl.String, "s": pl.String}, encoding="utf8", quote_char='"')
    except Exception:  # noqa: BLE001 - any parse trouble: the exact reader will name the line
        return None
    df = df.with_columns(pl.col("a").str.strip_chars(), pl.col("e").str.strip_chars(), pl.col("s").str.strip_chars())
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c) == "") for c in ("a", "e", "s")])
    df = df.filter(~blank)
    if df.height == 0:
        return None
    first = [df["a"][0] or "", df["e"][0] or "", df["s"][0] or ""]
    if _is_header(first, (2,)):
        df = df.slice(1)
    if df.height == 0:
        return None
    if df.select(pl.any_horizontal([pl.col(c).is_null() | (pl.col(c) == "") for c in ("a", "e", "s")]).any()).item():
        return None
    s = df["s"].cast(pl.Float64, strict=False)
    if s.null_count() or not s.is_finite().all() or s.abs().max() > MAX_ABS_SCORE:  # type: ignore[operator]
        return None
    apps = df["a"].unique(maintain_order=True)
    experts = df["e"].unique(maintain_order=True)
    amap = pl.DataFrame({"a": apps, "ai": np.arange(apps.len(), dtype=np.int64)})
    emap = pl.DataFrame({"e": experts, "ej": np.arange(experts.len(), dtype=np.int64)})
    codes = df.select("a", "e").join(amap, on="a", how="left", maintain_order="left").join(emap, on="e", how="left", maintain_order="left")
    ea, ee = codes["ai"].to_numpy(), codes["ej"].to_numpy()
    keys = np.sort(ea * experts.len() + ee)
    if (keys[1:] == keys[:-1]).any():
        return None  # a duplicate pair; the exact reader names both lines
    return Scores(apps.to_list(), experts.to_list(), ea, ee, s.to_numpy().astype(np.float64))


def read_scores_exactly(path: str | Path) -> Scores:
    """The csv-module reader: slower, and the one that names the exact line of every problem."""
    path = Path(path)
    apps: dict[str, int] = {}
    experts: dict[str, int] = {}
    ea: list[int] = []
    ee: list[int] = []
    sc: list[float] = []
    seen: dict[tuple[int, int], int] = {}
    first = True
    for line, cells in _rows(path):
        if first:
            first = False
            if _is_header(cells, (2,)):
                continue
        _width(path, line, cells, (3,), SCORE_FIELDS)
        _ids(path, line, cells, SCORE_FIELDS)
        value = _score(path, line, cells[2])
        ai = apps.setdefault(cells[0], len(apps))
        ej = experts.setdefault(cells[1], len(experts))
        earlier = seen.setdefault((ai, ej), line)
        if earlier != line:
            raise bad(
                path,
                line,
                None,
                f"重复的评分（第 {earlier} 行已有该配对）",
                f"duplicate pair (first on line {earlier})",
                "duplicate_pair",
                f"{cells[0]},{cells[1]}",
            )
        ea.append(ai)
        ee.append(ej)
        sc.append(value)
    if not ea:
        raise bad(path, None, None, "没有任何评分记录", "no scores", "empty_file")
    return Scores(list(apps), list(experts), np.array(ea, dtype=np.int64), np.array(ee, dtype=np.int64), np.array(sc))


# --------------------------------------------------------------------------- conflicts and loads


def read_conflicts(path: str | Path) -> list[tuple[int, str, str, int]]:
    """(line, application_id, expert_id, -1 or 1) for every row."""
    path = Path(path)
    out: list[tuple[int, str, str, int]] = []
    first = True
    for line, cells in _rows(path):
        if first:
            first = False
            if _is_header(cells, (2,)):
                continue
        _width(path, line, cells, (3,), CONFLICT_FIELDS)
        _ids(path, line, cells, CONFLICT_FIELDS)
        try:
            value = float(cells[2])
        except ValueError:
            value = math.nan
        if value not in (-1.0, 1.0):
            raise bad(
                path, line, "value", "应为 -1（回避）或 1（强制配对）", "must be -1 (conflict) or 1 (forced pair)", "bad_conflict", cells[2]
            )
        out.append((line, cells[0], cells[1], int(value)))
    return out


def _count(path: Path, line: int, field: str, text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0 and value == int(value)):
        raise bad(path, line, field, "应为非负整数", "must be a non-negative integer", "bad_load", text)
    return int(value)


def read_loads(path: str | Path) -> list[tuple[int, str, int, int | None]]:
    """(line, expert_id, max, min or None) for every row."""
    path = Path(path)
    out: list[tuple[int, str, int, int | None]] = []
    first = True
    seen: dict[str, int] = {}
    for line, cells in _rows(path):
        if first:
            first = False
            if _is_header(cells, (1,)):
                continue
        _width(path, line, cells, (2, 3), LOAD_FIELDS)
        _ids(path, line, cells, LOAD_FIELDS)
        hi = _count(path, line, "max", cells[1])
        lo = _count(path, line, "min", cells[2]) if len(cells) == 3 else None
        if lo is not None and lo > hi:
            raise bad(path, line, "min", f"负荷下限 {lo} 大于上限 {hi}", f"min {lo} exceeds max {hi}", "bad_load", cells[2])
        earlier = seen.setdefault(cells[0], line)
        if earlier != line:
            raise bad(
                path,
                line,
                "expert_id",
                f"重复的专家（第 {earlier} 行已有）",
                f"duplicate expert (first on line {earlier})",
                "duplicate_expert",
                cells[0],
            )
        out.append((line, cells[0], hi, lo))
    return out


def read_organisations(path: str | Path) -> dict[str, str]:
    """expert_id -> organisation for every row (an empty organisation: none)."""
    path = Path(path)
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    first = True
    for line, cells in _rows(path):
        if first:
            first = False
            if cells and cells[0].lower() in ("expert_id", "expert", "专家"):
                continue
        _width(path, line, cells, (2,), ORGANISATION_FIELDS)
        if not cells[0]:
            raise bad(path, line, "expert_id", "不能为空", "must not be empty", "missing_field")
        earlier = seen.setdefault(cells[0], line)
        if earlier != line:
            raise bad(
                path,
                line,
                "expert_id",
                f"重复的专家（第 {earlier} 行已有）",
                f"duplicate expert (first on line {earlier})",
                "duplicate_expert",
                cells[0],
            )
        out[cells[0]] = cells[1]
    return out


def check_parameters(*, k: int, min_load: int, max_load: int) -> None:
    """The command-line numbers, checked before any file is read."""
    if k < 0:
        raise BadInput(f"--k 不能为负数「{k}」 / --k must not be negative", code="bad_k", detail={"field": "--k", "value": k})
    if min_load < 0:
        raise BadInput(
            f"--min-load 不能为负数「{min_load}」 / --min-load must not be negative", code="bad_load", detail={"field": "--min-load"}
        )
    if max_load < 0:
        raise BadInput(
            f"--max-load 不能为负数「{max_load}」 / --max-load must not be negative", code="bad_load", detail={"field": "--max-load"}
        )
    if min_load > max_load:
        raise BadInput(
            f"--min-load {min_load} 大于 --max-load {max_load} / --min-load exceeds --max-load",
            code="bad_load",
            detail={"field": "--min-load", "value": min_load},
        )


def read_instance(
    scores: str | Path,
    conflicts: str | Path | None = None,
    loads: str | Path | None = None,
    *,
    k: int,
    min_load: int,
    max_load: int,
    floor: float | None = None,
    organisations: str | Path | None = None,
) -> Instance:
    """The files and the default loads, as one checked `Instance`.

    `floor`: pairs scored at or below it are never assigned (None: every scored pair may be).
    `organisations`: the experts' organisations file; given, one expert per organisation.

    Applications are those in scores.csv; experts are those in scores.csv plus any only in
    loads.csv (they can take nothing, which matters if their minimum is above zero). Conflict
    rows for pairs without a score exclude nothing and are counted; a forced pair must have a
    score, since only scored pairs may be assigned. A loads row that gives only a max below
    the default min lowers the min with it: "at most 1" from the expert wins over a default.
    """
    check_parameters(k=k, min_load=min_load, max_load=max_load)
    sc = read_scores(scores)
    n, m0 = len(sc.apps), len(sc.experts)
    conflict_rows = read_conflicts(conflicts) if conflicts is not None else []
    load_rows = read_loads(loads) if loads is not None else []
    org_of = read_organisations(organisations) if organisations is not None else None

    experts = list(sc.experts)
    expert_index = {e: j for j, e in enumerate(experts)}
    for _, e, _, _ in load_rows:
        if e not in expert_index:
            expert_index[e] = len(experts)
            experts.append(e)
    m = len(experts)
    lo = np.full(m, min_load, dtype=np.int64)
    hi = np.full(m, max_load, dtype=np.int64)
    for _, e, emax, emin in load_rows:
        j = expert_index[e]
        hi[j] = emax
        lo[j] = emin if emin is not None else min(min_load, emax)

    keys = sc.ea * max(m0, 1) + sc.ee
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    app_index = {a: i for i, a in enumerate(sc.apps)}
    conflicted = np.zeros(sc.ea.size, dtype=bool)
    forced = np.zeros(sc.ea.size, dtype=bool)
    marked: dict[int, tuple[int, int]] = {}
    unscored = 0
    cpath = Path(conflicts) if conflicts is not None else Path()
    # One vectorised lookup of every conflict row's pair; -1 where the pair has no score
    # (an application or expert unknown to scores.csv, or a pair it does not list).
    ai = np.array([app_index.get(a, -1) for _, a, _, _ in conflict_rows], dtype=np.int64)
    ej = np.array([expert_index.get(e, m0) for _, _, e, _ in conflict_rows], dtype=np.int64)
    wanted = np.where((ai >= 0) & (ej < m0), ai * m0 + ej, -1)
    pos = np.minimum(np.searchsorted(sorted_keys, wanted), sorted_keys.size - 1)
    edges = np.where((wanted >= 0) & (sorted_keys[pos] == wanted), order[pos], -1).tolist()
    for (line, a, e, value), edge in zip(conflict_rows, edges, strict=True):
        if edge < 0:
            if value == 1:
                raise bad(
                    cpath,
                    line,
                    None,
                    "强制配对在 scores.csv 中没有评分，无法分配",
                    "forced pair has no score in scores.csv",
                    "forced_unscored",
                    f"{a},{e}",
                )
            unscored += 1
            continue
        prev = marked.setdefault(edge, (line, value))
        if prev[1] != value:
            raise bad(
                cpath,
                line,
                "value",
                f"与第 {prev[0]} 行矛盾：同一配对既回避又强制",
                f"contradicts line {prev[0]}: a pair cannot be both conflicted and forced",
                "conflict_contradiction",
                f"{a},{e}",
            )
        (conflicted if value == -1 else forced)[edge] = True

    keep = ~conflicted
    return Instance(
        applications=sc.apps,
        experts=experts,
        k=k,
        edge_app=sc.ea[keep],
        edge_expert=sc.ee[keep],
        score=sc.score[keep],
        forced=forced[keep],
        min_load=lo,
        max_load=hi,
        scored=np.bincount(sc.ea, minlength=n),
        conflicted=np.bincount(sc.ea[conflicted], minlength=n),
        conflicts_unscored=unscored,
        floor=floor,
        group=group_ids(experts, org_of) if org_of is not None else None,
    )


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON atomically: a reader sees the old file or the whole new one, never half."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise bad(path, None, None, "输出目录不存在", "output directory does not exist", "bad_output")
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
