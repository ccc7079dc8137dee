"""The services are the gate: every write names who acts, and nobody signed in may do nothing.

Two halves. The signatures: every public function of the domain service modules either
takes a required, keyword-only, typed `actor`, or is declared below as a read (or a public
write) with the reason it needs none — so a new write that forgets its actor fails here.
The behaviour: each write service, called with `actor=None` or Django's `AnonymousUser`,
is refused with PermissionDenied (one case or more for every app).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import inspect
import typing
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from yongke.accounts import services as accounts
from yongke.accounts.actors import Actor
from yongke.applications import services as applications
from yongke.awards import services as awards
from yongke.core.errors import PermissionDenied
from yongke.guide import services as guide
from yongke.guide.loader import load_guide
from yongke.guide.models import GuideVersion
from yongke.orgs import services as orgs
from yongke.orgs.validators import id_with_check, uscc_with_check
from yongke.projects import services as projects
from yongke.review import services as review
from yongke.review.models import ReviewAssignment
from yongke.testing import PDF_BYTES, TEST, make_application, make_call, make_guide, make_org, make_person, make_user

# --------------------------------------------------------------------------- the signatures

SERVICE_MODULES = [
    "yongke.accounts.services",
    "yongke.orgs.services",
    "yongke.guide.services",
    "yongke.applications.services",
    "yongke.awards.services",
    "yongke.review.services",
    "yongke.jobs.services",
    "yongke.notifications.services",
    "yongke.publicity.services",
    "yongke.projects.services",
    "yongke.projects.acceptance",
    "yongke.projects.closure",
    "yongke.projects.credit",
    "yongke.orgs.registration",
    "yongke.orgs.keys",
    "yongke.accounts.tokens",
    "yongke.accounts.mfa",
    "yongke.audit.services",
]

# Public functions that write nothing, and why they need no actor (or take it positionally).
READS = {
    "yongke.publicity.services.objection_errors": "the problems of an objection form as typed; writes nothing",
    "yongke.orgs.services.read_table": "parses an import file into rows; writes nothing",
    "yongke.orgs.services.require_registrar": "the registry's permission check itself; writes nothing",
    "yongke.applications.services.application_check": "the rule verdicts of an application as it stands",
    "yongke.applications.services.application_facts": "the facts the rules read",
    "yongke.applications.services.application_stated_facts": "the claim's own facts, before the history decides any",
    "yongke.applications.services.application_get": "loads an application by id for a service that checks",
    "yongke.applications.services.call_is_open": "whether a call is open at a time",
    "yongke.applications.services.local": "formats a time in Beijing time",
    "yongke.applications.services.lock_organisation_history": "a row lock inside a step whose service checked its actor; writes nothing",
    "yongke.applications.services.may_take": "whether an actor may take a step (pages show a user's steps); writes nothing",
    "yongke.applications.services.normalise_title": "the title compared for duplicates",
    "yongke.applications.services.sniff_content_type": "a file's type from its first bytes",
    "yongke.awards.services.claim_quote": "the award a claim would receive now",
    "yongke.awards.services.claims_ranked": "a direction's claims against its budget; takes the viewer as `user`",
    "yongke.projects.services.may_take": "whether an actor may take a project step (pages show a user's steps); writes nothing",
    "yongke.projects.services.steps_for": "the project steps an actor may take as it stands (pages and the API list them); writes nothing",
    "yongke.projects.services.service_steps_for": "the service steps an actor may take as it stands (pages list them); writes nothing",
    "yongke.projects.services.clean_text": "a text input checked (the post-award services share it); writes nothing",
    "yongke.projects.services.clean_date": "a date input checked (the post-award services share it); writes nothing",
    "yongke.projects.services.locked_project": "the project's row, locked for a post-award service's transaction; writes nothing",
    "yongke.projects.closure.paid_of": "what a project was paid, summed; writes nothing",
    "yongke.projects.closure.reported_spent": "the fiscal money a unit reports it spent; writes nothing",
    "yongke.projects.closure.already_due": "what earlier recoveries already ask back; writes nothing",
    "yongke.projects.closure.recovery_preview": "the money an outcome would recover, shown before it is confirmed; writes nothing",
    "yongke.projects.closure.voucher_taken": "whether a voucher number is used by a payment, a receipt or a claim's 拨付",
    "yongke.projects.credit.consequence_for": "the consequence the data gives an outcome of a project; writes nothing",
    "yongke.projects.credit.final_report_due_on": "a project's final report due date; writes nothing",
    "yongke.projects.credit.origin_of": "the origin text of a project's credit records",
    "yongke.review.services.reminders_due": "the review tasks due for a reminder (marking them is reminders_mark)",
    "yongke.review.services.rubric_for": "a call's scoring rubric",
    "yongke.orgs.registration.licence_type": "a licence file's type from its first bytes; writes nothing",
    "yongke.orgs.registration.registrations_pending_for": "the registrations a viewer may decide (the decisions' own check); takes the viewer positionally",
    "yongke.audit.services.hash_of": "the hash an entry should carry (verify compares it); writes nothing",
    "yongke.audit.services.mask_tail": "a secret number shown by its last four characters; writes nothing",
    "yongke.audit.services.snapshot": "a model's fields as a dict, for old and new values; writes nothing",
    "yongke.audit.services.changes": "the fields that changed between two snapshots; writes nothing",
    "yongke.audit.services.audit_batch": "a block around a bulk write: it appends the entries `audit_record` took (each naming its actor) at its end",
    "yongke.accounts.mfa.mfa_roles": "the roles that require a second factor (settings)",
    "yongke.accounts.mfa.mfa_required_for": "whether a user must have a second factor; writes nothing",
    "yongke.accounts.mfa.has_device": "whether a user has a confirmed TOTP device",
    "yongke.accounts.mfa.needs_code": "whether a sign-in needs a code after the password",
    "yongke.accounts.mfa.recovery_left": "how many recovery codes a user has left",
    "yongke.accounts.mfa.reauth_minutes": "the re-authentication window (settings)",
    "yongke.accounts.mfa.stamp_authentication": "marks the session as just authenticated (the sign-in signal); no database write",
    "yongke.accounts.mfa.authentication_fresh": "whether the session's last authentication is recent",
    "yongke.accounts.mfa.code_throttled": "whether every device of a user waits out its throttle",
    "yongke.accounts.mfa.locked_out": "the locked-out usernames, for the security administrator; takes the viewer positionally",
    "yongke.accounts.mfa.staff_without_mfa": "staff without a second factor, for the security administrator; takes the viewer positionally",
    "yongke.accounts.mfa.user_named": "the user of a username typed on the security pages, or NotFound",
    "yongke.accounts.mfa.user_for_security": "the user a security administrator names; anyone else refused before the look-up; takes the viewer positionally",
    "yongke.accounts.mfa.mfa_status": "a user's second factor, for the security administrator; takes the viewer positionally",
    "yongke.accounts.mfa.code_wait": "seconds until a device takes a code again; writes nothing",
}
# Writes anybody may make, with no one signed in: each acts as an explicit System inside.
PUBLIC_WRITES = {
    "yongke.orgs.services.organisation_register": "the public registration form; acts as System('registration')",
    "yongke.publicity.services.objection_lodge": "the public 公示 page's objection form; acts as System('publicity')",
    "yongke.accounts.tokens.token_user": "the API's bearer-token check, before anyone is signed in; records the use as the token's own user",
}
# Writes whose `actor` is what they record, not a permission: it may be nobody.
RECORDERS = {
    "yongke.audit.services.audit_record": "the audit log names whoever acted, nobody included (a failed sign-in): `Viewer | None`",
}


def _modules():
    for name in SERVICE_MODULES:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as e:
            if not name.startswith(e.name or "\0"):
                raise  # the module exists but imports something missing: that is a failure, not an absent app


def _public_functions() -> dict[str, typing.Callable]:
    return {
        f"{m.__name__}.{name}": fn
        for m in _modules()
        for name, fn in vars(m).items()
        if inspect.isfunction(fn) and fn.__module__ == m.__name__ and not name.startswith("_")
    }


FUNCTIONS = _public_functions()
WRITES = sorted(set(FUNCTIONS) - set(READS) - set(PUBLIC_WRITES))
TAKING_AN_ACTOR = sorted(name for name, fn in FUNCTIONS.items() if "actor" in inspect.signature(fn).parameters)


def _actor(name: str) -> inspect.Parameter:
    return inspect.signature(FUNCTIONS[name]).parameters["actor"]


def test_the_walk_finds_the_services_of_every_domain_app():
    modules = {name.rsplit(".", 1)[0] for name in FUNCTIONS}
    assert modules >= {
        "yongke.accounts.services",
        "yongke.orgs.services",
        "yongke.guide.services",
        "yongke.applications.services",
        "yongke.awards.services",
        "yongke.review.services",
    }


@pytest.mark.parametrize("name", sorted({**READS, **PUBLIC_WRITES}))
def test_every_declared_exception_names_a_public_service(name):
    assert name in FUNCTIONS, f"{name} is declared a read or public write but is not a public service function"


@pytest.mark.parametrize("name", WRITES)
def test_a_write_service_takes_an_actor(name):
    assert "actor" in inspect.signature(FUNCTIONS[name]).parameters, f"{name}: a write takes `actor`, or is declared in READS with why not"


@pytest.mark.parametrize("name", WRITES)
def test_the_actor_of_a_write_is_keyword_only(name):
    assert "actor" in inspect.signature(FUNCTIONS[name]).parameters
    assert _actor(name).kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("name", TAKING_AN_ACTOR)
def test_the_actor_has_no_default(name):
    assert _actor(name).default is inspect.Parameter.empty


@pytest.mark.parametrize("name", sorted(set(TAKING_AN_ACTOR) - set(RECORDERS)))
def test_the_actor_is_annotated_as_an_actor(name):
    fn = inspect.unwrap(FUNCTIONS[name])  # past @transaction.atomic, to the module that defines it
    annotation = inspect.signature(fn).parameters["actor"].annotation  # a string: the modules postpone annotations
    assert annotation == "Actor"
    assert fn.__globals__.get(annotation) is Actor  # User | System: never None, never anonymous


@pytest.mark.parametrize("name", sorted(PUBLIC_WRITES))
def test_a_public_write_takes_no_actor_to_forge(name):
    assert "actor" not in inspect.signature(FUNCTIONS[name]).parameters


@pytest.mark.parametrize("name", sorted(RECORDERS))
def test_a_recorder_is_a_service_with_a_keyword_actor(name):
    assert name in FUNCTIONS
    assert _actor(name).kind is inspect.Parameter.KEYWORD_ONLY


# --------------------------------------------------------------------------- nobody is refused
#
# Each case sets up what the service needs (as TEST, the console operator) and returns the
# call to make with the actor under test.


def _account_user_add():
    org = make_org()
    return lambda actor: accounts.user_add(actor=actor, username="nobody-made", password="pw-Test-1234", role="applicant", organisation=org)


def _account_token_create():
    user = make_user("applicant", organisation=make_org())
    return lambda actor: accounts.token_create(actor=actor, user=user, name="stolen")


def _account_member_create():
    org = make_org()
    return lambda actor: orgs.member_create(actor=actor, organisation=org, username="m1", password="pw-Test-1234", full_name="成员")


def _org_upsert():
    return lambda actor: orgs.organisation_upsert(
        actor=actor, data={"uscc": uscc_with_check("91450103MA5L99991"), "name": "无名公司", "kind": "enterprise", "district": "450103"}
    )


def _org_attribute_set():
    org = make_org()
    return lambda actor: orgs.org_attribute_set(
        actor=actor, organisation=org, name="hte_certified", value=True, valid_from=dt.date(2022, 1, 1)
    )


def _org_person_create():
    org = make_org()
    return lambda actor: orgs.person_create(actor=actor, name="无名", id_number=id_with_check("45010219800101999"), organisation=org)


def _org_credit_record_add():
    org = make_org()
    return lambda actor: orgs.credit_record_add(actor=actor, organisation=org, reason="x", starts_on=dt.date(2022, 1, 1))


def _org_import():
    return lambda actor: orgs.organisation_import(actor=actor, path=Path("not-read.csv"))


def _pending_org():
    from yongke.orgs.models import Organisation

    org = make_org()
    Organisation.objects.filter(pk=org.pk).update(status=Organisation.Status.PENDING)
    return Organisation.objects.get(pk=org.pk)


def _registration_approve():
    from yongke.orgs import registration

    org = _pending_org()
    return lambda actor: registration.registration_approve(actor=actor, organisation=org)


def _registration_reject():
    from yongke.orgs import registration

    org = _pending_org()
    return lambda actor: registration.registration_reject(actor=actor, organisation=org, reason="执照不符")


def _field_keys_rotate():
    from yongke.orgs import keys

    make_person(make_org())
    return lambda actor: keys.field_keys_rotate(actor=actor)


@functools.cache
def _bundled_guide():
    return load_guide(check_cases=False)


def _guide_store():
    return lambda actor: guide.guide_store(actor=actor, guide=_bundled_guide())


def _guide_load():
    return lambda actor: guide.guide_load(actor=actor)


def _guide_version_publish():
    version, _ = guide.guide_store(actor=TEST, guide=_bundled_guide(), publish=False)
    return lambda actor: guide.guide_version_publish(actor=actor, version=version)


def _guide_version_retire():
    version = make_guide()
    return lambda actor: guide.guide_version_retire(actor=actor, version=version)


def _call_open():
    make_guide()
    return lambda actor: applications.call_open(actor=actor, name="无名批次", closes_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))


def _call_close():
    make_guide()
    call = make_call()
    return lambda actor: applications.call_close(actor=actor, call=call)


def _draft():
    make_guide()
    return make_application(call=make_call(), org=make_org())


def _application_create():
    make_guide()
    call, org = make_call(), make_org()
    return lambda actor: applications.application_create(actor=actor, call=call, direction="1.1", organisation=org, title="无名项目")


def _application_update():
    app = _draft()
    return lambda actor: applications.application_update(
        actor=actor, application=app, lock_version=app.lock_version, changes={"summary": "x"}
    )


def _application_transition():
    app = _draft()
    return lambda actor: applications.application_transition(actor=actor, application=app, action="submit")


def _attachment_add():
    app = _draft()
    return lambda actor: applications.attachment_add(
        actor=actor, application=app, kind="plan", filename="x.pdf", content=b"%PDF-1.7\n%%EOF\n"
    )


def _post_call():
    make_guide()
    return make_call(directions=["34.1"], budgets={"34.1": 1_000_000})


def _claim_check():
    call = _post_call()
    app = make_application(
        call=call,
        org=make_org(),
        direction="34.1",
        facts={"level": "national", "star_innovation_space_enterprise": True},
        requested_amount=0,
    )
    app, _ = applications.application_transition(actor=TEST, application=app, action="submit")
    return lambda actor: awards.claim_check(actor=actor, application=app)


def _claims_from_screening():
    call, org = _post_call(), make_org()
    return lambda actor: awards.claims_from_screening(actor=actor, call=call, found=[{"uscc": org.uscc, "direction": "34.1", "facts": {}}])


def _claims_allocate():
    call = _post_call()
    return lambda actor: awards.claims_allocate(actor=actor, call=call, direction="34.1")


def _registry_screen():
    call = _post_call()
    return lambda actor: awards.registry_screen(actor=actor, call=call)


def _organisations_screen():
    make_guide()
    return lambda actor: awards.organisations_screen(actor=actor, rows=[{"name": "甲", "uscc": make_org().uscc, "level": "national"}])


def _expert_add():
    person = make_person(make_org())
    return lambda actor: review.expert_add(actor=actor, person=person, fields=["C3976"])


def _expert_import():
    return lambda actor: review.expert_import(actor=actor, path=Path("not-read.csv"))


def _assignment(*, accepted: bool = False) -> ReviewAssignment:
    """One application in expert review and one expert invited to it."""
    make_guide()
    call = make_call(experts_per_application=1)
    org = make_org(district="450103")
    app = make_application(call=call, org=org, leader=make_person(org))
    for action in ("submit", "recommend", "accept", "start_review"):
        app, _ = applications.application_transition(actor=TEST, application=app, action=action)
    user = make_user("expert")
    # A keyword of the title ("测试项目…"): the pair's affinity is above the floor (0), so the round assigns it.
    review.expert_add(
        actor=TEST, person=make_person(make_org(district="450107"), user=user), fields=["C3976"], keywords=["测试"], user=user
    )
    rnd = review.review_round_run(actor=TEST, call=call)
    a = ReviewAssignment.objects.select_related("expert", "round", "application").get(round=rnd)
    if accepted:
        a = review.invitation_respond(actor=TEST, assignment=a, accept=True, statement="本人与该申报无利益冲突")
    return a


def _declaration_add():
    a = _assignment()
    return lambda actor: review.declaration_add(actor=actor, expert=a.expert, kind="expert", reason="曾合作", application=a.application)


def _review_round_run():
    a = _assignment()
    review.review_round_close(actor=TEST, round=a.round)
    return lambda actor: review.review_round_run(actor=actor, call=a.round.call)


def _review_round_close():
    a = _assignment()
    return lambda actor: review.review_round_close(actor=actor, round=a.round)


def _invitation_respond():
    a = _assignment()
    return lambda actor: review.invitation_respond(actor=actor, assignment=a, accept=True, statement="无冲突")


def _score_submit():
    a = _assignment(accepted=True)
    return lambda actor: review.score_submit(
        actor=actor, assignment=a, points={"innovation": 80, "feasibility": 80, "benefit": 80, "team": 80}, comment="意见"
    )


def _panel_move():
    a = _assignment()
    return lambda actor: review.panel_move(actor=actor, round=a.round, application=a.application, position=1, reason="会评调整")


def _reminders_mark():
    a = _assignment()
    return lambda actor: review.reminders_mark(actor=actor, assignments=[a])


def _contracted():
    """A 前资助 application put straight into 已立项 (the steps before it are not what is tested here)."""
    from yongke.applications.models import Application

    app = _draft()
    Application.objects.filter(pk=app.pk).update(state="contracted", decided_amount=app.requested_amount)
    return Application.objects.get(pk=app.pk)


def _project(state: str = "drafting"):
    from yongke.projects.models import Project

    project = projects.project_open(actor=TEST, application=_contracted())
    Project.objects.filter(pk=project.pk).update(state=state)
    return Project.objects.get(pk=project.pk)


def _change(*, reviewed: bool = False):
    change = projects.change_request_create(actor=TEST, project=_project("in_progress"), kind="termination", reasons="无法实施")
    if reviewed:
        change = projects.change_request_opinion(actor=TEST, change=change, agrees=True, opinion="同意")
    return change


def _project_open():
    app = _contracted()
    return lambda actor: projects.project_open(actor=actor, application=app)


def _project_open_again():
    project = _project()
    return lambda actor: projects.project_open(actor=actor, application=project.application)


def _task_book_update():
    project = _project()
    return lambda actor: projects.task_book_update(actor=actor, project=project, lock_version=None, changes={"title": "x"})


def _project_transition():
    project = _project()
    return lambda actor: projects.project_transition(actor=actor, project=project, action="send")


def _project_sign():
    project = _project("signing")
    return lambda actor: projects.project_transition(actor=actor, project=project, action="sign", filename="x.pdf", content=PDF_BYTES)


def _payment_record():
    project = _project("in_progress")
    return lambda actor: projects.payment_record(
        actor=actor, project=project, tranche=1, amount=1, paid_on=dt.date.today(), voucher="NOBODY-1"
    )


def _change_request_create():
    project = _project("in_progress")
    return lambda actor: projects.change_request_create(actor=actor, project=project, kind="termination", reasons="x")


def _change_request_opinion():
    change = _change()
    return lambda actor: projects.change_request_opinion(actor=actor, change=change, agrees=True, opinion="同意")


def _change_request_decide():
    change = _change(reviewed=True)
    return lambda actor: projects.change_request_decide(actor=actor, change=change, approve=True)


def _change_request_withdraw():
    change = _change()
    return lambda actor: projects.change_request_withdraw(actor=actor, change=change)


def _take_service_step():
    project = _project("in_progress")
    return lambda actor: projects.take_service_step(actor=actor, project=projects.locked_project(project), action="terminate", comment="x")


def _project_terminate():
    project = _project("in_progress")
    return lambda actor: projects.project_terminate(actor=actor, project=project, comment="x")


def _project_rescind():
    project = _project("in_progress")
    return lambda actor: projects.project_rescind(actor=actor, project=project, comment="x", misconduct=True)


def _report_save():
    from yongke.projects import acceptance

    project = _project("in_progress")
    return lambda actor: acceptance.report_save(actor=actor, project=project, kind="final", narrative="x")


def _acceptance_open():
    from yongke.projects import acceptance

    project = _project("acceptance")
    return lambda actor: acceptance.acceptance_open(actor=actor, project=project)


def _recovery_receive():
    from django.utils import timezone

    from yongke.projects import closure
    from yongke.projects.models import Recovery

    project = _project("terminated")
    recovery = Recovery.objects.create(project=project, amount_due=100, due_on=dt.date.today(), reason="x", recorded_at=timezone.now())
    return lambda actor: closure.recovery_receive(actor=actor, recovery=recovery, amount=1, received_on=dt.date.today(), voucher="NOBODY-R")


def _consequence_apply():
    from yongke.projects import credit

    project = _project("failed")
    return lambda actor: credit.consequence_apply(actor=actor, project=project, code="acceptance_failed", reason="x")


def _acceptance_overdue_scan():
    from yongke.projects import credit

    make_guide()
    return lambda actor: credit.acceptance_overdue_scan(actor=actor)


def _call_project_settings_set():
    make_guide()
    call = make_call()
    return lambda actor: projects.call_project_settings_set(actor=actor, call=call, sign_days=10)


def _projects_revoke_unsigned():
    make_guide()
    return lambda actor: projects.projects_revoke_unsigned(actor=actor)


def _signing_reminders():
    make_guide()
    return lambda actor: projects.signing_reminders(actor=actor)


REFUSED_TO_NOBODY = {
    "accounts.user_add": _account_user_add,
    "accounts.token_create": _account_token_create,
    "orgs.member_create": _account_member_create,
    "orgs.organisation_upsert": _org_upsert,
    "orgs.org_attribute_set": _org_attribute_set,
    "orgs.person_create": _org_person_create,
    "orgs.credit_record_add": _org_credit_record_add,
    "orgs.organisation_import": _org_import,
    "orgs.registration.registration_approve": _registration_approve,
    "orgs.registration.registration_reject": _registration_reject,
    "orgs.keys.field_keys_rotate": _field_keys_rotate,
    "guide.guide_store": _guide_store,
    "guide.guide_load": _guide_load,
    "guide.guide_version_publish": _guide_version_publish,
    "guide.guide_version_retire": _guide_version_retire,
    "applications.call_open": _call_open,
    "applications.call_close": _call_close,
    "applications.application_create": _application_create,
    "applications.application_update": _application_update,
    "applications.application_transition": _application_transition,
    "applications.attachment_add": _attachment_add,
    "awards.claim_check": _claim_check,
    "awards.claims_from_screening": _claims_from_screening,
    "awards.claims_allocate": _claims_allocate,
    "awards.registry_screen": _registry_screen,
    "awards.organisations_screen": _organisations_screen,
    "review.expert_add": _expert_add,
    "review.expert_import": _expert_import,
    "review.declaration_add": _declaration_add,
    "review.review_round_run": _review_round_run,
    "review.review_round_close": _review_round_close,
    "review.invitation_respond": _invitation_respond,
    "review.score_submit": _score_submit,
    "review.panel_move": _panel_move,
    "review.reminders_mark": _reminders_mark,
    "projects.project_open": _project_open,
    "projects.project_open.again": _project_open_again,
    "projects.task_book_update": _task_book_update,
    "projects.project_transition": _project_transition,
    "projects.project_transition.sign": _project_sign,
    "projects.payment_record": _payment_record,
    "projects.change_request_create": _change_request_create,
    "projects.change_request_opinion": _change_request_opinion,
    "projects.change_request_decide": _change_request_decide,
    "projects.change_request_withdraw": _change_request_withdraw,
    "projects.call_project_settings_set": _call_project_settings_set,
    "projects.projects_revoke_unsigned": _projects_revoke_unsigned,
    "projects.signing_reminders": _signing_reminders,
    "projects.take_service_step": _take_service_step,
    "projects.project_terminate": _project_terminate,
    "projects.project_rescind": _project_rescind,
    "projects.acceptance.report_save": _report_save,
    "projects.acceptance.acceptance_open": _acceptance_open,
    "projects.closure.recovery_receive": _recovery_receive,
    "projects.credit.consequence_apply": _consequence_apply,
    "projects.credit.acceptance_overdue_scan": _acceptance_overdue_scan,
}

NOBODY = [pytest.param(None, id="None"), pytest.param(AnonymousUser(), id="anonymous")]
CASES = [pytest.param(service, nobody.values[0], id=f"{service}-{nobody.id}") for service in REFUSED_TO_NOBODY for nobody in NOBODY]


@pytest.mark.django_db
@pytest.mark.parametrize(("service", "nobody"), CASES)
def test_nobody_is_refused_by_a_write_service(service, nobody):
    call = REFUSED_TO_NOBODY[service]()
    with pytest.raises(PermissionDenied):
        call(nobody)


def test_every_app_has_a_case_refused_to_nobody():
    assert {s.split(".")[0] for s in REFUSED_TO_NOBODY} == {"accounts", "orgs", "guide", "applications", "awards", "review", "projects"}


def test_every_write_of_the_projects_has_a_case_refused_to_nobody():
    writes = {name.rsplit(".", 1)[1] for name in WRITES if name.startswith("yongke.projects.services.")}
    assert writes == {s.split(".")[1] for s in REFUSED_TO_NOBODY if s.startswith("projects.") and s.count(".") == 1}


# --------------------------------------------------------------------------- the guide's keepers


@pytest.mark.django_db
def test_an_applicant_may_not_load_a_guide():
    applicant = make_user("applicant", organisation=make_org())
    with pytest.raises(PermissionDenied):
        guide.guide_load(actor=applicant)


@pytest.mark.django_db
def test_a_guide_refused_to_an_applicant_stores_no_version():
    applicant = make_user("applicant", organisation=make_org())
    with pytest.raises(PermissionDenied):
        guide.guide_load(actor=applicant)
    assert not GuideVersion.objects.exists()


@pytest.mark.django_db
def test_an_officer_may_load_a_guide():
    officer = make_user("officer", programme="*")
    version, _ = guide.guide_load(actor=officer)
    assert version.status == GuideVersion.Status.PUBLISHED
