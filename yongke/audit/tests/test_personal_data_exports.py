"""Exports of personal data are audited (issue 14, item 8): a workbook that names people leaves
exactly one `export.personal_data` entry — who, from which address, what, how many rows, which
personal fields — whichever face produced it; workbooks of organisations only leave none."""

from __future__ import annotations

import pytest
from django.test import Client

from yongke.accounts.services import token_create
from yongke.audit.models import AuditEvent
from yongke.audit.services import PERSONAL_DATA_EXPORT
from yongke.cli.main import run
from yongke.testing import build_world, make_application_in, make_person

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"


@pytest.fixture
def world():
    return build_world(directions=["1.1"], budgets={"1": 5_000_000}, officer_programmes=("*",))


def _exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=PERSONAL_DATA_EXPORT).order_by("id"))


def _signed_in(user) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(user)
    return client


def _one(response, *, target: tuple[str, str], rows: int, by) -> AuditEvent:
    assert response.status_code == 200, response.content[:300]
    (entry,) = _exports()
    assert (entry.target_type, entry.target_id) == target
    assert entry.actor_name == by.username
    assert entry.address == ADDRESS
    assert entry.data == {"format": "xlsx", "rows": rows, "fields": ["leader_name"]}
    return entry


# --------------------------------------------------------------------------- the portal's workbooks


def test_the_officer_queue_workbook_is_audited_once(world):
    for _ in range(2):
        make_application_in("recommended", world=world, leader=make_person(world.org))
    response = _signed_in(world.officer).get("/officer/queue.xlsx", {"funding": "pre", "state": "recommended"})
    _one(response, target=("application_queue", "officer:pre:recommended"), rows=2, by=world.officer)


def test_the_recommend_queue_workbook_is_audited_once(world):
    make_application_in("submitted", world=world, leader=make_person(world.org))
    response = _signed_in(world.recommender).get("/recommend/queue.xlsx", {"state": "submitted"})
    _one(response, target=("application_queue", "recommend:submitted"), rows=1, by=world.recommender)


def test_the_finance_list_workbook_is_audited_once(world):
    make_application_in("funded", world=world, leader=make_person(world.org), amount=800_000)
    response = _signed_in(world.finance).get("/finance/list.xlsx")
    _one(response, target=("application_queue", "finance"), rows=1, by=world.finance)


def test_the_publicity_workbook_is_audited_once_it_names_the_leaders(world):
    make_application_in("published", world=world, leader=make_person(world.org), amount=800_000)
    response = _signed_in(world.officer).get("/officer/publicity.xlsx", {"call": world.call.pk})
    _one(response, target=("publicity_list", str(world.call.pk)), rows=1, by=world.officer)


def test_the_recommendation_summary_names_organisations_only_and_is_not_audited(world):
    make_application_in("recommended", world=world, leader=make_person(world.org))
    response = _signed_in(world.recommender).get("/recommend/summary.xlsx")
    assert response.status_code == 200
    assert _exports() == []


# --------------------------------------------------------------------------- a call's projects, by every face


@pytest.fixture
def project(world):
    return make_application_in("contracted", world=world, leader=make_person(world.org), amount=800_000).project


def test_the_calls_projects_workbook_from_the_portal_is_audited_once(world, project):
    response = _signed_in(world.finance).get(f"/finance/projects/calls/{world.call.pk}.xlsx")
    _one(response, target=("call", str(world.call.pk)), rows=1, by=world.finance)


def test_the_calls_projects_workbook_from_the_api_is_audited_once(world, project):
    key = token_create(actor=world.finance, user=world.finance, name="导出")
    response = Client(REMOTE_ADDR=ADDRESS).get(f"/api/v1/calls/{world.call.pk}/projects.xlsx", HTTP_AUTHORIZATION=f"Bearer {key}")
    _one(response, target=("call", str(world.call.pk)), rows=1, by=world.finance)


def test_the_calls_projects_workbook_from_the_cli_is_audited_once(world, project, tmp_path, capsys):
    out = tmp_path / "台账.xlsx"
    assert run(["project", "export", "--call", str(world.call.pk), "--out", str(out), "--as", world.finance.username]) == 0
    (entry,) = _exports()
    assert (entry.target_type, entry.target_id, entry.actor_name) == ("call", str(world.call.pk), world.finance.username)
    assert entry.address is None  # no web request
    assert entry.data == {"format": "xlsx", "rows": 1, "fields": ["leader_name"]}


def test_the_portfolio_workbook_names_organisations_only_and_is_not_audited(world, project):
    response = _signed_in(world.finance).get("/office/portfolio.xlsx")
    assert response.status_code == 200
    assert _exports() == []
