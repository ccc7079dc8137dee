"""A version's content (the guide's mapping and its verbatim text) moves to a row of its own, so
that no read of applications, calls or projects joined to their version carries it."""

import django.db.models.deletion
from django.db import migrations, models


def copy_content(apps, schema_editor):
    version_model = apps.get_model("guide", "GuideVersion")
    content_model = apps.get_model("guide", "GuideVersionContent")
    for version in version_model.objects.order_by("pk").iterator(chunk_size=10):
        content_model.objects.create(version_id=version.pk, spec=version.spec, text=version.text)


def copy_back(apps, schema_editor):
    version_model = apps.get_model("guide", "GuideVersion")
    content_model = apps.get_model("guide", "GuideVersionContent")
    for content in content_model.objects.order_by("pk").iterator(chunk_size=10):
        version_model.objects.filter(pk=content.version_id).update(spec=content.spec, text=content.text)


class Migration(migrations.Migration):
    dependencies = [
        ("guide", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="GuideVersionContent",
            fields=[
                (
                    "version",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="content",
                        serialize=False,
                        to="guide.guideversion",
                        verbose_name="指南版本",
                    ),
                ),
                ("spec", models.JSONField(verbose_name="指南数据")),
                ("text", models.TextField(verbose_name="指南原文")),
            ],
            options={
                "verbose_name": "指南版本内容",
                "verbose_name_plural": "指南版本内容",
            },
        ),
        migrations.RunPython(copy_content, copy_back),
        migrations.RemoveField(
            model_name="guideversion",
            name="spec",
        ),
        migrations.RemoveField(
            model_name="guideversion",
            name="text",
        ),
    ]
