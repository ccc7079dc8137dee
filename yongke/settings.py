"""One settings module, read from the environment, working with no configuration at all.

Embedded default: SQLite under var/ and a generated development secret.
Production: DATABASE_URL (PostgreSQL), YONGKE_SECRET_KEY, YONGKE_ALLOWED_HOSTS, YONGKE_DEBUG=0.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

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
    "yongke.review",
    "yongke.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;", "transaction_mode": "IMMEDIATE"}
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
# django.tasks defines the task interface; Django ships no worker, so the portal's thread
# backend runs jobs in the web process (progress lives in a portal Job row, polled by htmx).
# A deployment with a worker swaps "default" for a queue backend without code changes.
TASKS = {
    "default": {"BACKEND": "yongke.portal.jobs.ThreadBackend"},
    "immediate": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
}
YONGKE_JOB_BACKEND = os.environ.get("YONGKE_JOB_BACKEND", "default")
