"""What every signed-in request reads — its session, its user, its second factor — read by
statements compiled once (core.statements), with Django's and django-otp's meaning kept: an
expired session signs nobody in, a device removed or not the user's verifies nobody."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from yongke.accounts import mfa
from yongke.accounts.actors import System
from yongke.accounts.middleware import OTPMiddleware
from yongke.portal.backends import PATH
from yongke.tests.world import make_org, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_on(settings):
    settings.YONGKE_MFA_REQUIRED = True


def _verified(client, user) -> TOTPDevice:
    device = mfa.totp_begin(actor=System("test"), user=user)
    mfa.totp_confirm(actor=System("test"), user=user, code=f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}")
    client.force_login(user, backend=PATH)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # as after mfa_verify
    session.save()
    return device


def test_an_expired_session_signs_nobody_in(client):
    user = make_user("applicant", organisation=make_org())
    client.force_login(user, backend=PATH)
    assert client.get("/my/applications/").status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    r = client.get("/my/applications/")
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]


def test_a_verified_session_stays_verified_until_its_device_goes(client, mfa_on):
    officer = make_user("officer", programme="*")
    device = _verified(client, officer)
    assert client.get("/officer/").status_code == 200
    device.delete()  # a security administrator's reset
    r = client.get("/officer/")
    assert r.status_code == 302
    assert r["Location"].startswith("/mfa/")


def test_another_users_device_verifies_nobody(client, mfa_on):
    officer, other = make_user("officer", programme="*"), make_user("officer", programme="*")
    theirs = mfa.totp_begin(actor=System("test"), user=other)
    TOTPDevice.objects.filter(pk=theirs.pk).update(confirmed=True)
    client.force_login(officer, backend=PATH)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = theirs.persistent_id
    session.save()
    assert client.get("/officer/")["Location"].startswith("/mfa/")


@pytest.mark.parametrize(
    "pid", ["", "otp_totp.totpdevice/x", "nosuch.model/1", "auth.user/1", "otp_totp.totpdevice", "otp_totp.totpdevice/999999"]
)
def test_a_persistent_id_that_names_no_device_is_none(pid):
    make_user("officer", programme="*")
    assert OTPMiddleware(lambda r: None)._device_from_persistent_id(pid) is None


def test_the_device_read_is_djangos(client):
    officer = make_user("officer", programme="*")
    device = mfa.totp_begin(actor=System("test"), user=officer)
    got = OTPMiddleware(lambda r: None)._device_from_persistent_id(device.persistent_id)
    assert (type(got), got.pk, got.user_id, got.confirmed) == (TOTPDevice, device.pk, officer.pk, False)
