"""Objections to an application in 公示: lodged by anyone, named and reachable, within the
window counted in working days; handled by the programme's officer; what follows the 公示
waits until each is handled."""

from __future__ import annotations

import datetime as dt
import inspect
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser

from yongke.accounts.actors import Actor
from yongke.applications import services as app_services
from yongke.audit.models import AuditEvent
from yongke.core.errors import BadInput, NotFound, PermissionDenied, Refused
from yongke.publicity import services
from yongke.publicity.models import CallPublicity, Objection
from yongke.publicity.selectors import objection_contact, publicity_for_officer, publicity_public
from yongke.testing import advance, build_world, make_application_in, make_person

BEIJING = ZoneInfo("Asia/Shanghai")
PUBLISHED = dt.datetime(2026, 9, 29, 10, 0, tzinfo=BEIJING)  # a Tuesday before 国庆


@pytest.fixture
def world(db):
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        return build_world(officer_programmes=("*",))


@pytest.fixture
def published(world):
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        app = make_application_in("funded", world=world, leader=make_person(world.org))
    with time_machine.travel(PUBLISHED, tick=False):
        return advance(app, world, "publish")


def lodge(app, **kwargs):
    data = {"name": "张三", "contact": "13800001234", "reasons": "该单位申报材料中的营业收入与年报数据不符，请核实。"}
    return services.objection_lodge(application=app, **{**data, **kwargs})


def test_the_publicity_window_is_five_working_days_across_national_day(published):
    # 9-30, 10-8, 10-9, 10-10 (Saturday 调休), 10-12 — to 24:00 Beijing time.
    assert published.objection_ends_at == dt.datetime(2026, 10, 13, 0, 0, tzinfo=BEIJING)


def test_contract_is_refused_until_24_00_of_the_last_working_day(published, world):
    with pytest.raises(Refused) as e:
        app_services.application_transition(
            actor=world.officer, application=published, action="contract", now=dt.datetime(2026, 10, 12, 23, 59, tzinfo=BEIJING)
        )
    assert e.value.code == "objection_window_open"
    assert "2026-10-12 24:00" in e.value.message
    app, _ = app_services.application_transition(
        actor=world.officer, application=published, action="contract", now=dt.datetime(2026, 10, 13, 0, 0, tzinfo=BEIJING)
    )
    assert app.state == "contracted"


def test_an_objection_is_lodged_named_with_contact_and_reasons(published):
    with time_machine.travel(PUBLISHED + dt.timedelta(days=2), tick=False):
        obj = lodge(published, address="10.0.0.8")
    stored = Objection.objects.get(pk=obj.pk)
    assert (stored.name, stored.contact, stored.outcome) == ("张三", "13800001234", "pending")
    assert "营业收入" in stored.reasons
    event = AuditEvent.objects.get(action="objection_lodge")
    assert event.actor_name == "system:publicity"
    assert event.target_id == str(published.pk)
    assert event.address == "10.0.0.8"


def test_an_anonymous_objection_without_contact_or_reasons_is_refused_with_every_problem(published):
    with time_machine.travel(PUBLISHED + dt.timedelta(days=1), tick=False), pytest.raises(BadInput) as e:
        lodge(published, name=" ", contact="随便", reasons="有异议")
    assert set(e.value.detail["errors"]) == {"name", "contact", "reasons"}
    assert "匿名异议不予受理" in e.value.detail["errors"]["name"]
    assert not Objection.objects.exists()


@pytest.mark.parametrize("contact", ["0771-5551234", "zhang@example.cn", "+86 138 0000 1234", "（0771）5551234"])
def test_a_phone_or_an_email_is_a_contact(published, contact):
    with time_machine.travel(PUBLISHED + dt.timedelta(days=1), tick=False):
        assert lodge(published, contact=contact).pk


def test_an_objection_after_the_window_is_refused(published):
    with time_machine.travel(dt.datetime(2026, 10, 13, 0, 0, tzinfo=BEIJING), tick=False), pytest.raises(Refused) as e:
        lodge(published)
    assert e.value.code == "objection_window_closed"
    assert "2026-10-12 24:00" in e.value.message


def test_an_objection_on_the_holiday_inside_the_window_is_accepted(published):
    with time_machine.travel(dt.datetime(2026, 10, 5, 15, 0, tzinfo=BEIJING), tick=False):
        assert lodge(published).outcome == "pending"


def test_an_application_not_in_publicity_takes_no_objection(world):
    with time_machine.travel(PUBLISHED - dt.timedelta(days=20), tick=False):
        app = make_application_in("funded", world=world)
    with pytest.raises(NotFound):
        lodge(app)


def test_the_officer_records_the_handling(published, world):
    with time_machine.travel(PUBLISHED + dt.timedelta(days=1), tick=False):
        obj = lodge(published)
    handled = services.objection_handle(
        actor=world.officer, objection=obj, outcome="dismissed", handling="经核实，营业收入数据与审计报告一致。"
    )
    assert handled.outcome == "dismissed"
    assert handled.handled_by == world.officer
    assert handled.handled_at is not None
    event = AuditEvent.objects.get(action="objection_handle")
    assert event.data["outcome"] == "dismissed"
    assert event.data["before"] == "pending"


def test_a_handling_without_outcome_or_reasons_is_refused_with_both(published, world):
    with time_machine.travel(PUBLISHED + dt.timedelta(days=1), tick=False):
        obj = lodge(published)
    with pytest.raises(BadInput) as e:
        services.objection_handle(actor=world.officer, objection=obj, outcome="maybe", handling="")
    assert set(e.value.detail["errors"]) == {"outcome", "handling"}
    assert Objection.objects.get(pk=obj.pk).outcome == "pending"


@pytest.mark.parametrize("who", ["applicant", "recommender", "finance", "other_officer_of_programme_2"])
def test_only_the_programmes_officer_handles_an_objection(published, world, who):
    with time_machine.travel(PUBLISHED + dt.timedelta(days=1), tick=False):
        obj = lodge(published)
    actor = world.other_officer if who == "other_officer_of_programme_2" else getattr(world, who)
    with pytest.raises(PermissionDenied):
        services.objection_handle(actor=actor, objection=obj, outcome="dismissed", handling="经核实不成立")
    assert Objection.objects.get(pk=obj.pk).outcome == "pending"


def test_contract_waits_for_every_objection_to_be_handled(published, world):
    with time_machine.travel(PUBLISHED + dt.timedelta(days=1), tick=False):
        obj = lodge(published)
    after = dt.datetime(2026, 10, 14, 9, 0, tzinfo=BEIJING)
    with pytest.raises(Refused) as e:
        app_services.application_transition(actor=world.officer, application=published, action="contract", now=after)
    assert e.value.code == "objections_pending"
    services.objection_handle(actor=world.officer, objection=obj, outcome="dismissed", handling="经核实，异议不成立。")
    app, _ = app_services.application_transition(actor=world.officer, application=published, action="contract", now=after)
    assert app.state == "contracted"
    assert AuditEvent.objects.filter(action="contract").latest("id").data["objections"] == 1


def test_the_publicity_result_lists_the_objections_received_and_their_handling(published, world):
    with time_machine.travel(PUBLISHED + dt.timedelta(days=1), tick=False):
        first, _second = lodge(published), lodge(published, name="李四", contact="lisi@example.cn")
    services.objection_handle(actor=world.officer, objection=first, outcome="upheld", handling="经核实异议成立，已责令整改。")
    [row] = publicity_public()
    assert (row.objections_received, row.objections_pending) == (2, 1)
    assert [o.outcome for o in row.objections.all()] == ["upheld", "pending"]
    assert row.period.starts_on == dt.date(2026, 9, 29)
    assert row.period.working_days == 5
    [mine] = publicity_for_officer(world.officer)
    assert {o.name for o in mine.objections.all()} == {"张三", "李四"}


def test_only_officers_read_the_objections(published, world):
    with pytest.raises(PermissionDenied):
        publicity_for_officer(world.applicant)


def test_a_call_names_its_own_contact_else_the_default(published, world, settings):
    settings.YONGKE_PUBLICITY_CONTACT = "南宁市科学技术局 0771-0000000"
    assert objection_contact(published.call) == "南宁市科学技术局 0771-0000000"
    services.call_publicity_set(actor=world.officer, call=published.call, contact="  成果处 王老师   0771-5551234 ")
    assert objection_contact(published.call) == "成果处 王老师 0771-5551234"
    assert CallPublicity.objects.count() == 1
    with pytest.raises(PermissionDenied):
        services.call_publicity_set(actor=world.applicant, call=published.call, contact="冒充")


# --------------------------------------------------------------------------- the gate

WRITES = ("objection_handle", "call_publicity_set")
PUBLIC_WRITES = ("objection_lodge",)  # the public 公示 page: acts as System("publicity") inside
READS = ("objection_errors",)


def test_every_public_service_is_declared():
    public = {n for n, f in vars(services).items() if inspect.isfunction(f) and f.__module__ == services.__name__ and not n.startswith("_")}
    assert public == set(WRITES) | set(PUBLIC_WRITES) | set(READS)


@pytest.mark.parametrize("name", WRITES)
def test_a_write_takes_a_required_keyword_actor(name):
    fn = inspect.unwrap(getattr(services, name))
    p = inspect.signature(fn).parameters["actor"]
    assert p.kind is inspect.Parameter.KEYWORD_ONLY
    assert p.default is inspect.Parameter.empty
    assert fn.__globals__[p.annotation] is Actor


@pytest.mark.parametrize("name", PUBLIC_WRITES)
def test_a_public_write_takes_no_actor_to_forge(name):
    assert "actor" not in inspect.signature(getattr(services, name)).parameters


@pytest.mark.parametrize("nobody", [None, AnonymousUser()], ids=["None", "anonymous"])
def test_nobody_may_handle_or_set_a_contact(published, world, nobody):
    with time_machine.travel(PUBLISHED + dt.timedelta(days=1), tick=False):
        obj = lodge(published)
    with pytest.raises(PermissionDenied):
        services.objection_handle(actor=nobody, objection=obj, outcome="dismissed", handling="不成立的理由")
    with pytest.raises(PermissionDenied):
        services.call_publicity_set(actor=nobody, call=published.call, contact="0771-5551234")
