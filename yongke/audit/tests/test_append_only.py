"""The audit log is append-only: the QuerySet refuses changes, and on PostgreSQL so does a trigger."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from yongke.audit.models import AppendOnly, AuditEvent
from yongke.audit.services import audit_record
from yongke.testing import TEST

pytestmark = pytest.mark.django_db


def _entry() -> AuditEvent:
    return audit_record(actor=TEST, action="organisation_update", target_type="organisation", target_id=1, comment="原文")


def test_queryset_update_and_delete_are_refused():
    e = _entry()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=e.pk).update(comment="改过")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.bulk_update([e], ["comment"])
    with pytest.raises(AppendOnly):
        AuditEvent.objects.bulk_create([AuditEvent(actor_name="x", action="x", target_type="x", target_id="1")])
    with pytest.raises(AppendOnly):
        e.delete()
    e.comment = "改过"
    with pytest.raises(AppendOnly):
        e.save()
    assert AuditEvent.objects.get(pk=e.pk).comment == "原文"
    assert AuditEvent.objects.count() == 1


@pytest.mark.suite("postgresql")  # the trigger exists on PostgreSQL only
def test_raw_sql_update_and_delete_are_refused_by_the_trigger():
    e = _entry()
    for sql in ("UPDATE audit_auditevent SET comment = 'x' WHERE id = %s", "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [e.pk])
    assert AuditEvent.objects.get(pk=e.pk).comment == "原文"
