"""Where email and text messages go: the console by default, an SMTP server named in the
environment, a gateway named by a dotted path. Settings are read once per process, so each
case reads them in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.core.mail import mailers
from yongke.notifications import sms
m = mailers.default
print(json.dumps({
    "mailer": f"{type(m).__module__}.{type(m).__qualname__}",
    "smtp": {k: getattr(m, k, None) for k in ("host", "port", "username", "password", "use_tls", "use_ssl", "timeout")},
    "from": settings.DEFAULT_FROM_EMAIL,
    "sms": type(sms.get_backend()).__qualname__,
    "days": settings.YONGKE_DEADLINE_DAYS,
    "notify_backend": settings.YONGKE_NOTIFY_BACKEND,
}))
"""


def _probe(tmp_path, env: dict[str, str]) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("YONGKE_EMAIL_", "YONGKE_SMS_", "YONGKE_DEADLINE", "YONGKE_NOTIFY"))}
    clean |= {"DJANGO_SETTINGS_MODULE": "yongke.settings", "YONGKE_VAR_DIR": str(tmp_path), "YONGKE_SECRET_KEY": "test"} | env
    run = subprocess.run([sys.executable, "-c", PROBE], env=clean, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_without_configuration_email_and_sms_go_to_the_console(tmp_path):
    out = _probe(tmp_path, {})
    assert out["mailer"] == "django.core.mail.backends.console.EmailBackend"
    assert out["sms"] == "ConsoleBackend"
    assert out["days"] == 3
    assert out["notify_backend"] == ""


def test_an_smtp_server_in_the_environment_is_used_with_starttls(tmp_path):
    env = {
        "YONGKE_EMAIL_HOST": "smtp.example.cn",
        "YONGKE_EMAIL_USER": "noreply",
        "YONGKE_EMAIL_PASSWORD": "s3cret",
        "YONGKE_EMAIL_FROM": "科技局 <kjj@example.cn>",
    }
    out = _probe(tmp_path, env)
    assert out["mailer"] == "django.core.mail.backends.smtp.EmailBackend"
    assert out["smtp"] == {
        "host": "smtp.example.cn",
        "port": 587,
        "username": "noreply",
        "password": "s3cret",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 30,
    }
    assert out["from"] == "科技局 <kjj@example.cn>"


def test_implicit_tls_takes_port_465_and_no_starttls(tmp_path):
    out = _probe(tmp_path, {"YONGKE_EMAIL_HOST": "smtp.example.cn", "YONGKE_EMAIL_SSL": "1"})
    assert (out["smtp"]["port"], out["smtp"]["use_ssl"], out["smtp"]["use_tls"]) == (465, True, False)


def test_the_sms_gateway_and_the_days_are_settings(tmp_path):
    out = _probe(tmp_path, {"YONGKE_SMS_BACKEND": "yongke.notifications.sms.LocmemBackend", "YONGKE_DEADLINE_DAYS": "5"})
    assert out["sms"] == "LocmemBackend"
    assert out["days"] == 5
