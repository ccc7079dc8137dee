"""The Job model moved to the jobs app (yongke/jobs). Its table stays: state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0002_alter_job_kind"),
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Job")],
            database_operations=[],
        ),
    ]
