"""A step taken through the portal or the API answers before anything is delivered: the
request's response comes back with no inbox entry and no email; the delivery waits on the
queue for the worker (the tests' queue keeps it; the default database queue keeps it for the worker)."""

from __future__ import annotations

from django.core import mail
from django_tasks_db.models import DBTaskResult

from yongke.accounts.services import token_create
from yongke.jobs.worker import run_queue
from yongke.notifications.models import Notification
from yongke.testing import make_application_in


def test_the_portals_step_returns_before_delivery(client, world, queue, django_capture_on_commit_callbacks):
    app = make_application_in("recommended", world=world)
    client.force_login(world.officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/applications/{app.pk}/transition/", {"action": "return", "comment": "补充审计报告"})
        assert response.status_code == 302
        assert not Notification.objects.exists()
        assert mail.outbox == []
    (waiting,) = queue.waiting
    assert waiting.task.name == "deliver"
    assert waiting.status == "READY"
    assert not Notification.objects.exists()
    queue.run()
    assert Notification.objects.filter(user=world.applicant, template="returned").count() == 1
    assert len(mail.outbox) == 2


def test_the_apis_step_returns_before_delivery(client, world, queue, django_capture_on_commit_callbacks):
    app = make_application_in("recommended", world=world)
    token = token_create(actor=world.officer, user=world.officer, name="tests")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/applications/{app.pk}/transitions",
            data={"action": "return", "comment": "补充审计报告"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 200
        assert not Notification.objects.exists()
    assert len(queue.waiting) == 1
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_the_default_backend_queues_the_delivery_for_the_worker(client, world, settings, django_capture_on_commit_callbacks):
    settings.YONGKE_NOTIFY_BACKEND = ""
    settings.YONGKE_JOB_BACKEND = "default"
    app = make_application_in("recommended", world=world)
    client.force_login(world.officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/applications/{app.pk}/transition/", {"action": "return", "comment": "补充审计报告"})
    (queued,) = DBTaskResult.objects.filter(task_path="yongke.notifications.tasks.deliver")
    assert queued.status == "READY"
    assert queued.args_kwargs["args"][0][0]["template"] == "returned"
    assert not Notification.objects.exists()
    assert mail.outbox == []
    run_queue()  # the worker's turn
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    assert Notification.objects.filter(user=world.applicant, template="returned").count() == 1
