"""Every update's audit entry holds the old and the new values of what it changed
(`data["changes"]`, `{field: [old, new]}`): a draft's edit, a call's signing and acceptance
settings, its 公示 contact, a user's notification choices, a step that decides an amount."""

from __future__ import annotations

import pytest

from yongke.applications import services as apps
from yongke.audit.models import AuditEvent
from yongke.notifications.services import notification_preferences_set
from yongke.projects import acceptance as acc
from yongke.projects import services as projects
from yongke.publicity.services import call_publicity_set
from yongke.testing import TEST, build_world, make_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _changes(action: str, target_type: str, target_id) -> dict:
    return AuditEvent.objects.filter(action=action, target_type=target_type, target_id=str(target_id)).latest("id").data["changes"]


def test_a_drafts_edit_records_each_field_and_fact_before_and_after(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant, title="旧的项目名称", requested_amount=1_000_000)
    old_facts = dict(app.facts)
    app = apps.application_update(
        actor=world.applicant,
        application=app,
        lock_version=app.lock_version,
        changes={"title": "新的项目名称", "leader_phone": "13912345678"},
    )
    changes = _changes("application_update", "application", app.pk)
    assert changes["title"] == ["旧的项目名称", "新的项目名称"]
    assert changes["leader_phone"] == ["*******8000", "*******5678"]
    assert "13912345678" not in str(changes)  # a phone number is masked
    assert app.facts == old_facts


def test_a_drafts_facts_are_recorded_one_by_one(world):
    app = make_application(call=world.call, org=world.org, user=world.applicant)
    name, value = next((k, v) for k, v in app.facts.items() if isinstance(v, int) and not isinstance(v, bool))
    app = apps.application_update(
        actor=world.applicant, application=app, lock_version=app.lock_version, changes={"facts": {name: value + 1}}
    )
    assert _changes("application_update", "application", app.pk) == {f"facts.{name}": [value, value + 1]}


def test_a_calls_signing_days_are_recorded_before_and_after(world):
    before = projects.call_project_settings_set(actor=TEST, call=world.call).sign_days
    projects.call_project_settings_set(actor=TEST, call=world.call, sign_days=before + 5)
    assert _changes("call_project_settings", "call", world.call.pk) == {"sign_days": [before, before + 5]}


def test_a_calls_acceptance_settings_are_recorded_before_and_after(world):
    acc.postaward_settings_set(actor=TEST, call=world.call, rectify_months=3)
    acc.postaward_settings_set(actor=TEST, call=world.call, rectify_months=1)
    assert _changes("call_postaward_settings", "call", world.call.pk) == {"rectify_months": [3, 1]}


def test_a_calls_publicity_contact_is_recorded_before_and_after(world):
    call_publicity_set(actor=world.officer, call=world.call, contact="市科技局 0771-1234567")
    call_publicity_set(actor=world.officer, call=world.call, contact="市科技局 0771-7654321")
    assert _changes("call_publicity_set", "call", world.call.pk) == {"contact": ["市科技局 0771-1234567", "市科技局 0771-7654321"]}


def test_notification_choices_are_recorded_before_and_after(world):
    notification_preferences_set(actor=world.applicant, user=world.applicant, choices={"returned": {"email": True, "sms": True}})
    notification_preferences_set(actor=world.applicant, user=world.applicant, choices={"returned": {"sms": False}})
    changes = _changes("notification_preferences_set", "user", world.applicant.pk)
    assert changes == {"returned": [{"email": True, "sms": True}, {"email": True, "sms": False}]}
