"""One settings module, read from the environment, working with no configuration at all.

Embedded default: SQLite under var/ and a generated development secret.
Production: DATABASE_URL (PostgreSQL), YONGKE_SECRET_KEY, YONGKE_ALLOWED_HOSTS, YONGKE_DEBUG=0;
uploads in S3 with YONGKE_S3_BUCKET (and YONGKE_S3_ENDPOINT_URL, YONGKE_S3_REGION, YONGKE_S3_PREFIX).
email over SMTP with YONGKE_EMAIL_HOST (and YONGKE_EMAIL_PORT, _USER, _PASSWORD, _TLS, _SSL, _FROM); SMS with YONGKE_SMS_BACKEND.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
_ROOT = PACKAGE_DIR.parent
# A checkout keeps its data beside the code; an installed package keeps it in the working directory.
VAR_DIR = Path(os.environ.get("YONGKE_VAR_DIR") or (_ROOT / "var" if (_ROOT / "pyproject.toml").exists() else Path.cwd() / "var"))


def _secret_key() -> str:
    key = os.environ.get("YONGKE_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("YONGKE_DEBUG", "1") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("YONGKE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "yongke.guide",
    "yongke.audit",
    "yongke.orgs",
    "yongke.accounts",
    "yongke.applications",
    "yongke.awards",
    "yongke.review",
    "yongke.jobs",
    "yongke.notifications",
    "yongke.publicity",
    "yongke.projects",
    "yongke.portal",
    # [worker] apps
    # [accounts] apps
    # [mfa] apps
]

CSRF_FAILURE_VIEW = "yongke.portal.views.errors.csrf_failure"  # our 403 page, in the reader's language

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # [hardening] middleware (first)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # [audit] middleware
    # [mfa] middleware
    # [hardening] middleware (after authentication)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # [accounts] middleware (last)
]

ROOT_URLCONF = "yongke.urls"
WSGI_APPLICATION = "yongke.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'yongke.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_db, conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        return False


# Uploaded files (attachments): on the local disk under var/media by default; in an S3 (or
# S3-compatible: MinIO, OSS, COS) bucket when YONGKE_S3_BUCKET is set. boto3 reads
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or an instance role) itself, so no key passes
# through the settings. Needs the `s3` extra: pip install 'yongke[s3]'.
_S3_BUCKET = os.environ.get("YONGKE_S3_BUCKET", "")
if _S3_BUCKET:
    if not (_installed("storages") and _installed("boto3")):
        raise ImproperlyConfigured("YONGKE_S3_BUCKET 已设置，但未安装 S3 存储 / YONGKE_S3_BUCKET is set: pip install 'yongke[s3]'")
    _default_storage: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _S3_BUCKET,
            "endpoint_url": os.environ.get("YONGKE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("YONGKE_S3_REGION") or None,
            "location": os.environ.get("YONGKE_S3_PREFIX", "").strip("/"),
            # Like FileSystemStorage: a second upload under the same name gets a new name
            # instead of silently replacing an applicant's earlier file.
            "file_overwrite": False,
        },
    }
else:
    # No fixed location: the storage follows MEDIA_ROOT, also when a test overrides it.
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("YONGKE_LOG_LEVEL", "WARNING")},
}

# Portal ---------------------------------------------------------------------------------
# Appended by the portal (yongke/portal, docs/portal.md). Sign-in pages, translations and
# the background-job backend; nothing above is changed.
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:guide_index"
# Chinese is the source language of every template; the English catalogue ships as .po and .mo.
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# django.tasks defines the task interface; Django ships no worker, so the jobs app's thread
# backend runs jobs in the web process (progress lives in a Job row, polled by htmx).
# A deployment with a worker swaps "default" for a queue backend without code changes.
TASKS = {
    "default": {"BACKEND": "yongke.jobs.tasks.ThreadBackend"},
    "immediate": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
}
YONGKE_JOB_BACKEND = os.environ.get("YONGKE_JOB_BACKEND", "default")

# 公示: whom the public contacts with an objection, unless a call names its own contact
# (the officer's 公示 page). Objections are also lodged online on the public 公示 page.
YONGKE_PUBLICITY_CONTACT = os.environ.get("YONGKE_PUBLICITY_CONTACT", "南宁市科学技术局")

# Notifications --------------------------------------------------------------------------
# Appended by the notifications app (yongke/notifications): which task backend delivers, where
# email and text messages go. Nothing above is changed but the app's line in INSTALLED_APPS.
# A TASKS alias; empty: the jobs' backend (YONGKE_JOB_BACKEND). Delivery never runs in the request.
YONGKE_NOTIFY_BACKEND = os.environ.get("YONGKE_NOTIFY_BACKEND", "")
# Applicants are reminded of a call this many days before it closes (`yongke notify deadlines`).
YONGKE_DEADLINE_DAYS = int(os.environ.get("YONGKE_DEADLINE_DAYS", "3"))
# Where the links in an email point.
YONGKE_SITE_URL = os.environ.get("YONGKE_SITE_URL", "http://127.0.0.1:8000")
# Email goes to the console unless an SMTP server is named (Django's MAILERS); the password
# comes from the environment only.
DEFAULT_FROM_EMAIL = os.environ.get("YONGKE_EMAIL_FROM", "邕科 Yongke <noreply@yongke.localhost>")
if os.environ.get("YONGKE_EMAIL_HOST"):
    _ssl = os.environ.get("YONGKE_EMAIL_SSL", "0") == "1"  # implicit TLS (port 465); else STARTTLS unless YONGKE_EMAIL_TLS=0
    MAILERS: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["YONGKE_EMAIL_HOST"],
                "port": int(os.environ.get("YONGKE_EMAIL_PORT", "465" if _ssl else "587")),
                "username": os.environ.get("YONGKE_EMAIL_USER", ""),
                "password": os.environ.get("YONGKE_EMAIL_PASSWORD", ""),
                "use_ssl": _ssl,
                "use_tls": not _ssl and os.environ.get("YONGKE_EMAIL_TLS", "1") == "1",
                "timeout": 30,
            },
        }
    }
else:
    # On standard error: a `yongke` command's standard output is its JSON.
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend", "OPTIONS": {"stream": sys.stderr}}}
# Text messages: a dotted path, like a mailer's BACKEND (yongke.notifications.sms: ConsoleBackend,
# LocmemBackend); a real gateway is a class with send_messages() named here.
YONGKE_SMS_BACKEND = os.environ.get("YONGKE_SMS_BACKEND", "yongke.notifications.sms.ConsoleBackend")

# Review ---------------------------------------------------------------------------------
# Appended by the review (yongke/review/conf.py): the assignment's defaults, each overridden by
# the round's own parameter. A pair whose affinity is at or below the floor is never assigned;
# fair mode searches this many seconds at most, then returns its best assignment with the gap.
YONGKE_REVIEW_AFFINITY_FLOOR = float(os.environ.get("YONGKE_REVIEW_AFFINITY_FLOOR", "0"))
YONGKE_REVIEW_FAIR_TIME_LIMIT = float(os.environ.get("YONGKE_REVIEW_FAIR_TIME_LIMIT", "30"))

# Audit ----------------------------------------------------------------------------------
# [audit] settings

# Accounts: passwords, lockout, tokens, registration -------------------------------------
# [accounts] settings

# Second factor --------------------------------------------------------------------------
# [mfa] settings

# Production hardening: sessions, cookies, transport, CSP, the field key -----------------
# [hardening] settings

# Background work: the queue, the worker, the scheduler ----------------------------------
# [worker] settings
