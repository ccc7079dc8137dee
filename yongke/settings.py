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
from urllib.parse import urlsplit

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
# Earlier secret keys, still accepted for signed values (sessions, reset links) after a rotation.
SECRET_KEY_FALLBACKS = [k for k in os.environ.get("YONGKE_SECRET_KEY_FALLBACKS", "").split(",") if k]
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
    "django_tasks_db",  # the task queue in the database (yongke.jobs.worker runs it)
    "crontask",  # the periodic jobs' scheduler (yongke.jobs.periodic)
    # [accounts] apps
    "axes",  # sign-in lockout (yongke/accounts/lockout.py)
    # [mfa] apps
    "django_otp",  # the second factor (yongke/accounts/mfa.py)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes
    "django_otp_webauthn",  # passkeys beside the authenticator (yongke/accounts/passkeys.py)
]

CSRF_FAILURE_VIEW = "yongke.portal.views.errors.csrf_failure"  # our 403 page, in the reader's language

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # [hardening] middleware (first)
    "django.middleware.csp.ContentSecurityPolicyMiddleware",  # SECURE_CSP below
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # [audit] middleware
    "yongke.audit.middleware.AuditAddressMiddleware",  # the client address every audit entry of the request records
    # [duties] middleware
    "yongke.core.arrival.ArrivalMiddleware",  # the request's arrival: deadlines are judged at it
    # [mfa] middleware
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "yongke.accounts.middleware.SecondFactorMiddleware",  # signed in but unverified: to the verify or enrolment page
    # [hardening] middleware (after authentication)
    "yongke.accounts.session.SessionTimeoutMiddleware",  # idle and absolute session limits; no-store on private responses
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # [accounts] middleware (last)
    "axes.middleware.AxesMiddleware",  # turns a lockout into our 429 page or JSON
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
elif DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Server-side binding with prepared statements: a query a connection has run 5 times is
    # planned once (a list page's join planned in 0.3 ms on every request before). Turn both off
    # with `?server_side_binding=false` on DATABASE_URL behind a pooler in transaction mode that
    # cannot keep prepared statements (PgBouncer before 1.21; docs/deployment.md).
    # The URL's query gives strings ("false", "20"): Django and psycopg want a bool and an int.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _binding = str(_options.get("server_side_binding", "true")).strip().lower()
    if _binding not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise ImproperlyConfigured(f"DATABASE_URL server_side_binding={_binding!r}: true or false")
    _options["server_side_binding"] = _binding in ("true", "1", "yes", "on")
    _threshold = str(_options.get("prepare_threshold", "5")).strip()
    if _threshold.lower() in ("none", ""):
        _options["prepare_threshold"] = None  # psycopg: never prepare
    elif _threshold.isdigit():
        _options["prepare_threshold"] = int(_threshold)
    else:
        raise ImproperlyConfigured(f"DATABASE_URL prepare_threshold={_threshold!r}: a whole number or none")

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
# django.tasks defines the task interface; django-tasks-db keeps the queue in the database
# (SQLite on one machine, PostgreSQL shared by workers on several), and `yongke worker` runs it
# (progress lives in a Job row, polled by htmx). "immediate" runs a task in the request (tests).
TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend"},
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
# The reverse proxies whose X-Forwarded-For names the client (addresses or CIDR networks,
# comma-separated); the audit log records REMOTE_ADDR otherwise.
YONGKE_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("YONGKE_TRUSTED_PROXIES", "").split(",") if p.strip()]
# A trusted proxy's X-Request-Start is the request's arrival (core/arrival.py) if at most this old.
YONGKE_REQUEST_START_MAX_SECONDS = int(os.environ.get("YONGKE_REQUEST_START_MAX_SECONDS", "300"))

# Accounts: passwords, lockout, tokens, registration -------------------------------------
# [accounts] settings
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: a locked-out account or address is refused before its password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("YONGKE_LOGIN_FAILURES", "5"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks: one account, or one address
AXES_COOLOFF_TIME = "yongke.accounts.lockout.cool_off"  # 15 minutes, doubling per lockout in 24 hours
AXES_USERNAME_CALLABLE = "yongke.accounts.lockout.username_of"
AXES_LOCKOUT_CALLABLE = "yongke.accounts.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the lockouts of the last day set the next cool-off
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False  # a success of one's own account must not clear the failures against another
AXES_DISABLE_ACCESS_LOG = True  # our audit log records sign-ins that matter
AXES_VERBOSE = False
YONGKE_LOCKOUT_MINUTES = int(os.environ.get("YONGKE_LOCKOUT_MINUTES", "15"))
# API tokens: valid this many days, at most this many active per user.
YONGKE_TOKEN_DAYS = int(os.environ.get("YONGKE_TOKEN_DAYS", "90"))
YONGKE_TOKENS_PER_USER = int(os.environ.get("YONGKE_TOKENS_PER_USER", "5"))
# Self-registration: at most this many per address per hour.
YONGKE_REGISTRATIONS_PER_HOUR = int(os.environ.get("YONGKE_REGISTRATIONS_PER_HOUR", "5"))
YONGKE_LICENCE_MAX_BYTES = int(os.environ.get("YONGKE_LICENCE_MAX_BYTES", str(10 * 1024 * 1024)))
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for one day

# Second factor --------------------------------------------------------------------------
# [mfa] settings
# The roles that must use a second factor (TOTP) in the portal and for API tokens; the others may.
YONGKE_MFA_ROLES = ["officer", "finance", "auditor", "sysadmin", "security", "expert"]
# 0 turns the obligation off (the embedded demo, `make run`); enrolled users still verify.
YONGKE_MFA_REQUIRED = os.environ.get("YONGKE_MFA_REQUIRED", "1") not in ("0", "false", "False", "")
# Money actions and role changes ask for the password again after this many minutes; 0: never.
YONGKE_REAUTH_MINUTES = int(os.environ.get("YONGKE_REAUTH_MINUTES", "10"))
YONGKE_MFA_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = "邕科 Yongke"


# Passkeys (WebAuthn, django-otp-webauthn) beside the authenticator app (docs/mfa.md). A passkey
# belongs to a domain (the relying party) and a browser offers it only on an origin listed here.
# YONGKE_WEBAUTHN_ORIGINS: comma-separated (https://kj.example.gov.cn); default: YONGKE_SITE_URL
# when it is https, else http://localhost on its port (browsers take passkeys only on https or on
# localhost, never on an address such as 127.0.0.1). YONGKE_WEBAUTHN_RP_ID: the domain, by default
# the first origin's host. Changing the domain makes every registered passkey unusable.
def _webauthn_origins() -> list[str]:
    listed = [o.strip().rstrip("/") for o in os.environ.get("YONGKE_WEBAUTHN_ORIGINS", "").split(",") if o.strip()]
    if listed:
        return listed
    site = urlsplit(YONGKE_SITE_URL)
    if site.scheme == "https" and site.hostname:
        return [f"https://{site.netloc}"]
    return [f"http://localhost:{site.port}" if site.port else "http://localhost"]


OTP_WEBAUTHN_ALLOWED_ORIGINS = _webauthn_origins()
OTP_WEBAUTHN_RP_ID = os.environ.get("YONGKE_WEBAUTHN_RP_ID") or urlsplit(OTP_WEBAUTHN_ALLOWED_ORIGINS[0]).hostname or "localhost"
OTP_WEBAUTHN_RP_NAME = "邕科 Yongke"
# A passkey is a second factor only: the password (with its lockout and audit) always comes first.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "yongke.passkeys"

# Production hardening: sessions, cookies, transport, CSP, the field key -----------------
# [hardening] settings
# docs/security.md. Production (YONGKE_DEBUG=0) is secure by default; each value can be set
# from the environment. `yongke manage check --deploy` prints no issues with these defaults.


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip()
    return default if not value else value == "1"


def _field_keys() -> list[str]:
    from yongke.core.crypto import generate_key, parse_keys

    text = os.environ.get("YONGKE_FIELD_KEY", "").strip()
    if not text:
        if not DEBUG:
            raise ImproperlyConfigured(
                "YONGKE_DEBUG=0 时必须设置字段加密密钥 YONGKE_FIELD_KEY / YONGKE_FIELD_KEY (Fernet keys, comma-separated) "
                'is required in production: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            )
        path = VAR_DIR / "field_key"
        try:
            text = path.read_text().strip()
        except FileNotFoundError:
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            text = generate_key()
            path.write_text(text)
            path.chmod(0o600)
    try:
        return parse_keys(text)
    except ValueError as e:
        raise ImproperlyConfigured(str(e)) from None


# Field encryption (yongke/core/crypto.py): the first key encrypts, every key decrypts.
YONGKE_FIELD_KEYS = _field_keys()

# Sessions: signed out after this many idle minutes (staff roles; applicants and unit admins
# longer), and at the latest SESSION_COOKIE_AGE after signing in, however active.
YONGKE_SESSION_IDLE_MINUTES = int(os.environ.get("YONGKE_SESSION_IDLE_MINUTES", "30"))
YONGKE_SESSION_IDLE_MINUTES_APPLICANT = int(os.environ.get("YONGKE_SESSION_IDLE_MINUTES_APPLICANT", "120"))
SESSION_COOKIE_AGE = int(float(os.environ.get("YONGKE_SESSION_MAX_HOURS", "12")) * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _flag("YONGKE_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Transport: HTTPS only in production. Behind a proxy that ends TLS, name the header it sets
# (YONGKE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO): only if the proxy always sets or strips it.
SECURE_SSL_REDIRECT = _flag("YONGKE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("YONGKE_HSTS_SECONDS") or (0 if DEBUG else 365 * 24 * 3600))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("YONGKE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = _flag("YONGKE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is the domain owner's commitment, made at hstspreload.org, and hard to undo:
    # off unless YONGKE_HSTS_PRELOAD=1, so check --deploy's reminder of it is not shown.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
if os.environ.get("YONGKE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["YONGKE_PROXY_SSL_HEADER"], "https")
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("YONGKE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (Django's ContentSecurityPolicyMiddleware), in development too so
# the browser tests see it: no inline script, no inline <style> element; style="" attributes
# (used by many templates) stay allowed through style-src-attr only.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-elem": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

# Separation of duties, programme scope, the request's arrival time ---------------------
# [duties] settings

# Background work: the queue, the worker, the scheduler ----------------------------------
# [worker] settings
# A worker writes its heartbeat every YONGKE_WORKER_HEARTBEAT seconds; a task whose worker has
# not been heard of for YONGKE_WORKER_STALE_AFTER seconds (or whose process on this machine is
# gone) is marked failed, with its Job row, and its temporary files are removed.
YONGKE_WORKER_HEARTBEAT = float(os.environ.get("YONGKE_WORKER_HEARTBEAT", "15"))
YONGKE_WORKER_STALE_AFTER = float(os.environ.get("YONGKE_WORKER_STALE_AFTER", "120"))
# Seconds to wait before each retry of a failed notification delivery (then it stays failed).
YONGKE_NOTIFY_RETRY_DELAYS = [int(s) for s in os.environ.get("YONGKE_NOTIFY_RETRY_DELAYS", "30,120,600,3600").split(",") if s.strip()]
# The periodic jobs (`yongke scheduler`): crontab lines in Beijing time, literal weekdays;
# an empty value switches a job off. Each calls one service as System("scheduler").
YONGKE_SCHEDULE = {
    name: os.environ.get(f"YONGKE_SCHEDULE_{name.upper()}", default)
    for name, default in {
        "workers_reap": "* * * * *",
        "notify_deadlines": "0 8 * * *",
        "review_remind": "0 9 * * *",
        "project_remind": "10 8 * * *",
        "project_expire": "20 0 * * *",
        "project_report_remind": "30 8 * * *",
        "project_overdue_scan": "40 0 * * *",
    }.items()
}
