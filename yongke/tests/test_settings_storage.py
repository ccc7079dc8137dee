"""Where uploaded files go: local disk by default, an S3 bucket when YONGKE_S3_BUCKET is set.

Settings are read once per process, so each case imports them in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, sys
{prelude}
import django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
storage = storages["default"]
print(json.dumps({{
    "config": settings.STORAGES["default"],
    "class": f"{{type(storage).__module__}}.{{type(storage).__qualname__}}",
    "attrs": {{k: getattr(storage, k, None) for k in ("bucket_name", "location", "endpoint_url", "region_name", "file_overwrite")}},
}}, default=str))
"""


def _settings_in_subprocess(tmp_path, env: dict[str, str], prelude: str = "") -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("YONGKE_S3_")}
    clean |= {"DJANGO_SETTINGS_MODULE": "yongke.settings", "YONGKE_VAR_DIR": str(tmp_path), "YONGKE_SECRET_KEY": "test"}
    clean |= env
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(prelude=prelude)], env=clean, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def test_files_stay_on_local_disk_without_a_bucket(tmp_path):
    run = _settings_in_subprocess(tmp_path, {})
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["config"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert out["class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert out["attrs"]["location"] == str(tmp_path / "media")


def test_bucket_in_the_environment_selects_s3_with_its_options(tmp_path):
    env = {
        "YONGKE_S3_BUCKET": "yongke-files",
        "YONGKE_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "YONGKE_S3_REGION": "cn-south-1",
        "YONGKE_S3_PREFIX": "/attachments/",
    }
    run = _settings_in_subprocess(tmp_path, env)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["config"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "yongke-files",
            "endpoint_url": "http://127.0.0.1:9000",
            "region_name": "cn-south-1",
            "location": "attachments",
            "file_overwrite": False,
        },
    }
    assert out["class"] == "storages.backends.s3.S3Storage"
    assert out["attrs"] == {
        "bucket_name": "yongke-files",
        "location": "attachments",
        "endpoint_url": "http://127.0.0.1:9000",
        "region_name": "cn-south-1",
        "file_overwrite": False,
    }


def test_bucket_without_the_s3_extra_is_refused_with_the_install_hint(tmp_path):
    run = _settings_in_subprocess(tmp_path, {"YONGKE_S3_BUCKET": "yongke-files"}, prelude="sys.modules['boto3'] = None")
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr
    assert "pip install 'yongke[s3]'" in run.stderr
