"""Experts hear of their invitations when a round is assigned, and of reminders when an officer
sends them — through the same queue, and only the expert invited."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.utils import timezone

from yongke.notifications.models import Kind, Notification
from yongke.review import services as review
from yongke.review.models import ReviewAssignment
from yongke.testing import make_application_in


def _in_review(world):
    """An application in expert review (its earlier steps' notices dropped) and the expert in the pool."""
    app = make_application_in("expert_review", world=world)
    review.expert_add(actor=world.officer, person=world.expert.person, fields=["C3612"], keywords=["测试项目"], user=world.expert)
    return app


def _round(world, *, due_in_days: int = 1):
    return review.review_round_run(actor=world.officer, call=world.call, k=1, due_at=timezone.now() + dt.timedelta(days=due_in_days))


def test_an_assignment_round_invites_the_expert_after_it_commits(world, queue, django_capture_on_commit_callbacks):
    app = _in_review(world)
    with django_capture_on_commit_callbacks(execute=True):
        rnd = _round(world)
        assert queue.waiting == []  # still inside the round's transaction: nothing queued yet
    assert len(queue.waiting) == 1
    assert not Notification.objects.filter(kind=Kind.INVITATION).exists()
    queue.run()
    task = ReviewAssignment.objects.get(round=rnd)
    n = Notification.objects.get(kind=Kind.INVITATION)
    assert n.user == world.expert
    assert n.title == f"评审邀请：{app.title}"
    assert n.link == f"/expert/tasks/{task.pk}/"
    assert "评审截止：" in n.body
    assert [m.to for m in mail.outbox] == [[world.expert.person.email]]


def test_an_invitation_does_not_name_the_applicant(world, queue, django_capture_on_commit_callbacks):
    _in_review(world)
    with django_capture_on_commit_callbacks(execute=True):
        _round(world)
    queue.run()
    n = Notification.objects.get(kind=Kind.INVITATION)
    assert world.org.name not in n.body
    assert world.org.name not in mail.outbox[0].body


def test_a_reminder_reaches_the_expert_once_a_day(world, queue, django_capture_on_commit_callbacks):
    app = _in_review(world)
    with django_capture_on_commit_callbacks(execute=True):
        _round(world)
    queue.run()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            review.reminders_mark(actor=world.officer, assignments=review.reminders_due(within=dt.timedelta(days=2)))
        queue.run()
    reminders = Notification.objects.filter(kind=Kind.REMINDER)
    assert [(n.user, n.title) for n in reminders] == [(world.expert, f"评审提醒：{app.title}")]


def test_a_reminder_the_next_day_is_sent_again(world, queue, django_capture_on_commit_callbacks):
    _in_review(world)
    with django_capture_on_commit_callbacks(execute=True):
        _round(world, due_in_days=3)
    queue.run()
    for day in (0, 1):
        now = timezone.now() + dt.timedelta(days=day)
        with django_capture_on_commit_callbacks(execute=True):
            review.reminders_mark(actor=world.officer, assignments=review.reminders_due(within=dt.timedelta(days=4), now=now), now=now)
        queue.run()
    assert Notification.objects.filter(kind=Kind.REMINDER, user=world.expert).count() == 2


def test_a_submitted_review_is_not_reminded(world, queue, django_capture_on_commit_callbacks):
    _in_review(world)
    with django_capture_on_commit_callbacks(execute=True):
        _round(world)
    task = ReviewAssignment.objects.get()
    task.state = ReviewAssignment.State.SUBMITTED  # set-up: the expert has scored it
    task.save()
    with django_capture_on_commit_callbacks(execute=True):
        review.reminders_mark(actor=world.officer, assignments=[task])
    queue.run()
    assert not Notification.objects.filter(kind=Kind.REMINDER).exists()
