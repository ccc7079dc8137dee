"""One-time awards through the portal: the officer's check of a second claim of one thing is
refused, with the earlier claim named in the recorded reason."""

from __future__ import annotations

import pytest
from django.test import Client

from yongke.applications import services as apps
from yongke.applications.models import Application
from yongke.audit.models import AuditEvent
from yongke.testing import make_application, make_call, make_guide, make_org, make_user

pytestmark = pytest.mark.django_db
STAR = {"level": "national", "star_innovation_space_enterprise": True}


def _signed_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_officers_check_of_a_second_one_time_claim_is_refused_with_the_reason():
    make_guide()
    org = make_org()
    applicant = make_user("applicant", organisation=org)
    officer = make_user("officer", programme="*")
    call = make_call(directions=["34.1"])
    first = make_application(call=call, org=org, user=applicant, direction="34.1", facts=STAR, title="星创天地后补助", requested_amount=0)
    apps.application_transition(actor=applicant, application=first, action="submit")
    page = _signed_in(officer)
    page.post(f"/awards/claims/{first.pk}/check/")
    assert Application.objects.get(pk=first.pk).state == "checked"
    twin = make_application(call=call, org=org, user=applicant, direction="34.1", facts=STAR, title="星创天地补助", requested_amount=0)
    Application.objects.filter(pk=twin.pk).update(state="claimed")  # a claim that predates the rule
    response = page.post(f"/awards/claims/{twin.pk}/check/", follow=True)
    assert Application.objects.get(pk=twin.pk).state == "refused"
    assert "不符合条件" in response.content.decode()
    refusal = AuditEvent.objects.get(target_type="application", target_id=str(twin.pk), action="refuse")
    assert "一次性补助已获得或已申领" in refusal.comment
    assert f"申报 #{first.pk}" in refusal.comment
