"""Writes to the registry: organisations, their dated attributes, people, credit records, imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from yongke.accounts.actors import Actor, System, user_of
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role, scope_of
from yongke.accounts.services import user_add
from yongke.audit.services import audit_batch, audit_record, changes, snapshot
from yongke.core import crypto, textio
from yongke.core.errors import BadInput, Conflict, PermissionDenied, Refused
from yongke.orgs.models import BankAccount, CreditRecord, Organisation, OrgAttribute, Person
from yongke.orgs.validators import (
    NANNING_DISTRICTS,
    NANNING_ZONES,
    check_id_number,
    check_uscc,
    clean_bank_account,
    mask_bank_account,
    mask_id_number,
)

KIND_LABELS = {label: value for value, label in Organisation.Kind.choices}
DISTRICT_BY_NAME = {name: code for code, name in NANNING_DISTRICTS.items()}
ZONE_BY_NAME = {**{name: code for code, name in NANNING_ZONES.items()}, "高新区": "GXQ", "经开区": "JKQ", "东盟经开区": "DMJKQ"}


def _clean_org(data: dict[str, Any], *, where: str = "") -> dict[str, Any]:
    def bad(field_name: str, rule: str) -> BadInput:
        return BadInput(f"{where}{field_name}: {rule}", detail={"field": field_name, "rule": rule, "value": data.get(field_name)})

    verdict = check_uscc(data.get("uscc", ""))
    if not verdict.valid:
        raise bad("uscc", f"统一社会信用代码无效：{verdict.reason}")
    name = textio.clean_name(str(data.get("name") or ""))
    if not name:
        raise bad("name", "单位名称不能为空 / name is required")
    kind = str(data.get("kind") or "").strip()
    kind = KIND_LABELS.get(kind, kind)
    if kind not in Organisation.Kind.values:
        raise bad("kind", f"单位类型应为 {', '.join(Organisation.Kind.values)} 之一 / unknown kind")
    district = str(data.get("district") or "").strip()
    district = DISTRICT_BY_NAME.get(district, district)
    if district and district not in NANNING_DISTRICTS:
        raise bad("district", "注册地应为南宁市县区的 GB/T 2260 代码（如 450103）或留空 / unknown district")
    zone = str(data.get("zone") or "").strip()
    zone = ZONE_BY_NAME.get(zone, zone)
    if zone and zone not in NANNING_ZONES:
        raise bad("zone", f"开发区应为 {', '.join(NANNING_ZONES)} 之一 / unknown zone")
    industry = str(data.get("industry") or "").strip().upper()
    if industry and not (industry[0].isalpha() and industry[1:].isdigit() and len(industry) <= 5):
        raise bad("industry", "行业代码应为 GB/T 4754 代码，如 C3976 / bad industry code")
    legal = data.get("legal_person", True)
    if isinstance(legal, str):
        legal = legal.strip().lower() in ("1", "true", "是", "yes", "y")
    return {
        "uscc": verdict.value,
        "name": name,
        "kind": kind,
        "district": district,
        "zone": zone,
        "industry": industry,
        "legal_person": bool(legal),
        "address": textio.clean_name(str(data.get("address") or "")),
    }


def require_registrar(actor: Actor) -> None:
    """The registry (organisations, their attributes, credit records, imports) is kept by officers and admins."""
    require_role(actor, Role.OFFICER, Role.SYSADMIN, message="只有项目处人员或系统管理员可以维护单位信息 / officers and admins only")


def _may_register_person(actor: Actor, organisation: Organisation | None) -> None:
    """Officers and admins register anyone; an organisation's own people register its members."""
    scope = scope_of(actor)
    if scope.has(Role.OFFICER, Role.SYSADMIN) or (organisation is not None and organisation.pk in scope.organisations):
        return
    raise PermissionDenied(
        "只能为本单位登记人员 / only for your own organisation",
        detail={"field": "organisation", "organisation": getattr(organisation, "pk", None)},
    )


@transaction.atomic
def organisation_upsert(*, actor: Actor, data: dict[str, Any]) -> tuple[Organisation, bool]:
    """Create or update an organisation by its 统一社会信用代码 (officers and admins)."""
    require_registrar(actor)
    return _organisation_save(actor=actor, data=data)


@transaction.atomic
def organisation_create(*, actor: Actor, data: dict[str, Any]) -> Organisation:
    """Register a new organisation (officers and admins); a code already registered is a conflict."""
    require_registrar(actor)
    clean = _clean_org(data)
    if Organisation.objects.filter(uscc=clean["uscc"]).exists():
        raise Conflict(
            "该统一社会信用代码已登记 / already registered", code="organisation_exists", detail={"field": "uscc", "value": clean["uscc"]}
        )
    org, _ = _organisation_save(actor=actor, data=clean)
    return org


def _organisation_save(*, actor: Actor, data: dict[str, Any]) -> tuple[Organisation, bool]:
    clean = _clean_org(data)
    org = Organisation.objects.select_for_update().filter(uscc=clean["uscc"]).first()
    created = org is None
    org = org or Organisation()
    before = {} if created else snapshot(org, list(clean))
    for k, v in clean.items():
        setattr(org, k, v)
    org.full_clean()
    org.save()
    audit_record(
        actor=actor,
        action="organisation_create" if created else "organisation_update",
        target_type="organisation",
        target_id=org.pk,
        data={"uscc": org.uscc} if created else {"uscc": org.uscc, "changes": changes(before, snapshot(org, list(clean)))},
    )
    return org, created


@transaction.atomic
def org_attribute_set(
    *,
    actor: Actor,
    organisation: Organisation,
    name: str,
    value: Any = True,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    evidence: str = "",
) -> OrgAttribute:
    require_registrar(actor)
    if valid_to is not None and valid_to < valid_from:
        raise BadInput("valid_to: 截止日期不能早于起始日期", detail={"field": "valid_to"})
    fields = ("value", "valid_from", "valid_to", "evidence")
    previous = OrgAttribute.objects.filter(organisation=organisation, name=name).order_by("-valid_from", "-pk").first()
    attr = OrgAttribute(
        organisation=organisation,
        name=name,
        value=value,
        valid_from=valid_from,
        valid_to=valid_to,
        evidence=evidence,
        recorded_by=user_of(actor),
    )
    attr.full_clean()
    attr.save()
    audit_record(
        actor=actor,
        action="org_attribute_set",
        target_type="organisation",
        target_id=organisation.pk,
        data={
            "name": name,
            "value": value,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
            "changes": changes(snapshot(previous, fields) if previous else {}, snapshot(attr, fields)),
        },
    )
    return attr


@transaction.atomic
def person_create(
    *,
    actor: Actor,
    name: str,
    id_number: str,
    organisation: Organisation | None = None,
    title: str = "",
    phone: str = "",
    email: str = "",
    user: User | None = None,
) -> Person:
    _may_register_person(actor, organisation)
    verdict = check_id_number(id_number)
    if not verdict.valid:
        raise BadInput(f"id_number: 身份证号码无效：{verdict.reason}", detail={"field": "id_number", "rule": verdict.code})
    name = textio.clean_name(name)
    if not name:
        raise BadInput("name: 姓名不能为空", detail={"field": "name"})
    digest = crypto.lookup_hash(verdict.value)
    # Under every configured key: until `crypto rotate` has run, a person may still hold an older key's hash.
    if Person.objects.filter(id_number_hash__in=crypto.lookup_hashes(verdict.value)).exists():
        raise Conflict("该身份证号码已登记 / this ID number is already registered", code="person_exists", detail={"field": "id_number"})
    person = Person(
        name=name,
        id_number_encrypted=crypto.encrypt(verdict.value),
        id_number_hash=digest,
        id_number_masked=mask_id_number(verdict.value),
        organisation=organisation,
        title=title,
        phone=phone,
        email=email,
        user=user,
    )
    person.full_clean()
    person.save()
    audit_record(actor=actor, action="person_create", target_type="person", target_id=person.pk)
    return person


@transaction.atomic
def bank_account_set(*, actor: Actor, organisation: Organisation, bank: str, name: str, number: str) -> BankAccount:
    """Record the account the organisation receives grants in: its own org admin only (grants
    are paid into it, so no officer, finance or system administrator may set it for the unit);
    the account in force before is kept, marked replaced. The number is stored encrypted, shown
    masked, and never written to the audit log in the clear."""
    scope = scope_of(actor)
    if not (scope.is_system or organisation.pk in scope.admin_of):
        raise PermissionDenied("只有本单位管理员可以登记收款账户 / the organisation's admin only", detail={"organisation": organisation.pk})
    bank, name = str(bank or "").strip(), str(name or "").strip()
    if not bank:
        raise BadInput("bank: 开户银行不能为空 / the bank is required", detail={"field": "bank"})
    if not name:
        raise BadInput("name: 户名不能为空 / the account name is required", detail={"field": "name"})
    try:
        digits = clean_bank_account(number)
    except ValueError as e:
        raise BadInput(f"number: {e}", detail={"field": "number"}) from None
    now = timezone.now()
    old = list(BankAccount.objects.select_for_update().filter(organisation=organisation, replaced_at__isnull=True))
    BankAccount.objects.filter(pk__in=[a.pk for a in old]).update(replaced_at=now)
    account = BankAccount(
        organisation=organisation,
        bank=bank,
        name=name,
        number_encrypted=crypto.encrypt(digits),
        number_masked=mask_bank_account(digits),
        recorded_by=user_of(actor),
    )
    account.full_clean()
    account.save()
    audit_record(
        actor=actor,
        action="bank_account_set",
        target_type="organisation",
        target_id=organisation.pk,
        data={
            "bank": bank,
            "name": name,
            "number": account.number_masked,
            "replaces": [a.number_masked for a in old],
            "changes": changes(  # the numbers only masked, never in the clear
                {"bank": old[-1].bank, "name": old[-1].name, "number": old[-1].number_masked} if old else {},
                {"bank": bank, "name": name, "number": account.number_masked},
            ),
        },
    )
    return account


@transaction.atomic
def credit_record_add(
    *,
    actor: Actor,
    organisation: Organisation | None = None,
    person: Person | None = None,
    reason: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    source: str = "",
    consequence: str = "",
    origin: str = "",
) -> CreditRecord:
    """A credit entry, by an officer (or the system applying a consequence written in the rules:
    `consequence` is its code and `origin` the record it stems from)."""
    require_registrar(actor)
    target = organisation or person
    if target is None:
        raise BadInput("失信记录须指定单位或个人", detail={"field": "organisation"})
    record = CreditRecord(
        organisation=organisation,
        person=person,
        reason=reason,
        starts_on=starts_on,
        ends_on=ends_on,
        source=source,
        consequence=consequence,
        origin=origin,
    )
    record.full_clean()
    record.save()
    audit_record(
        actor=actor,
        action="credit_record_add",
        target_type="organisation" if organisation else "person",
        target_id=target.pk,
        data={
            "reason": reason,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
            "source": source,
            "consequence": consequence,
            "origin": origin,
        },
    )
    return record


@transaction.atomic
def credit_record_end(*, actor: Actor, record: CreditRecord, on: dt.date, reason: str) -> CreditRecord:
    """End a running credit entry: from `on` it no longer applies (it ran until the day before)."""
    require_registrar(actor)
    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    before = record.ends_on
    last = on - dt.timedelta(days=1)
    if before is not None and before <= last:
        return record
    record.ends_on = last
    record.save(update_fields=["ends_on"])
    audit_record(
        actor=actor,
        action="credit_record_end",
        target_type="organisation" if record.organisation_id else "person",
        target_id=record.organisation_id or record.person_id,
        data={"record": record.pk, "before": before.isoformat() if before else None, "after": last.isoformat(), "reason": reason},
    )
    return record


# --------------------------------------------------------------------------- import

IMPORT_COLUMNS = {
    "uscc": ("uscc", "统一社会信用代码"),
    "name": ("name", "单位名称"),
    "kind": ("kind", "单位类型"),
    "district": ("district", "注册地", "所在县区"),
    "zone": ("zone", "开发区"),
    "industry": ("industry", "行业代码"),
    "legal_person": ("legal_person", "独立法人"),
    "address": ("address", "地址"),
}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "errors": self.errors,
            "dry_run": self.dry_run,
            "applied": self.applied,
        }


def read_table(path: Path) -> list[dict[str, Any]]:
    """Rows of a .csv (UTF-8 with or without BOM, GBK/GB18030, UTF-16 with BOM — whatever
    `yongke.core.textio` reads) or .xlsx file (zip limits checked first) as dicts keyed by the header."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _some_rows(path, textio.read_csv(path))
    if suffix == ".xlsx":
        from openpyxl.worksheet._read_only import ReadOnlyWorksheet

        wb = textio.load_workbook(path)
        try:
            sheet = wb.active
            if not isinstance(sheet, ReadOnlyWorksheet):  # no sheet, or a chart sheet is the active one
                raise BadInput(f"{path}: 工作簿中没有可读取的工作表 / no worksheet to read", code="bad_format", detail={"file": str(path)})
            rows = list(sheet.iter_rows(values_only=True))
        except BadInput:
            raise
        except Exception as e:  # noqa: BLE001 - a broken sheet fails while it is read, with whatever openpyxl raises
            raise BadInput(
                f"{path}: 工作表无法读取（{type(e).__name__}）/ broken worksheet", code="bad_format", detail={"file": str(path)}
            ) from None
        finally:
            wb.close()
        header = [textio.clean_name(str(h or "")) for h in rows[0]] if rows else []
        return _some_rows(
            path,
            [
                {h: ("" if v is None else v) for h, v in zip(header, r, strict=False)}
                for r in rows[1:]
                if any(v not in (None, "") for v in r)
            ],
        )
    if not path.exists() or path.is_dir():
        textio.read_bytes(path)  # the missing file or the directory, named
    raise BadInput(f"{path}: 只支持 .csv 或 .xlsx / only csv or xlsx", code="bad_format", detail={"file": str(path)})


def _some_rows(path: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An import file with a header and no data rows is refused: importing nothing is a mistake."""
    if not rows:
        raise BadInput(f"{path}: 文件中没有数据行（第一行为表头）/ no data rows", code="no_rows", detail={"file": str(path)})
    return rows


def _normalise_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, aliases in IMPORT_COLUMNS.items():
        for a in aliases:
            if a in row:
                value = row[a]
                out[key] = textio.clean_name(value) if isinstance(value, str) else value
                break
    return out


def organisation_import(*, actor: Actor, path: Path, dry_run: bool = False, progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import organisations all or nothing: any bad row → nothing is written, every bad row reported."""
    require_registrar(actor)
    raw_rows = read_table(path)
    report = ImportReport(rows=len(raw_rows), dry_run=dry_run)
    cleaned: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_rows, start=2):  # row 1 is the header
        try:
            c = _clean_org(_normalise_row(raw))
        except BadInput as e:
            report.errors.append({"row": i, "field": e.detail.get("field"), "message": e.message})
            continue
        if c["uscc"] in seen:
            report.errors.append({"row": i, "field": "uscc", "message": f"与第{seen[c['uscc']]}行重复 / duplicate code"})
            continue
        seen[c["uscc"]] = i
        cleaned.append(c)
        if progress:
            progress(i - 1)
    existing = set(Organisation.objects.filter(uscc__in=list(seen)).values_list("uscc", flat=True))
    report.updated = sum(1 for c in cleaned if c["uscc"] in existing)
    report.created = len(cleaned) - report.updated
    if report.errors or dry_run:
        return report
    # One entry per organisation, appended together at the end: the chain's lock is not held
    # while the rows are written (audit_batch).
    with transaction.atomic(), audit_batch():
        for c in cleaned:
            organisation_upsert(actor=actor, data=c)
    report.applied = True
    return report


# --------------------------------------------------------------------------- self-registration


@transaction.atomic
def organisation_register(
    *,
    organisation: dict[str, Any],
    username: str,
    password: str,
    full_name: str = "",
    email: str = "",
    licence_name: str = "",
    licence: bytes = b"",
) -> tuple[Organisation, User]:
    """A new organisation and its first account (its admin), both or neither — the public
    registration form, which anybody may use.

    An organisation already registered under the same code is a conflict: a self-registration
    must never overwrite the registry (its members are added by its admin), nor take over an
    existing account. The organisation is pending, with its business licence (PDF, JPG or PNG),
    until its recommending unit or an officer approves it (yongke.orgs.registration)."""
    from django.conf import settings as django_settings
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile

    from yongke.orgs.registration import LICENCE_TYPES, licence_type

    registration = System("registration")
    verdict = check_uscc(organisation.get("uscc", ""))
    if verdict.valid and Organisation.objects.filter(uscc=verdict.value).exists():
        raise Conflict(
            "该统一社会信用代码已注册，请联系本单位管理员开通账户 / already registered",
            code="organisation_exists",
            detail={"field": "uscc", "value": verdict.value},
        )
    if get_user_model().objects.filter(username__iexact=(username or "").strip()).exists():
        raise Conflict("username: 该用户名已被使用 / username taken", code="username_taken", detail={"field": "username"})
    kind = licence_type(licence[:16])
    if kind is None:
        raise BadInput(
            "licence: 请上传营业执照（PDF、JPG 或 PNG）/ business licence required: PDF, JPG or PNG", detail={"field": "licence"}
        )
    if len(licence) > django_settings.YONGKE_LICENCE_MAX_BYTES:
        limit = django_settings.YONGKE_LICENCE_MAX_BYTES // (1024 * 1024)
        raise BadInput(f"licence: 营业执照文件不能超过 {limit} MB / at most {limit} MB", detail={"field": "licence", "limit": limit})
    org, _ = _organisation_save(actor=registration, data=organisation)
    org.status = Organisation.Status.PENDING
    org.licence.save(f"{org.uscc}{LICENCE_TYPES[kind]}", ContentFile(licence), save=False)
    org.save(update_fields=["status", "licence"])
    user = user_add(
        actor=registration, username=username, password=password, role=Role.ORG_ADMIN, organisation=org, full_name=full_name, email=email
    )
    audit_record(actor=user, action="organisation_register", target_type="organisation", target_id=org.pk, data={"uscc": org.uscc})
    return org, user


@transaction.atomic
def member_create(
    *,
    actor: Actor,
    organisation: Organisation,
    username: str,
    password: str,
    full_name: str,
    email: str = "",
    id_number: str = "",
    title: str = "",
) -> tuple[User, Person | None]:
    """An organisation admin adds a member account; with an ID number the member is also
    registered as a person who may lead projects. Both or neither."""
    scope = scope_of(actor)
    if not (organisation.pk in scope.admin_of or scope.has(Role.SYSADMIN)):
        raise PermissionDenied("只有本单位管理员可以创建成员账户 / org admins only")
    if organisation.status != Organisation.Status.ACTIVE:
        raise Refused("本单位注册尚未审核通过，暂不能开通成员账户 / registration not yet approved", code="registration_pending")
    if User.objects.filter(username__iexact=(username or "").strip()).exists():  # a member account is new, never someone else's
        raise Conflict("username: 该用户名已被使用 / username taken", code="username_taken", detail={"field": "username"})
    user = user_add(
        actor=actor, username=username, password=password, role=Role.APPLICANT, organisation=organisation, full_name=full_name, email=email
    )
    person = None
    if id_number:
        person = person_create(actor=actor, name=full_name, id_number=id_number, organisation=organisation, title=title, user=user)
    return user, person
