"""Re-authentication before money actions (issue 14 item 1): a session whose last password is
older than YONGKE_REAUTH_MINUTES may read, but its money step (fund, pay, allocate, recover,
terminate) does nothing until the password (and the code, for a user with a second factor) is
given again; the form is carried through, so nothing typed is lost."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from yongke.accounts import mfa
from yongke.accounts.actors import System
from yongke.applications.models import Application
from yongke.audit.models import AuditEvent
from yongke.orgs.services import bank_account_set
from yongke.portal.tests.conftest import an_application
from yongke.projects import services
from yongke.projects.models import Payment, Project
from yongke.testing import PASSWORD, PDF_BYTES, build_world, make_application_in, make_person, review_by_panel


@pytest.fixture
def reauth(settings):
    settings.YONGKE_REAUTH_MINUTES = 10


def _stale(client) -> None:
    """The session's last authentication an hour ago."""
    session = client.session
    session[mfa.AUTH_AT_SESSION_KEY] = time.time() - 3600
    session.save()


def _fund(client, app: Application, **extra: str):
    return client.post(
        f"/applications/{app.pk}/transition/", {"action": "fund", "amount": "900,000", "lock_version": app.lock_version, **extra}
    )


def _at_expert_review(world) -> Application:
    app = an_application(world, "recommended")
    for action in ("accept", "start_review"):
        app.refresh_from_db()
        from yongke.applications.services import application_transition

        app, _ = application_transition(actor=world.officer, application=app, action=action, lock_version=app.lock_version)
    review_by_panel(app)  # scored by the experts: only the re-authentication stands before 拟立项
    return app


def test_a_fresh_session_funds_at_once(client, world, reauth):
    app = _at_expert_review(world)
    client.force_login(world.officer)  # signing in notes the time
    assert _fund(client, app).status_code == 302
    app.refresh_from_db()
    assert (app.state, app.decided_amount) == ("funded", 900_000)


def test_a_stale_session_funds_only_after_the_password_and_keeps_the_form(client, world, reauth):
    app = _at_expert_review(world)
    client.force_login(world.officer)
    _stale(client)
    held = _fund(client, app, comment="专家评审排名第一")
    assert held.status_code == 403
    body = held.content.decode()
    assert "再次验证身份" in body
    # the form as sent is carried in the re-authentication form
    assert 'name="amount" value="900,000"' in body
    assert 'name="comment" value="专家评审排名第一"' in body
    app.refresh_from_db()
    assert app.state == "expert_review"
    assert app.decided_amount is None

    wrong = _fund(client, app, comment="专家评审排名第一", _reauth="1", _reauth_password="not-the-password")
    assert wrong.status_code == 400
    assert "密码或验证码错误" in wrong.content.decode()
    app.refresh_from_db()
    assert app.state == "expert_review"
    assert AuditEvent.objects.filter(action="auth.reauth_failed", target_id=world.officer.username).count() == 1

    done = _fund(client, app, comment="专家评审排名第一", _reauth="1", _reauth_password=PASSWORD)
    assert done.status_code == 302
    app.refresh_from_db()
    assert (app.state, app.decided_amount) == ("funded", 900_000)
    assert AuditEvent.objects.filter(action="auth.reauthenticated", target_id=world.officer.username).count() == 1
    # and for the next ten minutes no second prompt
    app2 = _at_expert_review(world)
    assert _fund(client, app2).status_code == 302


def test_a_stale_session_takes_other_steps_and_reads(client, world, reauth):
    app = an_application(world, "recommended")
    client.force_login(world.officer)
    _stale(client)
    assert client.get(f"/applications/{app.pk}/").status_code == 200
    r = client.post(f"/applications/{app.pk}/transition/", {"action": "accept", "lock_version": app.lock_version})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.state == "accepted"


def test_a_user_with_a_second_factor_gives_the_code_too(client, world, reauth):
    app = _at_expert_review(world)
    device = mfa.totp_begin(actor=System("test"), user=world.officer)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    _, recovery = mfa.totp_confirm(actor=System("test"), user=world.officer, code=code)
    client.force_login(world.officer)
    assert client.post("/mfa/verify/", {"code": recovery[0]}).status_code == 302  # the second factor of the sign-in
    _stale(client)
    held = _fund(client, app)
    assert 'name="_reauth_code"' in held.content.decode()
    no_code = _fund(client, app, _reauth="1", _reauth_password=PASSWORD)
    assert no_code.status_code == 400
    app.refresh_from_db()
    assert app.state == "expert_review"
    device = TOTPDevice.objects.get(user=world.officer, confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None, last_t=-1)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    assert _fund(client, app, _reauth="1", _reauth_password=PASSWORD, _reauth_code=code).status_code == 302
    app.refresh_from_db()
    assert app.state == "funded"


def test_a_stale_finance_session_records_no_payment_until_reauthenticated(client, db, reauth):
    w = build_world(directions=["1.1"], budgets={"1": 20_000_000}, officer_programmes=("1",))
    app = make_application_in("contracted", world=w, leader=make_person(w.org), amount=800_000)
    p = Project.objects.get(application=app)
    p = services.project_transition(actor=w.officer, project=p, action="send")
    p = services.project_transition(actor=w.org_admin, project=p, action="sign", filename="任务书.pdf", content=PDF_BYTES)
    p = services.project_transition(actor=w.officer, project=p, action="countersign")
    bank_account_set(actor=w.org_admin, organisation=w.org, bank="广西北部湾银行南宁分行", name=w.org.name, number="6222021234567890123")
    client.force_login(w.finance)
    _stale(client)
    assert client.get(f"/projects/{p.pk}/payments/").status_code == 200  # reading is not held up
    form = {"tranche": "1", "amount": "56万", "paid_on": timezone.localdate().isoformat(), "voucher": "NN-2026-001"}
    held = client.post(f"/projects/{p.pk}/payments/", form)
    assert held.status_code == 403
    assert not Payment.objects.filter(project=p).exists()
    client.post(f"/projects/{p.pk}/payments/", {**form, "_reauth": "1", "_reauth_password": PASSWORD})
    payment = Payment.objects.get(project=p)
    assert (payment.amount, payment.voucher) == (560_000, "NN-2026-001")


def test_the_reauth_page_ahead_of_money_work(client, world, reauth):
    client.force_login(world.officer)
    _stale(client)
    assert client.post("/mfa/reauth/", {"_reauth_password": "wrong-password", "next": "/officer/"}).status_code == 400
    r = client.post("/mfa/reauth/", {"_reauth_password": PASSWORD, "next": "/officer/"})
    assert (r.status_code, r["Location"]) == (302, "/officer/")
    assert mfa.authentication_fresh(client.session)


@pytest.mark.parametrize(
    "name",
    [
        "application_transition",  # fund, pay
        "batch",  # fund, pay in batch
        "claims_allocate",
        "project_payments",
        "recovery_receive",
        "project_terminate",
        "project_rescind",
    ],
)
def test_every_money_page_asks_for_fresh_authentication(name):
    from django.urls import resolve, reverse

    from yongke.portal import urls

    pattern = next(p for p in _patterns(urls.urlpatterns) if getattr(p, "name", None) == name)
    view = pattern.callback
    chain = []
    while view is not None:
        chain.append(getattr(view, "reauth_required", False))
        view = getattr(view, "__wrapped__", None)
    assert any(chain), name
    assert resolve(reverse(f"portal:{name}", args=[1] * len(pattern.pattern.converters))).url_name == name


def _patterns(patterns):
    for p in patterns:
        if hasattr(p, "url_patterns"):
            yield from _patterns(p.url_patterns)
        else:
            yield p


def test_finance_pays_a_claim_with_its_voucher_number_on_the_page(client, world, reauth):
    """拨付 of a 后补助 claim asks for the voucher (凭证号): refused without one, naming it; recorded with it."""
    from yongke.awards.models import ClaimPayment
    from yongke.testing import make_call

    bank_account_set(
        actor=System("tests"), organisation=world.org, bank="广西北部湾银行南宁分行", name=world.org.name, number="6222021234567890123"
    )
    app = make_application_in("published", world=world, funding="post", call=make_call(directions=["35.1"]))
    Application.objects.filter(pk=app.pk).update(objection_ends_at=timezone.now() - dt.timedelta(minutes=1))
    client.force_login(world.finance)
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert 'name="voucher"' in page
    assert "凭证号" in page
    without = client.post(f"/applications/{app.pk}/transition/", {"action": "pay", "lock_version": app.lock_version}, follow=True)
    assert "凭证号" in without.content.decode()
    assert Application.objects.get(pk=app.pk).state == "published"
    client.post(f"/applications/{app.pk}/transition/", {"action": "pay", "lock_version": app.lock_version, "voucher": "南财拨〔2026〕18号"})
    assert Application.objects.get(pk=app.pk).state == "paid"
    assert ClaimPayment.objects.get(application=app).voucher == "南财拨〔2026〕18号"
    for who in (world.finance, world.applicant):  # who paid it, and the organisation paid
        client.force_login(who)
        shown = client.get(f"/applications/{app.pk}/").content.decode()
        line = shown.split('id="claim-payment">')[1].split("</dd>")[0]
        assert "南财拨〔2026〕18号" in line
        assert ClaimPayment.objects.get(application=app).account_masked in line  # the account, masked
        assert "6222021234567890123" not in shown
