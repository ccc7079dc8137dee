"""guide 0002: a version's content moves to its own row, copied whole (a database migrated with
versions loaded keeps every one compilable, with the same rules)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from yongke.guide.loader import load_guide

BEFORE = [("guide", "0001_initial")]
AFTER = [("guide", "0002_version_content")]


@pytest.mark.django_db(transaction=True)
def test_the_content_of_every_stored_version_is_copied_to_its_own_row():
    guide = load_guide(check_cases=False)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        version_model = old.get_model("guide", "GuideVersion")
        v1 = version_model.objects.create(label="2025", revision=1, title=guide.title, digest="a" * 64, spec=guide.raw, text=guide.text)
        v2 = version_model.objects.create(label="2026", revision=1, title="另一版", digest="b" * 64, spec={"version": "2026"}, text="原文")

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        content_model = new.get_model("guide", "GuideVersionContent")
        rows = {c.version_id: c for c in content_model.objects.all()}
        assert set(rows) == {v1.pk, v2.pk}
        assert rows[v1.pk].spec == guide.raw
        assert rows[v1.pk].text == guide.text
        assert (rows[v2.pk].spec, rows[v2.pk].text) == ({"version": "2026"}, "原文")
        assert not {"spec", "text"} & {f.name for f in new.get_model("guide", "GuideVersion")._meta.get_fields()}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
