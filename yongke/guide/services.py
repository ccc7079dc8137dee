"""Writes to the guide tables: loading a guide file (all or nothing), publishing, retiring."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils import timezone

from yongke.accounts.actors import Actor
from yongke.accounts.models import Role
from yongke.accounts.selectors import require_role
from yongke.audit.services import audit_record
from yongke.core.errors import BadInput
from yongke.guide import models as m
from yongke.guide.loader import load_guide
from yongke.guide.model import Guide


def _require_guide_keeper(actor: Actor) -> None:
    require_role(actor, Role.SYSADMIN, Role.OFFICER, message="只有系统管理员或项目处人员可以维护指南 / admins and officers only")


@transaction.atomic
def guide_store(*, actor: Actor, guide: Guide, source_file: str = "", publish: bool = True) -> tuple[m.GuideVersion, bool]:
    """Store a validated guide. Identical content is stored once; returns (version, created).

    A changed file with an existing label becomes the next revision: versions already
    stored are never modified, so every application keeps the rules it was checked under.
    """
    _require_guide_keeper(actor)
    existing = m.GuideVersion.objects.filter(digest=guide.digest).first()
    if existing is not None:
        if publish and existing.status == m.GuideVersion.Status.DRAFT:
            existing = guide_version_publish(actor=actor, version=existing)
        return existing, False
    last = m.GuideVersion.objects.filter(label=guide.version).order_by("-revision").first()
    version = m.GuideVersion(
        label=guide.version,
        revision=(last.revision + 1) if last else 1,
        title=guide.title,
        digest=guide.digest,
        source_file=source_file,
    )
    version.full_clean()
    version.save()
    m.GuideVersionContent.objects.create(version=version, spec=guide.raw, text=guide.text)
    # Three statements for the tree (programmes, projects, directions: both databases return the
    # new keys of a bulk insert), then the rules, facts and parameters.
    programmes = m.Programme.objects.bulk_create(
        m.Programme(version=version, code=prog.id, name=prog.name, name_inferred=prog.name_inferred, text=prog.text, order=pi)
        for pi, prog in enumerate(guide.programmes)
    )
    pairs = [(programme, project) for programme, prog in zip(programmes, guide.programmes, strict=True) for project in prog.projects]
    projects = m.Project.objects.bulk_create(
        m.Project(
            version=version,
            programme=programme,
            code=project.id,
            name=project.name,
            name_inferred=project.name_inferred,
            funding=project.funding,
            review=project.review,
            text=project.text,
            order=int(project.id),
        )
        for programme, project in pairs
    )
    triples = [
        (proj, project, di, d) for proj, (_, project) in zip(projects, pairs, strict=True) for di, d in enumerate(project.directions)
    ]
    directions = m.Direction.objects.bulk_create(
        m.Direction(version=version, project=proj, code=d.id, name=d.name, text=d.text, order=int(project.id) * 100 + di)
        for proj, project, di, d in triples
    )
    direction_of = {d.id: row for (_, _, _, d), row in zip(triples, directions, strict=True)}
    order = 0
    rules: list[m.Rule] = []
    for proj, (_, project) in zip(projects, pairs, strict=True):
        for d in project.directions:
            for r in d.rules:
                if r.scope != d.id:
                    continue
                order += 1
                rules.append(_rule_row(version, proj, direction_of[d.id], r, order))
        for r in project.rules:
            order += 1
            rules.append(_rule_row(version, proj, None, r, order))
    m.Rule.objects.bulk_create(rules)
    m.Fact.objects.bulk_create(
        m.Fact(version=version, name=f.name, type=f.type, unit=f.unit or "", label=f.label, about=f.about, values=list(f.values))
        for f in guide.facts.values()
    )
    m.Parameter.objects.bulk_create(
        m.Parameter(version=version, name=p.name, value=p.value, unit=p.unit or "", label=p.label, assumed=p.assumed, source=p.source or "")
        for p in guide.parameters.values()
    )
    audit_record(
        actor=actor,
        action="guide_load",
        target_type="guide_version",
        target_id=version.pk,
        data={"label": version.label, "revision": version.revision, "digest": version.digest, "file": source_file},
    )
    if publish:
        version = guide_version_publish(actor=actor, version=version)
    return version, True


def _rule_row(version: m.GuideVersion, project: m.Project, direction: m.Direction | None, r, order: int) -> m.Rule:
    return m.Rule(
        version=version,
        project=project,
        direction=direction,
        code=r.id,
        kind=r.kind,
        expr=r.expr or "",
        message=r.message,
        source=r.source,
        evidence=r.evidence or "",
        reason=r.reason or "",
        cap="" if r.cap is None else str(r.cap),
        order=order,
    )


def guide_load(*, actor: Actor, path: str | Path | None = None, publish: bool = True) -> tuple[m.GuideVersion, bool]:
    """Validate a guide file and store it, all or nothing: a broken file changes nothing."""
    _require_guide_keeper(actor)
    guide = load_guide(path)
    return guide_store(actor=actor, guide=guide, source_file=str(path or ""), publish=publish)


@transaction.atomic
def guide_version_publish(*, actor: Actor, version: m.GuideVersion) -> m.GuideVersion:
    _require_guide_keeper(actor)
    version = m.GuideVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == m.GuideVersion.Status.RETIRED:
        raise BadInput(
            "已停用的指南版本不能再发布 / a retired version cannot be published", code="guide_retired", detail={"version": str(version)}
        )
    if version.status != m.GuideVersion.Status.PUBLISHED:
        was = version.status
        version.status = m.GuideVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
        audit_record(
            actor=actor,
            action="guide_publish",
            target_type="guide_version",
            target_id=version.pk,
            from_state=was,
            to_state=version.status,
            data={"label": version.label, "revision": version.revision},
        )
    return version


@transaction.atomic
def guide_version_retire(*, actor: Actor, version: m.GuideVersion) -> m.GuideVersion:
    """Retire a version: no new application may use it; those made under it keep it."""
    _require_guide_keeper(actor)
    version = m.GuideVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != m.GuideVersion.Status.RETIRED:
        was = version.status
        version.status = m.GuideVersion.Status.RETIRED
        version.retired_at = timezone.now()
        version.save(update_fields=["status", "retired_at"])
        audit_record(
            actor=actor,
            action="guide_retire",
            target_type="guide_version",
            target_id=version.pk,
            from_state=was,
            to_state=version.status,
            data={"label": version.label, "revision": version.revision},
        )
    return version
