"""The notification services keep the house rule of yongke/accounts/tests/test_service_gate.py:
every public function of the services and of the announcements takes a required, keyword-only
`actor: Actor`, and nobody (None, an anonymous visitor) is refused by each."""

from __future__ import annotations

import inspect

import pytest
from django.contrib.auth.models import AnonymousUser

from yongke.accounts.actors import Actor
from yongke.core.errors import PermissionDenied
from yongke.notifications import events, services
from yongke.notifications.models import Notification
from yongke.testing import make_application_in

MODULES = (services, events)
FUNCTIONS = {
    f"{m.__name__}.{name}": fn
    for m in MODULES
    for name, fn in vars(m).items()
    if inspect.isfunction(fn) and fn.__module__ == m.__name__ and not name.startswith("_")
}


def test_the_walk_finds_the_writes_and_the_announcements():
    assert {name.rsplit(".", 1)[1] for name in FUNCTIONS} == {
        "notifications_deliver",
        "notification_mark_read",
        "notifications_mark_all_read",
        "notification_preferences_set",
        "application_event",
        "experts_invited",
        "experts_reminded",
        "deadline_reminders",
        "announce",
    }


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_takes_a_keyword_only_actor_without_default(name):
    actor = inspect.signature(FUNCTIONS[name]).parameters["actor"]
    assert actor.kind is inspect.Parameter.KEYWORD_ONLY
    assert actor.default is inspect.Parameter.empty


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_the_actor_is_annotated_as_an_actor(name):
    fn = inspect.unwrap(FUNCTIONS[name])
    annotation = inspect.signature(fn).parameters["actor"].annotation
    assert annotation == "Actor"
    assert fn.__globals__.get(annotation) is Actor


def _cases(world):
    app = make_application_in("recommended", world=world)
    n = Notification.objects.create(user=world.applicant, kind="returned", template="returned", key="k", title="t", body="b")
    return {
        "notifications_deliver": lambda actor: services.notifications_deliver(actor=actor, events=[]),
        "notification_mark_read": lambda actor: services.notification_mark_read(actor=actor, notification=n),
        "notifications_mark_all_read": lambda actor: services.notifications_mark_all_read(actor=actor),
        "notification_preferences_set": lambda actor: services.notification_preferences_set(
            actor=actor, user=world.applicant, choices={"returned": {"email": False}}
        ),
        "application_event": lambda actor: events.application_event(actor=actor, application=app, action="recommend"),
        "experts_invited": lambda actor: events.experts_invited(actor=actor, assignments=[]),
        "experts_reminded": lambda actor: events.experts_reminded(actor=actor, assignments=[]),
        "deadline_reminders": lambda actor: events.deadline_reminders(actor=actor),
        "announce": lambda actor: events.announce(actor=actor, events=[]),
    }


@pytest.mark.parametrize("nobody", [None, AnonymousUser()], ids=["None", "anonymous"])
def test_nobody_is_refused_by_each(world, queue, nobody):
    cases = _cases(world)
    assert set(cases) == {name.rsplit(".", 1)[1] for name in FUNCTIONS}
    refused = []
    for name, call in cases.items():
        try:
            call(nobody)
        except PermissionDenied:
            refused.append(name)
    assert sorted(refused) == sorted(cases)


def test_an_applicant_may_not_announce_invitations_or_deliver(world):
    with pytest.raises(PermissionDenied):
        events.experts_invited(actor=world.applicant, assignments=[])
    with pytest.raises(PermissionDenied):
        services.notifications_deliver(actor=world.applicant, events=[])


def test_a_user_may_not_change_anothers_settings(world):
    with pytest.raises(PermissionDenied):
        services.notification_preferences_set(actor=world.stranger, user=world.applicant, choices={"returned": {"email": False}})


def test_a_step_not_taken_cannot_be_announced(world, queue):
    from yongke.core.errors import BadInput

    app = make_application_in("submitted", world=world)
    with pytest.raises(BadInput):
        events.application_event(actor=world.applicant, application=app, action="fund")
