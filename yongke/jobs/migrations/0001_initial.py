"""The Job model moves here from the portal. Its table (`portal_job`) stays as it is: this
migration only tells Django's state that the model is now `jobs.Job`, and renames the
model's content type so its permissions follow it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    old = ContentType.objects.filter(app_label="portal", model="job").first()
    if old is not None and not ContentType.objects.filter(app_label="jobs", model="job").exists():
        old.app_label = "jobs"
        old.save(update_fields=["app_label"])


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    new = ContentType.objects.filter(app_label="jobs", model="job").first()
    if new is not None and not ContentType.objects.filter(app_label="portal", model="job").exists():
        new.app_label = "portal"
        new.save(update_fields=["app_label"])


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0002_alter_job_kind"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Job",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("org_import", "单位批量导入"), ("review_round", "评审专家分配"), ("registry_screen", "免申即享筛查")],
                                                  max_length=32, verbose_name="类型")),
                        ("status", models.CharField(choices=[("queued", "排队中"), ("running", "进行中"), ("done", "已完成"), ("failed", "失败")],
                                                    default="queued", max_length=16, verbose_name="状态")),
                        ("params", models.JSONField(blank=True, default=dict, verbose_name="参数")),
                        ("total", models.PositiveIntegerField(default=0, verbose_name="总数")),
                        ("done", models.PositiveIntegerField(default=0, verbose_name="已处理")),
                        ("message", models.CharField(blank=True, max_length=300, verbose_name="当前进度说明")),
                        ("result", models.JSONField(blank=True, default=dict, verbose_name="结果")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("created_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "后台任务",
                        "verbose_name_plural": "后台任务",
                        "db_table": "portal_job",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
