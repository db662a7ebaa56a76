"""Settings for cadre_exit, driven by environment variables.

Every value has a safe embedded default for a local run (SQLite under ``var/``, a
file-system Celery broker, console e-mail); production sets the variables listed in
README.md. The typed helpers fail loudly on a malformed value.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CADRE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-cadre-exit"  # noqa: S105

DEBUG = env_bool("DEBUG", True)
DEMO_MODE = env_bool("DEMO_MODE", DEBUG)
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development default while DEBUG is off: set SECRET_KEY."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "cases",  # first, so its templates and commands (flush) take precedence
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "cases.security.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "cases.security.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cases.security.middleware.TOTPRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Security headers: a CSP with no inline script, no framing, a strict referrer policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

ROOT_URLCONF = "cadre_exit.urls"
WSGI_APPLICATION = "cadre_exit.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, default a SQLite file under var/.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cadre_exit.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the Celery worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["cases.security.backends.LockoutModelBackend"]
LOCKOUT_MAX_FAILURES_PER_USER = env_int("LOCKOUT_MAX_FAILURES_PER_USER", 5)
LOCKOUT_MAX_FAILURES_PER_ADDRESS = env_int("LOCKOUT_MAX_FAILURES_PER_ADDRESS", 20)
LOCKOUT_WINDOW_SECONDS = env_int("LOCKOUT_WINDOW_SECONDS", 15 * 60)
LOCKOUT_SECONDS = env_int("LOCKOUT_SECONDS", 30 * 60)
# Authorities and auditors must use a second factor; on by default outside demo mode.
REQUIRE_TOTP = env_bool("REQUIRE_TOTP", not DEMO_MODE)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: Vietnamese first, English second; Vietnam's time zone.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "cases" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["cadre_exit.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {
        # Uploaded and generated documents live outside every served URL; they are
        # only ever streamed by the permission-checked download views.
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private"), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": env_str(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        ),
    },
}
MEDIA_ROOT = VAR_DIR / "private"
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
# Historic case imports (CSV): 100,000 rows take about 15 MB.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 64 * 1024 * 1024)

# Cache: Redis when configured (shared by every process), local memory otherwise.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions are read on every request: from Redis when there is one (written through to the
# database), saving a query per page. Not from local memory: a sign-out in one process
# would not reach another process's copy.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

# Celery: Redis when REDIS_URL is set, otherwise a file-system transport under var/.
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # A task whose worker died unacknowledged goes back to the queue after this many
        # seconds; workers look for such tasks every interval × throttle seconds.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
        "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
        # Publishing gives up at once when Redis is unreachable, so a user's action never
        # waits on it (what was not queued, the deadline sweep queues again); workers
        # reconnect with their own policy (CELERY_BROKER_CONNECTION_MAX_RETRIES).
        "socket_connect_timeout": 2,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
        # Lets several deployments (or test runs) share one Redis database.
        "global_keyprefix": env_str("CELERY_REDIS_KEY_PREFIX", ""),
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "cases.tasks.worker_heartbeat", "schedule": 60},
    "verify-audit-chains": {
        "task": "cases.tasks.verify_audit_chains",
        "schedule": crontab(hour=2, minute=30),
    },
    "deadline-sweep": {
        "task": "cases.tasks.sweep_deadlines",
        "schedule": env_int("DEADLINE_SWEEP_SECONDS", 300),
    },
    "deadline-sweep-morning": {
        "task": "cases.tasks.sweep_deadlines",
        "schedule": crontab(hour=7, minute=0),
    },
}

# E-mail: console locally, SMTP from the environment.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # the file backend's folder
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
ADMINS = [("admin", a) for a in env_list("ADMINS", [])]
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cadre-exit@localhost")

# Deadline reminders: working days before the due date, and escalation threshold.
REMINDER_DAYS_BEFORE = [int(x) for x in env_list("REMINDER_DAYS_BEFORE", ["3", "1"])]
ESCALATE_AFTER_OVERDUE_DAYS = env_int("ESCALATE_AFTER_OVERDUE_DAYS", 3)
# Reminders of the day go out from this local hour on (the 07:00 sweep), not at midnight.
REMINDER_SEND_FROM_HOUR = env_int("REMINDER_SEND_FROM_HOUR", 7)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "cases.api.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cadre_exit API",
    "DESCRIPTION": "Leave-of-office cases under Regulations 260-QĐ/TW, 41-QĐ/TW and 377-QĐ/TW.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One named component per choice set, shared wherever the set appears.
    "ENUM_NAME_OVERRIDES": {
        "AuthorityScopeEnum": "cases.models.choices.AuthorityScope",
        "FormEnum": "cases.models.choices.Form",
        "DocumentKindEnum": "cases.models.choices.DocumentKind",
        "AttachableDocumentKindEnum": "cases.api.serializers.cases.ATTACHABLE_KINDS",
        "StepKindEnum": "cases.models.choices.StepKind",
        "UnitKindEnum": "cases.models.choices.UnitKind",
        "CaseStatusEnum": "cases.models.choices.CaseStatus",
        "StepStatusEnum": "cases.models.choices.StepStatus",
        "ActionNameEnum": "cases.api.serializers.cases.ACTION_NAMES",
        "ActionFieldTypeEnum": "cases.api.serializers.cases.ACTION_FIELD_KINDS",
        "FactKindEnum": "cases.models.facts.FactKind",
    },
}

DEMO_PASSWORD = env_str("DEMO_PASSWORD", "cadre-demo")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).strip() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


# TL-377-4..6: the waits after discipline are counted from the disciplinary decision's
# date by default; REGULATIONS.md §11 leaves the anchor open ("decision" or "effective").
REAPPOINTMENT_WAIT_ANCHOR = env_choice(
    "REAPPOINTMENT_WAIT_ANCHOR", "decision", ("decision", "effective")
)
# R377-T-1b: the assessment reference date for "less than a year in the post":
# "year_end" (the last day of the year before the filing) or "filing" (the filing date).
R377_T1_REFERENCE = env_choice("R377_T1_REFERENCE", "year_end", ("year_end", "filing"))
# NQ96-DEF-1: which ballots a poll's share is counted against ("issued" or "valid").
CONFIDENCE_POLL_DENOMINATOR = env_choice(
    "CONFIDENCE_POLL_DENOMINATOR", "issued", ("issued", "valid")
)

# Structured logs: one line of key=value pairs, with the request id and user id only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "cases.security.middleware.RequestContextFilter"}},
    "formatters": {
        "structured": {
            "format": "time=%(asctime)s level=%(levelname)s logger=%(name)s "
            "request_id=%(request_id)s user_id=%(user_id)s msg=%(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "structured",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
