"""Public pages: the guide, 我能申报什么, the 公示 list."""

from __future__ import annotations

from yongke.portal.tests.conftest import an_application


def test_guide_index_links_every_direction_and_open_calls(client, world):
    body = client.get("/").content.decode()
    assert body.count("/directions/") == 65
    assert world.call.name in body


def test_direction_page_offers_to_apply_when_a_call_is_open(client, world):
    url = f"/guide/{world.version.label}/r{world.version.revision}/directions/1.1/"
    assert "登录后申报" in client.get(url).content.decode()
    client.force_login(world.applicant)
    body = client.get(url).content.decode()
    assert f"/calls/{world.call.pk}/apply/1.1/" in body
    assert "（2）实施期间，新增产值或新增销售收入达到5000万元以上。" in body


def test_match_without_answers_asks_the_questionnaire(client, world):
    body = client.get("/match/").content.decode()
    assert "单位情况" in body
    assert "回答左侧问题后" in body


def test_match_lists_misses_with_the_failing_clause(client, world):
    body = client.get("/match/", {"registered_in_nanning": "false"}).content.decode()
    # 12.1 requires registration in Nanning: the clause that fails is quoted.
    assert "不符合" in body
    assert "12.1" in body
    assert "（1）在南宁市注册且具备独立法人资格的机构。" in body


def test_match_estimates_post_subsidies_from_the_award_rules(client, world):
    page = client.get(
        "/match/",
        {"above_scale": "true", "rd_in_statistics": "true", "rd_expense_base": "5,000,000", "registered_in_nanning": "true"},
        HTTP_HX_REQUEST="true",
    )
    body = page.content.decode()
    assert page.templates[0].name == "portal/_match_results.html"
    assert 'data-direction="23.1"' in body
    assert "元" in body


def test_match_reports_a_bad_number_instead_of_guessing(client, world):
    body = client.get("/match/", {"rd_expense_base": "很多"}).content.decode()
    assert "请填写有效的数值" in body


def test_match_starts_from_the_registry_for_a_signed_in_applicant(client, world):
    client.force_login(world.applicant)
    body = client.get("/match/").content.decode()
    assert world.org.name in body
    assert "个方向可以申报" in body


def test_publicity_lists_published_applications_with_their_window(client, world):
    app = an_application(world, "published", title="公示测试项目")
    an_application(world, "submitted", title="未公示的项目")
    body = client.get("/publicity/").content.decode()
    assert app.title in body
    assert "异议期内" in body
    assert "80 万元" in body
    assert "未公示的项目" not in body


def test_language_switch_translates_the_chrome(client, world):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/publicity/").content.decode()
    assert "Publicity" in body
    assert "Sign in" in body
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "登录" in client.get("/publicity/").content.decode()
