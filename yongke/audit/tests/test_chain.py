"""The hash chain: `yongke audit verify` passes an intact log and finds an altered, a removed
and an inserted entry; concurrent appends on PostgreSQL keep one chain."""

from __future__ import annotations

import itertools
import json
import threading

import pytest
from django.db import connection, connections

from yongke.audit.chain import entry_hash
from yongke.audit.models import AuditEvent
from yongke.audit.selectors import chain_verify
from yongke.audit.services import audit_record
from yongke.cli.main import run
from yongke.testing import TEST


def _log(n: int) -> list[AuditEvent]:
    return [
        audit_record(
            actor=TEST,
            action="application_update",
            target_type="application",
            target_id=i,
            comment=f"第{i}次",
            address="10.0.0.1",
            data={"changes": {"title": ["旧", "新"]}, "n": i},
        )
        for i in range(n)
    ]


def _raw(sql: str, params: list) -> None:
    """A change behind the application's back: on PostgreSQL the owner disables the trigger first."""
    with connection.cursor() as cursor:
        pg = connection.vendor == "postgresql"
        if pg:  # the deferred foreign-key checks of this transaction run first: ALTER TABLE needs none pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        cursor.execute(sql, params)
        if pg:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _verify(capsys) -> tuple[int, dict]:
    capsys.readouterr()
    code = run(["audit", "verify"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.django_db
def test_an_intact_log_verifies(capsys):
    events = _log(5)
    assert events[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    code, out = _verify(capsys)
    assert (code, out["ok"], out["entries"], out["first_bad"]) == (0, True, 5, None)
    assert out["last_hash"] == events[-1].hash


@pytest.mark.django_db
def test_an_altered_entry_is_found(capsys):
    events = _log(4)
    _raw("UPDATE audit_auditevent SET comment = %s WHERE id = %s", ["改过的意见", events[2].pk])
    code, out = _verify(capsys)
    assert code == 1
    assert out["ok"] is False
    assert out["first_bad"]["id"] == events[2].pk
    assert out["first_bad"]["reason"] == "altered"


@pytest.mark.django_db
def test_an_altered_address_or_data_is_found():
    events = _log(3)
    _raw("UPDATE audit_auditevent SET address = %s WHERE id = %s", ["10.0.0.2", events[1].pk])
    assert chain_verify().first_bad == {"id": events[1].pk, "reason": "altered", "position": 2}


@pytest.mark.django_db
def test_a_removed_entry_is_found(capsys):
    events = _log(4)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    code, out = _verify(capsys)
    assert code == 1
    assert out["first_bad"]["id"] == events[2].pk
    assert out["first_bad"]["reason"] == "removed"
    assert out["entries"] == 3


@pytest.mark.django_db
def test_an_inserted_entry_is_found(capsys):
    events = _log(3)
    forged = AuditEvent(
        at=events[1].at,
        actor_name="officer1",
        action="application_update",
        target_type="application",
        target_id="9",
        prev_hash=events[1].hash,
        hash="0" * 64,
    )
    forged.save()  # a row added by hand (its id after the others); nothing chains to it
    code, out = _verify(capsys)
    assert code == 1
    assert out["first_bad"] == {"id": forged.pk, "reason": "altered", "position": 4}


@pytest.mark.django_db
def test_an_inserted_entry_with_a_correct_own_hash_still_breaks_the_chain():
    events = _log(3)
    fields = {
        "at": events[2].at,
        "actor_name": "x",
        "action": "x",
        "target_type": "x",
        "target_id": "1",
        "from_state": "",
        "to_state": "",
        "comment": "",
        "address": None,
        "data": {},
        "prev_hash": events[0].hash,  # claims to follow the first entry
    }
    forged = AuditEvent(**fields, hash=entry_hash(**fields))
    forged.save()
    assert chain_verify().first_bad == {"id": forged.pk, "reason": "reordered", "position": 4}


@pytest.mark.suite("postgresql")  # concurrent writers need PostgreSQL
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain():
    threads, per_thread, errors = 6, 8, []
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                audit_record(actor=TEST, action="application_update", target_type="application", target_id=f"{t}-{i}")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for p in pool:
        p.start()
    for p in pool:
        p.join()
    assert errors == []
    verdict = chain_verify()
    assert verdict.ok
    assert verdict.entries == threads * per_thread
    prevs = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(set(prevs)) == len(prevs)  # no two entries follow the same one: no fork
