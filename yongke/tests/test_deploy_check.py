"""`yongke manage check --deploy` with the production environment prints no issues, and
production refuses to start without a field key."""

from __future__ import annotations

import os
import subprocess
import sys

from cryptography.fernet import Fernet

YONGKE = [sys.executable, "-c", "from yongke.cli.main import main; main()"]


def _env(tmp_path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("YONGKE_", "DJANGO_"))}
    return (
        clean
        | {
            "YONGKE_VAR_DIR": str(tmp_path),
            "YONGKE_DEBUG": "0",
            "YONGKE_SECRET_KEY": "k3y-" + "x7Qp9zR2mW4vT8nL6yB1cF5hJ0dG3sA" * 2,
            "YONGKE_ALLOWED_HOSTS": "kjj.nanning.gov.cn",
            "YONGKE_FIELD_KEY": Fernet.generate_key().decode(),
            "YONGKE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
            "YONGKE_CSRF_TRUSTED_ORIGINS": "https://kjj.nanning.gov.cn",
            "YONGKE_EMAIL_HOST": "smtp.nanning.gov.cn",  # production sends email (mail.E001 otherwise)
        }
        | extra
    )


def _yongke(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*YONGKE, *argv], env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_finds_no_issues_in_production(tmp_path):
    run = _yongke(_env(tmp_path), "manage", "check", "--deploy")
    assert run.returncode == 0, run.stderr
    assert "System check identified no issues" in run.stdout + run.stderr, run.stdout + run.stderr
    assert "WARNING" not in run.stdout + run.stderr


def test_check_deploy_in_development_still_warns(tmp_path):
    run = _yongke(_env(tmp_path, YONGKE_DEBUG="1"), "manage", "check", "--deploy")
    assert "security.W018" in run.stdout + run.stderr  # DEBUG on


def test_production_without_a_field_key_is_refused_with_a_message(tmp_path):
    env = _env(tmp_path)
    del env["YONGKE_FIELD_KEY"]
    run = _yongke(env, "manage", "check")
    assert run.returncode != 0
    assert "YONGKE_FIELD_KEY" in run.stderr
    assert not (tmp_path / "field_key").exists()
