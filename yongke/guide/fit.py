"""方向匹配度: how well each direction of a guide fits an organisation, and why.

Pure: an organisation's profile (type, GB/T 4754 industry, district or zone, business scope),
the guide's directions and the fit model (`data/fit.yaml`) in; each direction's score, its
reasons and whether it lies outside the organisation's field out. The hard verdict
(`yongke.guide.matching`) still decides whether the organisation may apply: fit only orders
the directions and explains the order.

The profile's words come from the model — its type's field and the words directions use for
applicants of that type, its industry division's and section's words, its district's or
zone's — and from its business scope, segmented by jieba-rs (`rjieba`). A direction matches a
word its name, its project's name or its published text contains. A match counts by where the
word comes from (the model's weights), by its rarity among the guide's directions (a word most
of them contain says little), and more when it is in the direction's or project's name.

A direction lies outside the organisation's field when the organisation has a field (words
that name one: a hospital's, a manufacturer's industry, its business scope), the direction
names some field (it contains a field word of the model) and none of the organisation's.
A direction that names no field (a post-subsidy open to any enterprise) is never outside.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

import rjieba
import yaml

from yongke.guide.model import Direction

FIT_FILE = Path(__file__).resolve().parent / "data" / "fit.yaml"
Source = Literal["industry", "kind", "region", "scope"]
ReasonKind = Literal["industry", "kind", "region", "keywords"]
REASON_PREFIX: dict[ReasonKind, str] = {"industry": "行业", "kind": "单位类型", "region": "所在地", "keywords": "关键词"}
OUTSIDE_FIELD = "不在本单位领域"
MAX_KEYWORDS = 5  # matched words a reason names
MAX_SCOPE = 2000  # characters of a business scope read
# jieba's tags of words that name nothing: punctuation, particles, conjunctions, prepositions,
# adverbs, pronouns, numerals, quantifiers, locality words, interjections, onomatopoeia.
FUNCTION_TAGS = frozenset({"x", "w", "u", "uj", "ul", "uz", "ug", "uv", "ud", "c", "p", "d", "r", "m", "q", "f", "y", "e", "o"})


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Vocabulary:
    """The words of an organisation type, an industry section or division, or a region."""

    code: str
    label: str
    keywords: tuple[str, ...] = ()  # a type's `fields`, a section's or division's or region's `keywords`
    applicants: tuple[str, ...] = ()  # types only: how directions name applicants of the type
    broad: bool = False  # sections and divisions: works in every field, its words name none


@dataclass(frozen=True)
class Weights:
    industry: float
    scope: float
    kind: float
    audience: float  # words that say who applies: a type's applicants, a broad industry's words
    region: float
    title: float


@dataclass(frozen=True)
class FitModel:
    weights: Weights
    generic: frozenset[str]
    kinds: Mapping[str, Vocabulary]
    sections: Mapping[str, Vocabulary]
    divisions: Mapping[str, Vocabulary]
    regions: Mapping[str, Vocabulary]
    field_words: frozenset[str]  # every word of the model that names a field
    topical: int = 2  # field words a direction contains to name a field

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every word of the model: the segmenter keeps each whole (新材料, not 新 + 材料)."""
        tables = (*self.kinds.values(), *self.sections.values(), *self.divisions.values(), *self.regions.values())
        return frozenset(w for v in tables for w in (*v.keywords, *v.applicants))

    def division(self, industry: str) -> Vocabulary | None:
        return self.divisions.get(industry.strip().upper()[:3])

    def section(self, industry: str) -> Vocabulary | None:
        return self.sections.get(industry.strip().upper()[:1])


def _words(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
        raise ValueError(f"{where}: 应为非空词语的列表 / must be a list of words")
    return tuple(w.strip().upper() for w in raw)


def _vocabulary(code: str, raw: Any, where: str, *, words: str = "keywords") -> Vocabulary:
    where = f"{where}.{code}"
    if not isinstance(raw, dict) or not isinstance(raw.get("label"), str):
        raise ValueError(f"{where}: 须有 label / needs a label")
    unknown = set(raw) - {"label", words, "applicants", "broad"}
    if unknown:
        raise ValueError(f"{where}: 未知的键 {', '.join(sorted(unknown))} / unknown keys")
    return Vocabulary(
        code=code,
        label=raw["label"],
        keywords=_words(raw.get(words), f"{where}.{words}"),
        applicants=_words(raw.get("applicants"), f"{where}.applicants"),
        broad=bool(raw.get("broad", False)),
    )


def _table(data: Mapping[str, Any], key: str, *, words: str = "keywords") -> dict[str, Vocabulary]:
    raw = data.get(key)
    if not isinstance(raw, dict):
        raise ValueError(f"{key}: 应为映射 / must be a mapping")
    return {str(code): _vocabulary(str(code), v, key, words=words) for code, v in raw.items()}


def _weights(raw: Any) -> Weights:
    names = ("industry", "scope", "kind", "audience", "region", "title")
    if not isinstance(raw, dict) or any(not isinstance(raw.get(n), int | float) for n in names):
        raise ValueError(f"weights: 须给出 {', '.join(names)} 的数值 / needs a number for each of them")
    return Weights(**{n: float(raw[n]) for n in names})


def _count(raw: Any, where: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
        raise ValueError(f"{where}: 应为正整数 / must be a positive integer")
    return raw


def load_model(data: Mapping[str, Any]) -> FitModel:
    """The fit model from the parsed file; a bad structure is a ValueError naming the key."""
    kinds = _table(data, "kinds", words="fields")
    sections = _table(data, "sections")
    divisions = _table(data, "divisions")
    fields = {w for v in kinds.values() for w in v.keywords}
    fields |= {w for v in (*sections.values(), *divisions.values()) if not v.broad for w in v.keywords}
    return FitModel(
        weights=_weights(data.get("weights")),
        generic=frozenset(_words(data.get("generic"), "generic")),
        kinds=kinds,
        sections=sections,
        divisions=divisions,
        regions=_table(data, "regions"),
        field_words=frozenset(fields),
        topical=_count(data.get("topical", 2), "topical"),
    )


@lru_cache(maxsize=1)
def default_model() -> FitModel:
    """The model of `data/fit.yaml`, read once."""
    with FIT_FILE.open(encoding="utf-8") as f:
        return load_model(yaml.safe_load(f))


# --------------------------------------------------------------------------- a profile's words


@dataclass(frozen=True)
class Profile:
    """What the fit reads of an organisation; every part may be empty."""

    kind: str = ""  # the registry's type (Organisation.Kind): enterprise, hospital …
    industry: str = ""  # GB/T 4754, as the registry writes it: C36, C3612
    district: str = ""  # GB/T 2260
    zone: str = ""  # a development zone's code
    scope: str = ""  # business scope or main products, as written

    @property
    def given(self) -> bool:
        return any((self.kind, self.industry, self.district, self.zone, self.scope.strip()))


class Term(NamedTuple):
    word: str
    source: Source
    weight: float
    field: bool  # names the organisation's field
    label: str  # where it comes from, for the reason: "C36 汽车制造业", "医疗机构", "武鸣区"; empty for the scope


@lru_cache(maxsize=4)
def _segmenter(vocabulary: frozenset[str]) -> rjieba.Jieba:
    """jieba-rs with its default dictionary and the model's words added (a user dictionary)."""
    jieba = rjieba.Jieba()
    for word in sorted(vocabulary):
        jieba.add_word(word, None, "n")
    return jieba


def scope_keywords(text: str, model: FitModel) -> tuple[str, ...]:
    """The words of a business scope that may name a field: jieba-rs segments it (knowing the
    model's words), function words and the generic words go, and each word brings its shorter
    dictionary words (动力电池: 动力, 电池)."""
    jieba = _segmenter(model.vocabulary)
    out: dict[str, None] = {}
    for word, tag in jieba.tag(text[:MAX_SCOPE]):
        if tag in FUNCTION_TAGS:
            continue
        for w in (word, *jieba.cut_for_search(word)):
            w = w.strip().upper()
            if len(w) >= 2 and not w.isdigit() and w not in model.generic:
                out.setdefault(w)
    return tuple(out)


def _industry_terms(profile: Profile, model: FitModel) -> Iterator[Term]:
    division, section = model.division(profile.industry), model.section(profile.industry)
    if profile.industry == "" or section is None:
        return
    label = f"{division.code} {division.label}" if division else f"{section.code} {section.label}"
    w = model.weights
    for v in (division, section):
        if v is not None:
            yield from (Term(k, "industry", w.audience if v.broad else w.industry, not v.broad, label) for k in v.keywords)


def _kind_terms(profile: Profile, model: FitModel) -> Iterator[Term]:
    kind = model.kinds.get(profile.kind)
    if kind is None:
        return
    yield from (Term(w, "kind", model.weights.kind, True, kind.label) for w in kind.keywords)
    yield from (Term(w, "kind", model.weights.audience, False, kind.label) for w in kind.applicants)


def _region_terms(profile: Profile, model: FitModel) -> Iterator[Term]:
    for code in dict.fromkeys((profile.zone, profile.district)):
        region = model.regions.get(code)
        if region is not None:
            yield from (Term(w, "region", model.weights.region, False, region.label) for w in region.keywords)


def profile_terms(profile: Profile, model: FitModel) -> list[Term]:
    """Every word the profile brings, with its source: industry, type, region, then the scope."""
    terms = [*_industry_terms(profile, model), *_kind_terms(profile, model), *_region_terms(profile, model)]
    terms += [Term(w, "scope", model.weights.scope, True, "") for w in scope_keywords(profile.scope, model)]
    return terms


# --------------------------------------------------------------------------- ranking


class Reason(NamedTuple):
    kind: ReasonKind
    label: str  # "C36 汽车制造业", "医疗机构", "武鸣区", "新能源、电池"

    @property
    def text(self) -> str:
        return f"{REASON_PREFIX[self.kind]} {self.label}"


class Fit(NamedTuple):
    direction_id: str
    score: float
    reasons: tuple[Reason, ...]
    outside_field: bool

    @property
    def why(self) -> str:
        """The reasons as one Chinese line: "匹配：行业 C36 汽车制造业；关键词 新能源、电池"."""
        if self.outside_field:
            return OUTSIDE_FIELD
        return "匹配：" + "；".join(r.text for r in self.reasons) if self.reasons else ""


@dataclass(frozen=True)
class _Doc:
    id: str
    title: str  # the direction's and its project's names
    text: str  # the names and the published text
    topical: bool  # names some field of the model

    @classmethod
    def of(cls, d: Direction, model: FitModel) -> _Doc:
        title = f"{d.name} {d.project.name}".upper()
        text = f"{title} {d.text}".upper()
        return cls(id=d.id, title=title, text=text, topical=_names_a_field(text, model.field_words, model.topical))


@lru_cache(maxsize=1024)
def _names_a_field(text: str, field_words: frozenset[str], topical: int) -> bool:
    """Whether a direction's text contains `topical` of the field words (the same for every
    profile, so kept across requests)."""
    return sum(w in text for w in field_words) >= topical


def _idf(words: Iterable[str], docs: Sequence[_Doc]) -> dict[str, float]:
    """Smoothed inverse document frequency over the guide's directions."""
    n = len(docs)
    return {w: math.log((1 + n) / (1 + sum(w in d.text for d in docs))) + 1 for w in words}


def _reasons(matched: Sequence[Term], gain: Mapping[str, float]) -> tuple[Reason, ...]:
    out = []
    for source in ("industry", "kind", "region"):
        labels = dict.fromkeys(t.label for t in matched if t.source == source)
        if labels:
            out.append(Reason(source, "、".join(labels)))
    # The words the organisation wrote first, then the model's, each by what it added.
    scope = {t.word for t in matched if t.source == "scope"}
    words = sorted(_longest([t.word for t in matched]), key=lambda w: (w not in scope, -gain[w]))
    if words:
        out.append(Reason("keywords", "、".join(words[:MAX_KEYWORDS])))
    return tuple(out)


def _longest(words: Sequence[str]) -> list[str]:
    """The words without one that is part of another (电池 beside 动力电池)."""
    unique = dict.fromkeys(words)
    return [w for w in unique if not any(w != o and w in o for o in unique)]


def _fit(doc: _Doc, terms: Sequence[Term], idf: Mapping[str, float], weights: Weights, has_field: bool) -> Fit:
    matched = [t for t in terms if t.word in doc.text]
    gain: dict[str, float] = {}
    for t in matched:  # a word counts once, at its strongest source
        g = t.weight * idf[t.word] * (weights.title if t.word in doc.title else 1.0)
        gain[t.word] = max(gain.get(t.word, 0.0), g)
    outside = has_field and doc.topical and not any(t.field for t in matched)
    return Fit(doc.id, round(sum(gain.values()), 3), _reasons(matched, gain), outside)


def rank(profile: Profile, directions: Iterable[Direction], model: FitModel | None = None) -> list[Fit]:
    """Every direction by fit, best first; those outside the organisation's field last, and the
    guide's order among equals."""
    model = model or default_model()
    terms = profile_terms(profile, model)
    docs = [_Doc.of(d, model) for d in directions]
    idf = _idf({t.word for t in terms}, docs)
    has_field = any(t.field for t in terms)
    fits = [_fit(doc, terms, idf, model.weights, has_field) for doc in docs]
    return sorted(fits, key=lambda f: (f.outside_field, -f.score))
