"""What the log records outside the services: sign-ins with the source address, Django-admin
edits, and the old and new values of organisation updates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client

from yongke.accounts.models import Role
from yongke.audit import context
from yongke.audit.models import AuditEvent
from yongke.audit.services import audit_record, changes, mask_tail
from yongke.orgs import services as orgs
from yongke.testing import TEST, make_org, make_user
from yongke.tests.world import PASSWORD

pytestmark = pytest.mark.django_db


def _last(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("-id").first()
    assert event is not None, f"no {action} entry"
    return event


def test_login_ok_failed_and_logout_are_recorded_with_the_address():
    user = make_user(Role.AUDITOR)
    client = Client(REMOTE_ADDR="203.0.113.7")
    client.post("/accounts/login/", {"username": user.username, "password": "wrong-password-1"})
    failed = _last("login_failed")
    assert failed is not None
    assert (failed.target_id, failed.address, failed.actor_name) == (user.username, "203.0.113.7", "anonymous")
    assert "wrong-password-1" not in str(failed.data) + failed.comment
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    ok = _last("login")
    assert ok is not None
    assert (ok.actor_id, ok.address) == (user.pk, "203.0.113.7")
    client.post("/accounts/logout/")
    out = _last("logout")
    assert out is not None
    assert (out.actor_id, out.address) == (user.pk, "203.0.113.7")


def test_a_trusted_proxy_forwards_the_client_address(settings):
    settings.YONGKE_TRUSTED_PROXIES = ["10.0.0.0/8"]
    user = make_user(Role.AUDITOR)
    Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="198.51.100.9, 10.0.0.5").post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD}
    )
    assert _last("login").address == "198.51.100.9"
    # an untrusted peer's header is ignored
    Client(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.9").post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD}
    )
    assert _last("login").address == "192.0.2.1"


def test_client_address_rules():
    trusted = context.networks(["10.0.0.1", "172.16.0.0/12"])
    assert context.client_address("10.0.0.1", "1.2.3.4, 172.16.5.5", trusted) == "1.2.3.4"
    assert context.client_address("10.0.0.1", "junk, 1.2.3.4", trusted) == "1.2.3.4"
    assert context.client_address("10.0.0.1", "", trusted) == "10.0.0.1"
    assert context.client_address("8.8.8.8", "1.2.3.4", trusted) == "8.8.8.8"
    assert context.client_address("", "1.2.3.4", trusted) is None


def test_an_entry_during_a_request_takes_the_request_address_when_none_is_passed():
    token = context.set_source(context.Source(peer="10.0.0.1", client="198.51.100.2"))
    try:
        assert audit_record(actor=TEST, action="x", target_type="x", target_id=1).address == "198.51.100.2"
        assert audit_record(actor=TEST, action="x", target_type="x", target_id=1, address="10.0.0.1").address == "198.51.100.2"
        assert audit_record(actor=TEST, action="x", target_type="x", target_id=1, address="192.0.2.8").address == "192.0.2.8"
    finally:
        context.reset(token)
    assert audit_record(actor=TEST, action="x", target_type="x", target_id=1).address is None


def test_a_user_created_in_the_admin_leaves_an_entry():
    admin = make_user(Role.SYSADMIN)
    client = Client(REMOTE_ADDR="203.0.113.20")
    client.force_login(admin)
    r = client.post(
        "/admin/auth/user/add/",
        {
            "username": "newcomer",
            "password1": "Zq-9vT!longpass",
            "password2": "Zq-9vT!longpass",
            "usable_password": "true",
            "role_grants-TOTAL_FORMS": "0",
            "role_grants-INITIAL_FORMS": "0",
        },
    )
    assert r.status_code == 302, r.content.decode()[-3000:]
    new = User.objects.get(username="newcomer")
    entry = _last("admin_add")
    assert entry is not None
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.address) == (admin.pk, "auth.user", str(new.pk), "203.0.113.20")
    assert entry.data["object"] == "newcomer"


def test_an_organisation_update_stores_old_and_new_values():
    org = make_org(name="甲公司")
    data = {f: getattr(org, f) for f in ("uscc", "name", "kind", "district", "zone", "industry", "legal_person", "address")}
    orgs.organisation_upsert(actor=TEST, data={**data, "name": "乙公司", "address": "南宁市民族大道1号"})
    entry = _last("organisation_update")
    assert entry.data["changes"] == {"name": ["甲公司", "乙公司"], "address": [org.address, "南宁市民族大道1号"]}


def test_an_attribute_change_stores_the_previous_value():
    org = make_org()
    orgs.org_attribute_set(actor=TEST, organisation=org, name="employees", value=40, valid_from=dt.date(2022, 1, 1))
    orgs.org_attribute_set(actor=TEST, organisation=org, name="employees", value=55, valid_from=dt.date(2023, 1, 1))
    assert _last("org_attribute_set").data["changes"] == {"value": [40, 55], "valid_from": ["2022-01-01", "2023-01-01"]}


def test_a_bank_account_change_stores_only_masked_numbers():
    org = make_org()
    org_admin = make_user(Role.ORG_ADMIN, organisation=org)
    orgs.bank_account_set(actor=org_admin, organisation=org, bank="工商银行", name="甲公司", number="6222020000001111")
    orgs.bank_account_set(actor=org_admin, organisation=org, bank="建设银行", name="甲公司", number="6217000000002222")
    entry = _last("bank_account_set")
    assert entry.data["changes"]["bank"] == ["工商银行", "建设银行"]
    old, new = entry.data["changes"]["number"]
    assert old.endswith("1111")
    assert new.endswith("2222")
    text = str(entry.data)
    assert "6222020000001111" not in text
    assert "6217000000002222" not in text


def test_changes_lists_only_changed_fields_json_safe_and_masks():
    before = {"a": 1, "d": dt.date(2024, 1, 1), "same": "x", "n": "6222020000001111"}
    after = {"a": 2, "d": dt.date(2024, 2, 1), "same": "x", "n": "6222020000009999"}
    assert changes(before, after, mask={"n": mask_tail}) == {
        "a": [1, 2],
        "d": ["2024-01-01", "2024-02-01"],
        "n": ["************1111", "************9999"],
    }


def test_the_auditors_page_shows_the_chain_verdict():
    audit_record(actor=TEST, action="x", target_type="x", target_id=1)
    auditor = make_user(Role.AUDITOR)
    client = Client()
    client.force_login(auditor)
    assert "校验哈希链" in client.get("/audit/").content.decode()
    html = client.get("/audit/", {"verify": "1"}).content.decode()
    assert "链条完整" in html
    assert f"共 {AuditEvent.objects.count()} 条记录" in html


def test_guide_publish_and_retire_record_the_states():
    from yongke.guide.services import guide_version_retire
    from yongke.testing import make_guide

    version = make_guide()
    publish = AuditEvent.objects.filter(action="guide_publish", target_id=str(version.pk)).get()
    assert (publish.from_state, publish.to_state) == ("draft", "published")
    guide_version_retire(actor=TEST, version=version)
    retire = _last("guide_retire")
    assert (retire.target_id, retire.from_state, retire.to_state) == (str(version.pk), "published", "retired")
