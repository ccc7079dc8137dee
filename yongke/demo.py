"""The demo data that `make run` shows. Idempotent: running it twice changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from yongke.guide.services import guide_load

DEMO_PASSWORD = "yongke-demo"


@transaction.atomic
def demo_load() -> dict[str, Any]:
    version, created = guide_load()
    User = get_user_model()
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser(username="admin", email="admin@example.org", password=DEMO_PASSWORD)
    return {
        "guide": {"version": version.label, "revision": version.revision, "created": created},
        "logins": [{"role": "系统管理员 / system admin", "username": "admin", "password": DEMO_PASSWORD, "url": "/admin/"}],
    }
