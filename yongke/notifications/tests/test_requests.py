"""A step taken through the portal or the API answers before anything is delivered: the
request's response comes back with no inbox entry and no email; the delivery waits on the
queue for the worker (the tests' queue keeps it; the default thread backend is handed it)."""

from __future__ import annotations

from django.core import mail

from yongke.accounts.services import token_create
from yongke.jobs.tasks import ThreadBackend
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


class Recorder:
    """Stands in for the thread backend's worker thread: keeps what it is handed."""

    def __init__(self) -> None:
        self.handed: list = []

    def submit(self, fn, result) -> None:
        self.handed.append(result)


def test_the_default_backend_hands_the_delivery_to_its_worker_thread(
    client, world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.YONGKE_NOTIFY_BACKEND = ""
    settings.YONGKE_JOB_BACKEND = "default"
    worker = Recorder()
    monkeypatch.setattr(ThreadBackend, "executor", classmethod(lambda cls: worker))
    app = make_application_in("recommended", world=world)
    client.force_login(world.officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/applications/{app.pk}/transition/", {"action": "return", "comment": "补充审计报告"})
    (handed,) = worker.handed
    assert handed.task.module_path == "yongke.notifications.tasks.deliver"
    assert handed.args[0][0]["template"] == "returned"
    assert not Notification.objects.exists()
    assert mail.outbox == []
