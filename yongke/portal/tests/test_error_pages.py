"""Our own 400/403/404/500 pages, Chinese and English, with DEBUG off as in production: each says
what happened and what to do, inside the portal's layout (the 500 page without the database)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from yongke.guide import selectors as guide_selectors

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False
    settings.LANGUAGE_CODE = "zh-hans"


def main_text(html: str) -> str:
    body = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", body.split(">", 1)[1]).split())


def test_a_non_applicant_following_the_calls_link_from_the_home_page_is_told_why_and_what_to_do(client, world):
    client.force_login(world.officer)
    home = client.get("/").content.decode()
    link = re.search(r'href="(/calls/#call-\d+)"', home)
    assert link, "the home page links the open call"
    response = client.get(link.group(1).split("#")[0])
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html
    text = main_text(html)
    assert "无权访问此页面" in text
    assert "此页面仅供申报人、申报单位管理员使用" in text  # why
    assert "您当前的身份是项目处业务人员" in text
    assert "请退出后以本单位的申报人或单位管理员账户登录" in text  # what to do
    assert 'href="/register/"' in html
    assert 'href="/home/"' in html
    assert "Forbidden" not in html
    assert "邕科" in html  # inside the portal's layout, menu and all


def test_the_403_page_in_english(client, world):
    client.force_login(world.officer)
    response = client.get("/calls/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="en">' in html
    text = main_text(html)
    assert "You may not open this page" in text
    assert "This page is for applicants, organisation administrators." in text
    assert "You are signed in as programme officers." in text
    assert not CJK.search(text), text


def test_a_services_refusal_shows_its_own_reason_in_the_pages_language(rf, world):
    from django.core.exceptions import PermissionDenied
    from django.utils import translation

    from yongke.portal.views.errors import permission_denied

    request = rf.get("/applications/1/")
    request.user = world.officer
    refusal = PermissionDenied("只能为本单位操作申报 / only for your own organisation")
    with translation.override("zh-hans"):
        zh = main_text(permission_denied(request, refusal).content.decode())
    with translation.override("en"):
        en = main_text(permission_denied(request, refusal).content.decode())
    assert "只能为本单位操作申报" in zh
    assert "only for your own" not in zh
    assert "Only for your own organisation" in en
    assert "只能" not in en


@pytest.mark.parametrize(
    ("language", "title", "advice"),
    [("zh-hans", "找不到该页面", "检查网址是否输入正确"), ("en", "This page cannot be found", "Check that the address is typed correctly")],
)
def test_the_404_page_in_both_languages(client, db, language, title, advice):
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    text = main_text(response.content.decode())
    assert title in text
    assert advice in text
    if language == "en":
        assert not CJK.search(text), text


def test_an_invisible_application_is_a_404_that_says_so(client, world):
    client.force_login(world.applicant)
    response = client.get("/applications/999999/")
    assert response.status_code == 404
    text = main_text(response.content.decode())
    assert "申报 999999 不存在或无权查看" in text
    assert "Not Found" not in response.content.decode()


@pytest.mark.parametrize(
    ("language", "title", "advice"),
    [("zh-hans", "服务器出错了", "错误已记录"), ("en", "Server error", "It has been logged")],
)
def test_the_500_page_in_both_languages_renders_without_the_database(db, monkeypatch, language, title, advice):
    def broken():
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(guide_selectors, "guide_version_current", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    html = response.content.decode()
    assert title in html
    assert advice in html
    assert "RuntimeError" not in html
    assert "Traceback" not in html
    assert f'<html lang="{"en" if language == "en" else "zh-Hans"}">' in html
    if language == "en":
        assert not CJK.search(main_text(html).replace("邕", "")), main_text(html)


def test_the_400_page_is_ours(db):
    response = Client(raise_request_exception=False).get("/", HTTP_HOST="evil.example")  # not an allowed host
    assert response.status_code == 400
    text = main_text(response.content.decode())
    assert "请求无法处理" in text


def test_api_errors_stay_json_with_debug_off(client, db):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"code", "message", "detail"}


def test_a_form_without_its_csrf_token_gets_our_403_page(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "页面已过期" in body
    assert "CSRF verification failed" not in body
