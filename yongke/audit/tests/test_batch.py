"""`audit_batch`: the entries of a bulk write (an import) are appended together when the block
ends, in order and chained; a failure discards them with the writes; on PostgreSQL the chain's
lock is not held while the rows are written, so other audited writes go on meanwhile."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from yongke.audit.models import AuditEvent
from yongke.audit.selectors import chain_verify
from yongke.audit.services import audit_batch, audit_record
from yongke.testing import TEST


def _entry(i) -> AuditEvent:
    return audit_record(actor=TEST, action="organisation_create", target_type="organisation", target_id=i, data={"n": i})


@pytest.mark.django_db
def test_the_entries_of_a_batch_are_appended_at_its_end_in_order_and_chained():
    _entry("before")
    with transaction.atomic(), audit_batch():
        for i in range(5):
            _entry(i)
            assert not AuditEvent.objects.filter(target_id=str(i)).exists()  # not yet: at the block's end
        with audit_batch():  # nested: the outer block appends
            _entry("inner")
        assert not AuditEvent.objects.filter(target_id="inner").exists()
    ids = list(AuditEvent.objects.order_by("id").values_list("target_id", flat=True))
    assert ids == ["before", "0", "1", "2", "3", "4", "inner"]
    verdict = chain_verify()
    assert (verdict.ok, verdict.entries) == (True, 7)


@pytest.mark.django_db
def test_a_failure_inside_a_batch_leaves_neither_the_writes_nor_the_entries():
    _entry("kept")

    def import_failing_midway() -> None:
        with transaction.atomic(), audit_batch():
            _entry("lost")
            raise RuntimeError("a bad row")

    with pytest.raises(RuntimeError, match="a bad row"):
        import_failing_midway()
    assert list(AuditEvent.objects.values_list("target_id", flat=True)) == ["kept"]
    _entry("after")  # the next entry is appended at once again, after the one kept
    assert chain_verify().ok


@pytest.mark.suite("postgresql")  # the chain's lock is PostgreSQL's advisory lock
@pytest.mark.django_db(transaction=True)
def test_other_audited_writes_go_on_while_a_batch_is_being_written():
    in_batch, other_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            in_batch.wait(10)
            _entry("meanwhile")  # would wait for the import's commit if its first entry held the lock
            other_done.set()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connections.close_all()

    t = threading.Thread(target=other)
    t.start()
    with transaction.atomic(), audit_batch():
        _entry("row 1")
        in_batch.set()
        assert other_done.wait(10), "another audited write waited for the batch"
        _entry("row 2")
    t.join(10)
    assert errors == []
    assert list(AuditEvent.objects.order_by("id").values_list("target_id", flat=True)) == ["meanwhile", "row 1", "row 2"]
    assert chain_verify().ok
