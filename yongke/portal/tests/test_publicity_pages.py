"""The public 公示 page (start and end in working days, the contact, the online objection form,
the result) and the officer's page where objections are handled."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from yongke.portal.tests.conftest import portal_world
from yongke.publicity.models import CallPublicity, Objection
from yongke.publicity.services import objection_lodge
from yongke.testing import advance, make_application_in, make_person

BEIJING = ZoneInfo("Asia/Shanghai")
PUBLISHED = dt.datetime(2026, 9, 29, 10, 0, tzinfo=BEIJING)
DURING = dt.datetime(2026, 10, 9, 15, 0, tzinfo=BEIJING)
AFTER = dt.datetime(2026, 10, 13, 0, 0, tzinfo=BEIJING)
OBJECTION = {"name": "赵六", "contact": "0771-5551234", "reasons": "该项目与本单位2021年已立项项目内容高度重复，请核查。"}


@pytest.fixture
def world(db):
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        return portal_world()


@pytest.fixture
def published(world):
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        app = make_application_in("funded", world=world, leader=make_person(world.org), amount=800_000, title="公示页测试项目")
    with time_machine.travel(PUBLISHED, tick=False):
        return advance(app, world, "publish")


def test_the_public_page_shows_start_end_working_days_and_the_contact(client, published, settings):
    settings.YONGKE_PUBLICITY_CONTACT = "南宁市科学技术局 成果处 0771-5550000"
    with time_machine.travel(DURING, tick=False):
        body = client.get("/publicity/").content.decode()
    assert published.title in body
    assert "2026-09-29 至 2026-10-12 24:00" in body
    assert "5 个工作日" in body
    assert "剩 3 个工作日" in body  # 10-9 (today), 10-10 (the 调休 Saturday) and 10-12
    assert "南宁市科学技术局 成果处 0771-5550000" in body
    assert f'href="/publicity/{published.pk}/objection/"' in body


def test_a_calls_own_contact_replaces_the_default(client, published, world):
    CallPublicity.objects.create(call=world.call, contact="高新处 李老师 0771-1234567")
    with time_machine.travel(DURING, tick=False):
        body = client.get("/publicity/").content.decode()
    assert "高新处 李老师 0771-1234567" in body


def test_an_objection_is_lodged_on_the_public_page(client, published):
    with time_machine.travel(DURING, tick=False):
        page = client.get(f"/publicity/{published.pk}/objection/").content.decode()
        assert "异议人（姓名或单位名称）" in page
        response = client.post(f"/publicity/{published.pk}/objection/", OBJECTION, follow=True)
    assert "您的异议已受理" in response.content.decode()
    obj = Objection.objects.get()
    assert (obj.application_id, obj.name, obj.contact) == (published.pk, "赵六", "0771-5551234")
    assert "高度重复" in obj.reasons
    assert obj.address == "127.0.0.1"


def test_every_problem_of_an_objection_is_shown_at_once(client, published):
    with time_machine.travel(DURING, tick=False):
        response = client.post(f"/publicity/{published.pk}/objection/", {"name": "", "contact": "", "reasons": ""})
    body = response.content.decode()
    for label in ("请填写「异议人（姓名或单位名称）」", "请填写「联系方式」", "请填写「异议内容及理由」"):
        assert label in body
    with time_machine.travel(DURING, tick=False):
        body = client.post(f"/publicity/{published.pk}/objection/", {**OBJECTION, "contact": "找我", "reasons": "不同意"}).content.decode()
    assert "联系方式：应为手机号" in body
    assert "至少10个字" in body
    assert not Objection.objects.exists()


def test_no_objection_after_the_window(client, published):
    with time_machine.travel(AFTER, tick=False):
        page = client.get(f"/publicity/{published.pk}/objection/").content.decode()
        assert "公示异议期已结束" in page
        assert 'id="objection-form"' not in page
        client.post(f"/publicity/{published.pk}/objection/", OBJECTION)
        assert "提出异议</a>" not in client.get("/publicity/").content.decode()
    assert not Objection.objects.exists()


def test_an_application_not_in_publicity_has_no_objection_page(client, world):
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        app = make_application_in("funded", world=world)
    assert client.get(f"/publicity/{app.pk}/objection/").status_code == 404


def test_the_officer_handles_an_objection_and_the_result_lists_it(client, published, world):
    with time_machine.travel(DURING, tick=False):
        obj = objection_lodge(application=published, **OBJECTION)
    client.force_login(world.officer)
    page = client.get("/officer/publicity/").content.decode()
    assert "赵六" in page
    assert "0771-5551234" in page
    assert "高度重复" in page
    assert "1 件待处理" in page
    response = client.post(
        f"/officer/objections/{obj.pk}/handle/",
        {f"o{obj.pk}-outcome": "dismissed", f"o{obj.pk}-handling": "经核查，两项目研究内容不同，异议不成立。"},
        follow=True,
    )
    assert "处理情况已记录" in response.content.decode()
    obj.refresh_from_db()
    assert obj.outcome == "dismissed"
    assert obj.handled_by == world.officer
    client.logout()
    with time_machine.travel(AFTER, tick=False):
        public = client.get("/publicity/").content.decode()
    assert "收到异议 1 件" in public
    assert "异议不成立：经核查，两项目研究内容不同，异议不成立。" in public
    assert "赵六" not in public  # who objected is for the officers only
    assert "0771-5551234" not in public


def test_a_handling_with_nothing_filled_is_refused_with_both_fields(client, published, world):
    with time_machine.travel(DURING, tick=False):
        obj = objection_lodge(application=published, **OBJECTION)
    client.force_login(world.officer)
    response = client.post(f"/officer/objections/{obj.pk}/handle/", {f"o{obj.pk}-outcome": "", f"o{obj.pk}-handling": ""}, follow=True)
    body = response.content.decode()
    assert "请填写「处理结果」" in body
    assert "请填写「处理情况」" in body
    assert Objection.objects.get(pk=obj.pk).outcome == "pending"


def test_the_officer_sets_a_calls_contact(client, published, world):
    client.force_login(world.officer)
    response = client.post(
        f"/officer/publicity/calls/{world.call.pk}/contact/", {f"c{world.call.pk}-contact": "成果处 王老师 0771-5551234"}, follow=True
    )
    assert "异议受理联系方式已保存" in response.content.decode()
    assert CallPublicity.objects.get(call=world.call).contact == "成果处 王老师 0771-5551234"


@pytest.mark.parametrize("who", ["applicant", "recommender", "finance"])
def test_only_officers_see_and_handle_objections(client, published, world, who):
    with time_machine.travel(DURING, tick=False):
        obj = objection_lodge(application=published, **OBJECTION)
    client.force_login(getattr(world, who))
    assert client.get("/officer/publicity/").status_code == 403
    data = {f"o{obj.pk}-outcome": "upheld", f"o{obj.pk}-handling": "越权处理的内容"}
    assert client.post(f"/officer/objections/{obj.pk}/handle/", data).status_code == 403
    assert Objection.objects.get(pk=obj.pk).outcome == "pending"


def test_an_officer_of_another_programme_cannot_handle_it(client, published, world):
    with time_machine.travel(DURING, tick=False):
        obj = objection_lodge(application=published, **OBJECTION)
    client.force_login(world.other_officer)  # programme 2; the application is programme 1's
    data = {f"o{obj.pk}-outcome": "upheld", f"o{obj.pk}-handling": "越权处理的内容"}
    assert client.post(f"/officer/objections/{obj.pk}/handle/", data).status_code == 404
    assert Objection.objects.get(pk=obj.pk).outcome == "pending"


def test_the_publicity_page_in_english(client, published):
    with time_machine.travel(DURING, tick=False):
        body = client.get("/publicity/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Lodge an objection" in body
    assert "5 working days" in body
