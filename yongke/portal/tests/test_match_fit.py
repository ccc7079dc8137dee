"""我能申报什么, ordered by fit: the profile form, the ranking with its reasons, the verdict untouched."""

from __future__ import annotations

import re

from yongke.orgs import services as org_services
from yongke.orgs.validators import uscc_with_check
from yongke.testing import TEST, make_user

# 龙头企业 answered yes: the programme-1 directions (1.1 …) are then open, as the issue found a
# hospital's 45 directions 可以申报 including 1.1.
HOSPITAL = {"org_kind": "hospital", "org_industry": "Q84", "org_region": "450103", "leading_enterprise": "true"}
CAR_MAKER = {
    "org_kind": "enterprise",
    "org_industry": "C36",
    "org_region": "JKQ",
    "org_scope": "新能源汽车及动力电池的研发、生产和销售",
    "leading_enterprise": "true",
}
HEALTH = {"8.1", "8.2", "8.3", "19.1", "19.2", "19.3", "19.4", "20.3", "31.1"}


def _section(body: str, heading: str) -> str:
    """The HTML of the results section whose heading has this id (ok-h, unk-h, miss-h)."""
    start = body.index(f'id="{heading}"')
    return body[start : body.index("</section>", start)]


def _order(section: str) -> list[str]:
    return re.findall(r'<li data-direction="([0-9.]+)"', section)


def _item(section: str, direction: str) -> str:
    start = section.index(f'<li data-direction="{direction}"')
    end = section.find("<li data-direction=", start + 1)
    return section[start : end if end > 0 else len(section)]


def test_the_anonymous_form_asks_type_industry_district_and_business_scope(client, world):
    body = client.get("/match/").content.decode()
    assert "本单位概况" in body
    for name in ("org_kind", "org_industry", "org_region", "org_scope"):
        assert f'name="{name}"' in body
    assert '<option value="hospital">医疗机构</option>' in body
    assert '<option value="C36">C36 汽车制造业</option>' in body
    assert '<optgroup label="C 制造业">' in body
    assert '<option value="GXQ">南宁高新技术产业开发区</option>' in body


def test_a_hospital_sees_health_directions_first_and_1_1_far_below_outside_its_field(client, world):
    body = client.get("/match/", HOSPITAL).content.decode()
    section = _section(body, "ok-h")
    order = _order(section)
    assert set(order[:6]) <= HEALTH
    below = order.index("1.1")
    assert below >= 10
    assert HEALTH & set(order) <= set(order[:below])
    assert not any("不在本单位领域" in _item(section, d) for d in order[:below])  # only directions outside the field follow
    assert "不在本单位领域" in _item(section, "1.1")
    assert "不在本单位领域" not in _item(section, "19.1")
    assert "按与本单位的相关程度排序" in body


def test_the_reason_names_the_industry_and_the_keywords(client, world):
    section = _section(client.get("/match/", CAR_MAKER).content.decode(), "ok-h")
    assert {"1.1", "1.2"} <= set(_order(section)[:4])
    reason = _item(section, "1.2")
    assert "匹配：行业 C36 汽车制造业；" in reason
    assert re.search(r"关键词 [^<]*动力电池", reason)


def test_the_results_update_through_htmx_with_the_ranking(client, world):
    page = client.get("/match/", HOSPITAL, HTTP_HX_REQUEST="true")
    assert page.templates[0].name == "portal/_match_results.html"
    assert _order(_section(page.content.decode(), "ok-h"))[0] in HEALTH


def test_a_signed_in_hospital_is_ranked_from_the_registry(client, world):
    org, _ = org_services.organisation_upsert(
        actor=TEST,
        data={
            "uscc": uscc_with_check("12450100MB1A2B3C4"[:17]),
            "name": "南宁市第一人民医院",
            "kind": "hospital",
            "district": "450103",
            "industry": "Q8411",
        },
    )
    client.force_login(make_user("applicant", organisation=org))
    body = client.get("/match/").content.decode()
    assert '<option value="hospital" selected>医疗机构</option>' in body
    assert '<option value="Q84" selected>Q84 卫生</option>' in body
    order = _order(_section(body, "ok-h"))
    assert order[0] in HEALTH
    assert "行业 Q84 卫生" in body


def test_an_answer_overrides_the_registry(client, world):
    client.force_login(world.applicant)  # an enterprise with no industry in the registry
    body = client.get("/match/", {"org_industry": "Q84", "org_kind": "hospital"}).content.decode()
    assert '<option value="Q84" selected>Q84 卫生</option>' in body
    assert _order(_section(body, "ok-h"))[0] in HEALTH


def test_a_missed_direction_is_never_shown_as_open_however_well_it_fits(client, world):
    institute = {"org_kind": "institute", "org_industry": "M73", "org_scope": "新材料研究与中试", "registered_in_nanning": "false"}
    body = client.get("/match/", institute).content.decode()
    missed = _order(_section(body, "miss-h"))
    assert "12.1" in missed  # 新型产业技术研究机构: the institute's best fit, but it must be registered in Nanning
    assert "12.1" not in _order(_section(body, "ok-h")) + _order(_section(body, "unk-h"))
    assert "匹配：" in _item(_section(body, "miss-h"), "12.1")


def test_an_unknown_profile_answer_is_reported_and_left_out(client, world):
    page = client.get("/match/", {"org_kind": "spaceship", "org_industry": "C36"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "列表中没有这一项，请从列表中选择。" in body
    assert "行业 C36 汽车制造业" in body  # the valid answers still rank


def test_the_english_page_shows_the_fit_in_english(client, world):
    body = client.get("/match/", HOSPITAL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Outside your field" in body
    assert "Match: Industry Q84 卫生" in body
    assert "About your organisation" in body
    assert "Not in the list; choose from the list." in client.get("/match/", {"org_kind": "x"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
