"""The field key's rotation: every encrypted value of the registry re-encrypted under the first key.

The encrypted fields: Person.id_number_encrypted (with its look-up hash id_number_hash) and
BankAccount.number_encrypted. Idempotent: a value already under the first key, with its hash
under it, is left alone; a run stopped halfway is simply run again.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from yongke.accounts.actors import Actor
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role
from yongke.audit.services import audit_record
from yongke.core import crypto
from yongke.orgs.models import BankAccount, Person


def field_keys_rotate(*, actor: Actor, batch: int = 500) -> dict[str, Any]:
    """Re-encrypt under the first YONGKE_FIELD_KEY, `batch` rows per transaction. The security
    administrator (or the console). Returns per model: rows seen, rewritten, the ids under no
    configured key (`unreadable`, left as they are) and, for people, the ids whose new look-up
    hash another person holds already (`duplicates`, left with the old hash)."""
    require_role(actor, Role.SECURITY, message="只有安全管理员可以轮换字段密钥 / the security administrator only")
    if batch < 1:
        from yongke.core.errors import BadInput

        raise BadInput("batch: 每批行数应为正整数 / --batch must be positive", detail={"field": "batch", "value": batch})
    people = _rotate_people(batch)
    accounts = _rotate_accounts(batch)
    result = {"people": people, "bank_accounts": accounts, "batch": batch}
    if people["rewritten"] or accounts["rewritten"]:
        audit_record(actor=actor, action="field_keys_rotate", target_type="system", target_id="field_key", data=result)
    return result


def _rotate_people(batch: int) -> dict[str, Any]:
    seen = rewritten = 0
    duplicates: list[int] = []
    unreadable: list[int] = []
    last = 0
    while True:
        with transaction.atomic():
            rows = list(Person.objects.select_for_update().filter(pk__gt=last).order_by("pk")[:batch])
            if not rows:
                break
            for person in rows:
                seen += 1
                last = person.pk
                try:
                    value = crypto.decrypt(person.id_number_encrypted)
                except ValueError:  # under no configured key: reported, left as it is
                    unreadable.append(person.pk)
                    continue
                digest = crypto.lookup_hash(value)
                fields = []
                if not crypto.is_current(person.id_number_encrypted):
                    person.id_number_encrypted = crypto.encrypt(value)
                    fields.append("id_number_encrypted")
                if person.id_number_hash != digest:
                    if Person.objects.filter(id_number_hash=digest).exclude(pk=person.pk).exists():
                        duplicates.append(person.pk)
                    else:
                        person.id_number_hash = digest
                        fields.append("id_number_hash")
                if fields:
                    person.save(update_fields=fields)
                    rewritten += 1
    return {"seen": seen, "rewritten": rewritten, "duplicates": duplicates, "unreadable": unreadable}


def _rotate_accounts(batch: int) -> dict[str, Any]:
    seen = rewritten = 0
    unreadable: list[int] = []
    last = 0
    while True:
        with transaction.atomic():
            rows = list(BankAccount.objects.select_for_update().filter(pk__gt=last).order_by("pk")[:batch])
            if not rows:
                break
            for account in rows:
                seen += 1
                last = account.pk
                if crypto.is_current(account.number_encrypted):
                    continue
                try:
                    value = crypto.decrypt(account.number_encrypted)
                except ValueError:
                    unreadable.append(account.pk)
                    continue
                account.number_encrypted = crypto.encrypt(value)
                account.save(update_fields=["number_encrypted"])
                rewritten += 1
    return {"seen": seen, "rewritten": rewritten, "unreadable": unreadable}
