"""schemathesis against the API's own OpenAPI document, in-process through the WSGI app
(`yongke.wsgi.application`): no operation answers any generated input — valid or not — with a
5xx; every answer has a status the operation declares, its declared content type and a body
that validates against the declared schema; and input that violates the schema is refused.
As an officer (token): the coverage phase (boundaries, wrong types, missing fields, other
methods) and 6 fuzzed examples per operation. Anonymous: 3 fuzzed examples per operation,
since every non-public operation stops at authentication. About 35 s on two cores."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from yongke.wsgi import application

OPENAPI = "/api/v1/openapi.json"
# Input that violates the schema is refused: schemathesis' statuses, and 413 `too_large` too — a
# generated body can exceed the API's size limit, and refusing it for its size is a refusal.
REFUSALS = {"expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]}
officer_schema = schemathesis.openapi.from_wsgi(
    OPENAPI, application, config=SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": REFUSALS}})
)
anonymous_schema = schemathesis.openapi.from_wsgi(
    OPENAPI,
    application,
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}, "checks": {"negative_data_rejection": REFUSALS}}),
)
# Derandomized: the same examples on every run, so a run's verdict is the code's, not the draw's
# (a random draw met schemathesis' own false positives — an empty query value read as the
# negated one — once in a few runs).
QUICK = settings(deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance, negative_data_rejection]


@pytest.fixture
def keep_test_transaction():
    """Django's WSGI handler closes the connection after each request when it is inside a
    transaction; the test client disconnects that for the same reason, and so do we."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@officer_schema.parametrize()
@settings(QUICK, max_examples=6)
def test_no_server_error_for_an_officer(case, world, db, keep_test_transaction):
    response = case.call(headers={"Authorization": f"Bearer {world.tokens['officer']}"})
    case.validate_response(response, checks=CHECKS)


@anonymous_schema.parametrize()
@settings(QUICK, max_examples=3)
def test_no_server_error_for_anonymous(case, world, db, keep_test_transaction):
    response = case.call()
    case.validate_response(response, checks=CHECKS)
