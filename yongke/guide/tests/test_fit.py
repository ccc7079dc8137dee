"""方向匹配度 (yongke.guide.fit): the directions an organisation may apply to, ordered by fit
with the reasons; the hard verdict stays the rules' alone."""

from __future__ import annotations

import re

import pytest

from yongke.core.regions import RECOMMENDING_UNITS
from yongke.guide.fit import OUTSIDE_FIELD, Fit, Profile, default_model, load_model, rank, scope_keywords
from yongke.guide.matching import match
from yongke.orgs.models import Organisation

HOSPITAL = Profile(kind="hospital", industry="Q8411", district="450103")
CAR_MAKER = Profile(kind="enterprise", industry="C3612", zone="JKQ", scope="新能源汽车及动力电池的研发、生产和销售")
UNIVERSITY = Profile(kind="university", industry="P8341", district="450107")
INSTITUTE = Profile(kind="institute", industry="M7320", scope="新材料研究与中试")
# The guide's health and medicine directions: 生物医药产业, 大健康领域, 医学重点学科, 食品药品安全.
HEALTH = {"8.1", "8.2", "8.3", "19.1", "19.2", "19.3", "19.4", "20.3", "31.1"}


def _ids(fits: list[Fit]) -> list[str]:
    return [f.direction_id for f in fits]


def _fit(fits: list[Fit], direction: str) -> Fit:
    return next(f for f in fits if f.direction_id == direction)


def test_a_hospital_sees_the_health_and_medicine_directions_first(guide):
    fits = rank(HOSPITAL, guide.directions)
    assert set(_ids(fits)[:8]) <= HEALTH
    assert {"19.1", "31.1", "8.3"} <= set(_ids(fits)[:4])


def test_a_hospital_sees_1_1_far_below_marked_outside_its_field(guide):
    fits = rank(HOSPITAL, guide.directions)
    position = _ids(fits).index("1.1")
    assert position >= len(fits) // 2
    assert _fit(fits, "1.1").outside_field
    assert _fit(fits, "1.1").why == "不在本单位领域"
    assert not any(_fit(fits, d).outside_field for d in HEALTH)


def test_a_direction_that_names_no_field_is_never_outside_it(guide):
    # 23.1 (研发投入奖补) is open to any enterprise, whatever it makes.
    assert not _fit(rank(HOSPITAL, guide.directions), "23.1").outside_field
    assert not _fit(rank(CAR_MAKER, guide.directions), "23.1").outside_field


def test_a_car_maker_ranks_1_1_and_1_2_top(guide):
    top = _ids(rank(CAR_MAKER, guide.directions))[:4]
    assert {"1.1", "1.2"} <= set(top)
    assert set(top) <= {"1.1", "1.2", "16.1", "16.2"}  # the other two are 汽车产业's own


def test_a_car_makers_reason_names_c36_and_its_keywords(guide):
    fit = _fit(rank(CAR_MAKER, guide.directions), "1.2")
    assert fit.why.startswith("匹配：行业 C36 汽车制造业；")
    keywords = next(r.label for r in fit.reasons if r.kind == "keywords").split("、")
    assert "动力电池" in keywords
    assert "新能源汽车" in keywords
    assert "电池" not in keywords  # part of 动力电池, named once


def test_a_car_maker_sees_medicine_outside_its_field(guide):
    fits = rank(CAR_MAKER, guide.directions)
    assert _fit(fits, "19.1").outside_field
    assert not _fit(fits, "4.1").outside_field  # 电池新材料: its batteries


def test_a_university_ranks_industry_university_research_cooperation_first(guide):
    fits = rank(UNIVERSITY, guide.directions)
    assert _ids(fits)[0] == "22.1"  # 产学研合作研究开发
    assert {"11.1", "32.2"} <= set(_ids(fits)[:5])  # 联合高校院所; 知名高校在南宁设立技术转移分支机构
    assert "单位类型 高等院校" in _fit(fits, "22.1").why


def test_a_university_works_in_every_field_so_nothing_is_outside_it(guide):
    assert not any(f.outside_field for f in rank(UNIVERSITY, guide.directions))


def test_a_research_institute_ranks_the_institute_and_materials_directions_high(guide):
    fits = rank(INSTITUTE, guide.directions)
    top = set(_ids(fits)[:8])
    assert {"12.1", "36.1"} <= top  # 新型产业技术研究机构; 中试基地
    assert {"4.1", "14.1"} <= top  # 新材料, from its business scope
    assert "关键词 新材料" in _fit(fits, "14.1").why


def test_the_district_is_a_reason(guide):
    grower = Profile(kind="enterprise", industry="A01", district="450110", scope="沃柑种植")
    fit = _fit(rank(grower, guide.directions), "11.1")  # 南宁国家农业科技园区, in 武鸣区
    assert "所在地 武鸣区" in fit.why
    assert "关键词 沃柑" in fit.why


def test_reasons_are_chinese(guide):
    for profile in (HOSPITAL, CAR_MAKER, UNIVERSITY, INSTITUTE):
        for fit in rank(profile, guide.directions):
            if fit.why:
                assert re.search(r"[A-Za-z]{2,}", fit.why.replace("GB/T", "")) is None, fit.why
                assert fit.why.startswith(("匹配：", OUTSIDE_FIELD))


def test_an_empty_profile_keeps_the_guide_order_and_gives_no_reason(guide):
    fits = rank(Profile(), guide.directions)
    assert _ids(fits) == [d.id for d in guide.directions]
    assert {f.score for f in fits} == {0}
    assert not any(f.reasons or f.outside_field for f in fits)


def test_the_business_scope_is_segmented_into_whole_field_words():
    words = scope_keywords("一般项目：新材料技术研发；新能源汽车动力电池的生产、销售（依法须经批准的项目除外）", default_model())
    assert {"新材料", "新能源汽车", "动力电池", "电池"} <= set(words)
    assert not {"销售", "生产", "一般项目", "项目", "技术研发"} & set(words)


def test_the_fit_model_knows_every_type_and_recommending_unit_of_the_registry():
    model = default_model()
    assert set(model.kinds) == set(Organisation.Kind.values)
    assert set(model.regions) == set(RECOMMENDING_UNITS)
    assert all(code[:1] in model.sections and len(code) == 3 for code in model.divisions)
    assert len(model.divisions) == 97  # GB/T 4754-2017's 大类


def test_a_broken_fit_model_is_refused_naming_the_key():
    with pytest.raises(ValueError, match="weights"):
        load_model({"weights": {"industry": "heavy"}, "kinds": {}, "sections": {}, "divisions": {}, "regions": {}})
    with pytest.raises(ValueError, match=r"kinds\.hospital"):
        load_model({"kinds": {"hospital": {"fields": ["医疗"]}}})


# --------------------------------------------------------------------------- the hard verdict


def _verdicts(result) -> dict[str, set[str]]:
    return {name: {m.direction.id for m in getattr(result, name)} for name in ("qualifies", "unknown", "misses")}


@pytest.mark.parametrize("profile", [HOSPITAL, CAR_MAKER, UNIVERSITY, INSTITUTE])
def test_fit_orders_but_never_changes_a_verdict(compiled, profile):
    facts = {"registered_in_nanning": False}  # 12.1, 26.1 and 36.1 require it: missed
    plain, ranked = match(compiled, facts), match(compiled, facts, profile)
    assert ranked.ranked
    assert _verdicts(ranked) == _verdicts(plain)
    assert {"12.1", "36.1"} <= _verdicts(ranked)["misses"]
    assert all(m.fit is not None for m in ranked.qualifies + ranked.unknown + ranked.misses)


def test_an_institute_that_fits_a_missed_direction_best_still_misses_it(compiled):
    result = match(compiled, {"registered_in_nanning": False}, INSTITUTE)
    missed = next(m for m in result.misses if m.direction.id == "12.1")
    assert missed.fit is not None
    assert missed.fit.score > max(m.fit.score for m in result.qualifies if m.fit is not None) / 2
    assert "12.1" not in {m.direction.id for m in result.qualifies + result.unknown}


def test_without_a_profile_the_matcher_is_not_ranked(compiled):
    result = match(compiled, {}, Profile())
    assert not result.ranked
    assert [m.direction.id for m in result.qualifies] == [m.direction.id for m in match(compiled, {}).qualifies]
    assert all(m.fit is None for m in result.qualifies)
