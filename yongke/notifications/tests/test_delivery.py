"""An application's step reaches its organisation's people: an inbox entry each and an email
(and a text message) each has not switched off — written and sent by the background task,
never inside the step's transaction or the request that took it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from yongke.applications.services import application_transition
from yongke.core.errors import PermissionDenied
from yongke.notifications import sms
from yongke.notifications.models import Kind, Notification
from yongke.notifications.services import notification_preferences_set, notifications_deliver
from yongke.notifications.tasks import NOTIFIER
from yongke.testing import advance, make_application_in


def _return(world, app, comment="请补充近三年审计报告"):
    app, _ = application_transition(actor=world.officer, application=app, action="return", comment=comment)
    return app


def test_a_correction_request_reaches_the_inbox_and_email_only_after_the_task_runs(world, queue, django_capture_on_commit_callbacks):
    app = make_application_in("recommended", world=world)
    with django_capture_on_commit_callbacks(execute=True):
        _return(world, app)
    assert len(queue.waiting) == 1
    assert not Notification.objects.exists()
    assert mail.outbox == []
    queue.run()
    entries = Notification.objects.filter(kind=Kind.RETURNED)
    assert {n.user for n in entries} == {world.applicant, world.org_admin}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"{u.username}@example.cn" for u in (world.applicant, world.org_admin))
    assert mail.outbox[0].subject == f"申报需补正：{app.title}"
    assert "请补充近三年审计报告" in mail.outbox[0].body
    assert f"/applications/{app.pk}/" in mail.outbox[0].body


def test_the_entry_says_what_to_correct_and_links_to_the_application(world, queue, django_capture_on_commit_callbacks):
    app = make_application_in("recommended", world=world)
    with django_capture_on_commit_callbacks(execute=True):
        _return(world, app, comment="缺少高企证书")
    queue.run()
    n = Notification.objects.get(user=world.applicant)
    assert n.title == f"申报需补正：{app.title}"
    assert "补正要求：缺少高企证书" in n.body
    assert n.link == f"/applications/{app.pk}/"
    assert n.read_at is None


def test_nothing_is_announced_before_the_step_commits(world, queue, django_capture_on_commit_callbacks):
    app = make_application_in("recommended", world=world)
    with django_capture_on_commit_callbacks() as callbacks:
        _return(world, app)
        assert queue.waiting == []
    assert len(callbacks) == 1


def test_a_step_rolled_back_announces_nothing(world, queue, django_capture_on_commit_callbacks):
    app = make_application_in("recommended", world=world)

    def step_then_failure():
        with transaction.atomic():
            _return(world, app)
            raise RuntimeError("the caller's transaction fails after the step")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        step_then_failure()
    assert queue.waiting == []
    app.refresh_from_db()
    assert app.state == "recommended"


@pytest.mark.parametrize(
    ("state", "action", "kind", "title"),
    [
        ("submitted", "recommend", Kind.RECOMMENDATION, "申报已获推荐"),
        ("submitted", "not_recommend", Kind.RECOMMENDATION, "申报未获推荐"),
        ("recommended", "accept", Kind.FORMAL_REVIEW, "形式审查通过"),
        ("recommended", "refuse", Kind.FORMAL_REVIEW, "形式审查不通过"),
        ("expert_review", "fund", Kind.DECISION, "拟立项"),
        ("expert_review", "not_fund", Kind.DECISION, "不予立项"),
        ("funded", "publish", Kind.PUBLISHED, "公示开始"),
    ],
)
def test_each_result_is_told_to_the_applicant_organisation(world, queue, django_capture_on_commit_callbacks, state, action, kind, title):
    app = make_application_in(state, world=world)
    with django_capture_on_commit_callbacks(execute=True):
        app = advance(app, world, action, amount=600_000)
    queue.run()
    entries = Notification.objects.all()
    assert {n.user for n in entries} == {world.applicant, world.org_admin}
    assert {n.kind for n in entries} == {kind}
    assert {n.title for n in entries} == {f"{title}：{app.title}"}


def test_a_decision_states_the_amount_and_publicity_its_end(world, queue, django_capture_on_commit_callbacks):
    app = make_application_in("expert_review", world=world)
    with django_capture_on_commit_callbacks(execute=True):
        app = advance(app, world, "fund", "publish", amount=600_000)
    queue.run()
    bodies = {n.template: n.body for n in Notification.objects.filter(user=world.applicant)}
    assert "立项金额 600,000 元" in bodies["funded"]
    assert f"公示期至 {app.objection_ends_at.astimezone().strftime('%Y')}" in bodies["published"]


def test_a_post_subsidy_claim_returned_and_checked_is_told(world, queue, django_capture_on_commit_callbacks):
    app = make_application_in("claimed", world=world, funding="post")
    with django_capture_on_commit_callbacks(execute=True):
        app = advance(app, world, "check", amount=80_000)
    queue.run()
    n = Notification.objects.get(user=world.applicant)
    assert n.kind == Kind.FORMAL_REVIEW
    assert n.title == f"后补助核查通过：{app.title}"
    assert "核定金额 80,000 元" in n.body


def test_submitting_or_withdrawing_is_no_news(world, queue, django_capture_on_commit_callbacks):
    app = make_application_in("draft", world=world)
    with django_capture_on_commit_callbacks(execute=True):
        app = advance(app, world, "submit", "withdraw")
    assert queue.waiting == []


def test_another_organisation_hears_nothing(world, queue, django_capture_on_commit_callbacks):
    app = make_application_in("recommended", world=world)
    with django_capture_on_commit_callbacks(execute=True):
        _return(world, app)
    queue.run()
    assert not Notification.objects.filter(user__in=[world.stranger, world.officer, world.recommender]).exists()


def test_delivering_the_same_event_twice_adds_nothing(world, queue, django_capture_on_commit_callbacks):
    app = make_application_in("recommended", world=world)
    with django_capture_on_commit_callbacks(execute=True):
        _return(world, app)
    events = queue.waiting[0].args[0]
    first = notifications_deliver(actor=NOTIFIER, events=events)
    again = notifications_deliver(actor=NOTIFIER, events=events)
    assert (first.created, again.created, again.skipped) == (2, 0, 2)
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2


def test_a_user_who_switched_email_off_gets_no_email_but_the_inbox_entry(world, queue, django_capture_on_commit_callbacks):
    notification_preferences_set(actor=world.applicant, user=world.applicant, choices={"returned": {"email": False}})
    app = make_application_in("recommended", world=world)
    with django_capture_on_commit_callbacks(execute=True):
        _return(world, app)
    queue.run()
    assert Notification.objects.filter(user=world.applicant, kind=Kind.RETURNED).exists()
    assert [m.to for m in mail.outbox] == [[f"{world.org_admin.username}@example.cn"]]
    assert Notification.objects.get(user=world.applicant).emailed_at is None
    assert Notification.objects.get(user=world.org_admin).emailed_at is not None


def test_switching_one_kind_off_keeps_email_for_the_others(world, queue, django_capture_on_commit_callbacks):
    notification_preferences_set(actor=world.applicant, user=world.applicant, choices={"returned": {"email": False}})
    app = make_application_in("submitted", world=world)
    with django_capture_on_commit_callbacks(execute=True):
        advance(app, world, "recommend")
    queue.run()
    assert f"{world.applicant.username}@example.cn" in [m.to[0] for m in mail.outbox]


def test_the_console_sms_backend_receives_each_message(world, queue, django_capture_on_commit_callbacks, capsys, settings):
    settings.YONGKE_SMS_BACKEND = "yongke.notifications.sms.ConsoleBackend"
    app = make_application_in("recommended", world=world)
    with django_capture_on_commit_callbacks(execute=True):
        _return(world, app)
    capsys.readouterr()
    queue.run()
    out = capsys.readouterr().err
    phone = world.applicant.person.phone
    assert f"SMS to {phone}: 【邕科】申报需补正：{app.title}。详情请登录邕科系统查看。" in out
    assert out.count("SMS to ") == 2
    assert Notification.objects.get(user=world.applicant).sms_at is not None


def test_sms_switched_off_for_a_kind_is_not_sent(world, queue, django_capture_on_commit_callbacks, settings):
    settings.YONGKE_SMS_BACKEND = "yongke.notifications.sms.LocmemBackend"
    sms.outbox.clear()
    notification_preferences_set(actor=world.org_admin, user=world.org_admin, choices={"returned": {"sms": False}})
    app = make_application_in("recommended", world=world)
    with django_capture_on_commit_callbacks(execute=True):
        _return(world, app)
    queue.run()
    assert [m.to for m in sms.outbox] == [world.applicant.person.phone]
    assert len(mail.outbox) == 2  # email stays on


def test_the_sms_backend_is_a_settings_change(settings):
    settings.YONGKE_SMS_BACKEND = "yongke.notifications.sms.LocmemBackend"
    sms.outbox.clear()
    assert sms.send_sms([sms.SmsMessage(to="13800000000", text="测试")]) == 1
    assert sms.outbox == [sms.SmsMessage(to="13800000000", text="测试")]


class MailServerDown(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise OSError("connection refused")


def test_a_mail_server_failure_keeps_the_inbox_entries(world, queue, django_capture_on_commit_callbacks, settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.MailServerDown"}}
    app = make_application_in("recommended", world=world)
    with django_capture_on_commit_callbacks(execute=True):
        _return(world, app)
    (result,) = queue.run()
    assert result["created"] == 2
    assert result["failed"] == ["email"]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2


def test_a_person_cannot_deliver_a_notification(world):
    event = {"template": "funded", "key": "forged", "to": {"users": [world.applicant.pk]}, "params": {"title": "假的"}, "link": ""}
    with pytest.raises(PermissionDenied):
        notifications_deliver(actor=world.applicant, events=[event])
    assert not Notification.objects.exists()
