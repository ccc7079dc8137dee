"""Reads of the guide. The guide is public: anyone may read a published version."""

from __future__ import annotations

from django.db.models import QuerySet

from yongke.core.errors import NotFound
from yongke.guide import models as m
from yongke.guide.engine import CompiledGuide
from yongke.guide.loader import parse_guide
from yongke.guide.model import Guide


def guide_versions_visible_to(user=None) -> QuerySet[m.GuideVersion]:
    """Published and retired versions are public; drafts only to staff."""
    qs = m.GuideVersion.objects.all()
    if not _sees_drafts(user):
        qs = qs.exclude(status=m.GuideVersion.Status.DRAFT)
    return qs


def _sees_drafts(user) -> bool:
    return user is not None and bool(getattr(user, "is_staff", False))


def guide_version_visible(user, status: str) -> bool:
    """Whether `user` may read a version in this status (the rule of guide_versions_visible_to),
    for a version whose status a list has already read."""
    return status != m.GuideVersion.Status.DRAFT or _sees_drafts(user)


def guide_version_current(label: str | None = None) -> m.GuideVersion:
    """The newest published version (of a label, when given); its content (its own row) is read
    by `compiled_for`, once per process."""
    qs = m.GuideVersion.objects.filter(status=m.GuideVersion.Status.PUBLISHED)
    if label:
        qs = qs.filter(label=label)
    version = qs.order_by("-label", "-revision").first()
    if version is None:
        raise NotFound("尚未发布指南，请先运行 yongke guide load / no published guide", code="no_guide", detail={"version": label})
    return version


_compiled: dict[str, CompiledGuide] = {}


def compiled_for(version: m.GuideVersion) -> CompiledGuide:
    """The compiled rules of exactly this stored version, compiled once per process.

    A stored version never changes and its digest is unique, so the digest keys the cache.
    """
    compiled = _compiled.get(version.digest)
    if compiled is None:
        content = m.GuideVersionContent.objects.get(version_id=version.pk)
        compiled = _compiled[version.digest] = CompiledGuide(parse_guide(content.spec, text=content.text, check_cases=False))
    return compiled


def guide_for(version: m.GuideVersion) -> Guide:
    return compiled_for(version).guide


def directions_of(version: m.GuideVersion) -> QuerySet[m.Direction]:
    return m.Direction.objects.filter(version=version).select_related("project", "project__programme")
