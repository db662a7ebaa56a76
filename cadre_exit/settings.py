"""Settings for cadre_exit, driven by environment variables.

Every value has a safe embedded default for a local run (SQLite under ``var/``, a
file-system Celery broker, console e-mail); production sets the variables listed in
docs/operations.md. The typed helpers fail loudly on a malformed value.
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


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value


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
    # Outermost: whatever fails below, an API response leaves as JSON and uncached.
    "cases.api.exceptions.ApiResponseMiddleware",
    "cases.security.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "cases.security.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cases.web.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cases.security.middleware.TOTPRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cases.web.errors.StyledErrorPagesMiddleware",
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
elif env_bool("DB_PREPARED_STATEMENTS", False):
    # psycopg binds parameters on the server and prepares a statement once a connection has
    # run it DB_PREPARE_THRESHOLD times: the engine's few statements are then planned once
    # per connection (docs/perf.md). Behind PgBouncer in transaction mode this needs
    # max_prepared_statements > 0 (PgBouncer >= 1.21); otherwise leave it off.
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": True,
        "prepare_threshold": env_int("DB_PREPARE_THRESHOLD", 2),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["cases.security.backends.LockoutModelBackend"]
# Lock-out (cases/security/lockout.py): a username locks after this many failures in the
# window, and a username from one address sooner; an address is never locked, only slowed
# (one attempt per LOCKOUT_ADDRESS_DELAY_SECONDS) past a much higher count, so nobody can
# lock an organisation out from behind its proxy or NAT.
LOCKOUT_MAX_FAILURES_PER_USER = env_int("LOCKOUT_MAX_FAILURES_PER_USER", 10)
LOCKOUT_MAX_FAILURES_PER_USER_ADDRESS = env_int("LOCKOUT_MAX_FAILURES_PER_USER_ADDRESS", 5)
LOCKOUT_SLOW_AFTER_FAILURES_PER_ADDRESS = env_int("LOCKOUT_SLOW_AFTER_FAILURES_PER_ADDRESS", 200)
LOCKOUT_ADDRESS_DELAY_SECONDS = env_int("LOCKOUT_ADDRESS_DELAY_SECONDS", 5)
LOCKOUT_WINDOW_SECONDS = env_int("LOCKOUT_WINDOW_SECONDS", 15 * 60)
LOCKOUT_SECONDS = env_int("LOCKOUT_SECONDS", 30 * 60)
# The client address: REMOTE_ADDR, or the last X-Forwarded-For hop added by one of these
# proxies (addresses or networks) when the request comes from one of them.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
# Authorities and auditors must use a second factor; on by default outside demo mode.
REQUIRE_TOTP = env_bool("REQUIRE_TOTP", not DEMO_MODE)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox"
LOGOUT_REDIRECT_URL = "login"

# Audit trail (cases/audit): events are sealed with an HMAC keyring kept outside the
# database (AUDIT_HMAC_KEYS "id:hex,id:hex", or the file, one "id hex" a line; the current
# key is AUDIT_HMAC_KEY_ID or the last listed); checkpoints of the global chain are signed
# with an Ed25519 key and appended to a file the database owner cannot rewrite.
AUDIT_KEY_DIR = Path(env_str("AUDIT_KEY_DIR", str(VAR_DIR / "keys")))
AUDIT_HMAC_KEYS = env_str("AUDIT_HMAC_KEYS", "")
AUDIT_HMAC_KEY_FILE = env_str("AUDIT_HMAC_KEY_FILE", str(AUDIT_KEY_DIR / "audit-hmac.keys"))
AUDIT_HMAC_KEY_ID = env_str("AUDIT_HMAC_KEY_ID", "")
AUDIT_CHECKPOINT_SIGNING_KEY_FILE = env_str(
    "AUDIT_CHECKPOINT_SIGNING_KEY_FILE", str(AUDIT_KEY_DIR / "audit-checkpoint-ed25519.pem")
)
AUDIT_CHECKPOINT_PUBLIC_KEY_FILE = env_str("AUDIT_CHECKPOINT_PUBLIC_KEY_FILE", "")
AUDIT_CHECKPOINT_FILE = env_str(
    "AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit" / "checkpoints.jsonl")
)
AUDIT_CHECKPOINT_SECONDS = env_int("AUDIT_CHECKPOINT_SECONDS", 3600)
# Missing key files are created on first use for a local run; production provides them.
AUDIT_AUTOGENERATE_KEYS = env_bool("AUDIT_AUTOGENERATE_KEYS", DEBUG)
# Events sealed with the plain SHA-256 of before keys: accepted at the start of a chain.
AUDIT_ACCEPT_UNKEYED = env_bool("AUDIT_ACCEPT_UNKEYED", True)
# Administrators' one-time codes for setting up an authenticator.
ENROLMENT_CODE_HOURS = env_int("ENROLMENT_CODE_HOURS", 72)

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
# The Redis cache degrades to "no cache" while Redis is down (cases/security/cache.py) and
# clears only the keys of its prefix, never the database it may share.
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "cadre")
CACHE_RETRY_SECONDS = env_int("CACHE_RETRY_SECONDS", 5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "cases.security.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions are read on every request: from Redis when there is one (written through to the
# database), saving a query per page; from the database alone while Redis is down. Not from local memory: a sign-out in one process
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
    "audit-checkpoint": {
        "task": "cases.tasks.checkpoint_audit",
        "schedule": AUDIT_CHECKPOINT_SECONDS,
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

# Digital signatures (docs/signing.md): PAdES through PKCS#11 (SoftHSM2 under var/ by
# default; a real HSM by its module path and token label), or PKCS#12 files for a small
# installation, or off. PINs come from the environment; the demo PIN only in demo mode.
DOCUMENT_SIGNING_BACKEND = env_str("CADRE_SIGNING_BACKEND", "pkcs11")
if DOCUMENT_SIGNING_BACKEND not in {"pkcs11", "pkcs12", "off"}:
    raise ImproperlyConfigured(
        f"CADRE_SIGNING_BACKEND must be pkcs11, pkcs12 or off, got {DOCUMENT_SIGNING_BACKEND!r}"
    )
SIGNING_PKCS11_MODULE = env_str("CADRE_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
SIGNING_TOKEN_LABEL = env_str("CADRE_PKCS11_TOKEN", "cadre-exit")
SIGNING_PIN = env_str("CADRE_PKCS11_PIN", "cadre-demo-pin" if DEMO_MODE else "")
SIGNING_SO_PIN = env_str("CADRE_PKCS11_SO_PIN", "cadre-demo-so-pin" if DEMO_MODE else "")
# SoftHSM2's own store (its configuration and token files); only `signing_keys token` writes it.
SIGNING_SOFTHSM_DIR = Path(env_str("CADRE_SOFTHSM_DIR", str(VAR_DIR / "softhsm")))
if "softhsm" in SIGNING_PKCS11_MODULE and not os.environ.get("SOFTHSM2_CONF"):
    os.environ["SOFTHSM2_CONF"] = str(SIGNING_SOFTHSM_DIR / "softhsm2.conf")
# The PKCS#12 fallback: one <key label>.p12 per key, outside var/, with its passphrase.
SIGNING_PKCS12_DIR = env_str("CADRE_PKCS12_DIR", "")
SIGNING_PKCS12_PASSPHRASE = env_str("CADRE_PKCS12_PASSPHRASE", "")
# Public material only: the CA certificate (the default trust root) and the published CRL.
SIGNING_PUBLIC_DIR = Path(env_str("CADRE_SIGNING_PUBLIC_DIR", str(VAR_DIR / "signing")))
SIGNING_TRUST_ROOTS = env_list("CADRE_SIGNING_TRUST_ROOTS", [str(SIGNING_PUBLIC_DIR / "ca.pem")])
SIGNING_CRL_PATH = env_str("CADRE_SIGNING_CRL", str(SIGNING_PUBLIC_DIR / "ca.crl"))
# An RFC 3161 time-stamping authority makes the signatures PAdES B-T; empty: B-B.
SIGNING_TSA_URL = env_str("CADRE_SIGNING_TSA_URL", "")
SIGNING_CERT_DAYS = env_int("CADRE_SIGNING_CERT_DAYS", 730)
# The public address printed in the QR code of each decision (the /verify/ page).
PUBLIC_BASE_URL = env_str("CADRE_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Deadline reminders: working days before the due date, and escalation threshold.
REMINDER_DAYS_BEFORE = [int(x) for x in env_list("REMINDER_DAYS_BEFORE", ["3", "1"])]
ESCALATE_AFTER_OVERDUE_DAYS = env_int("ESCALATE_AFTER_OVERDUE_DAYS", 3)
# Reminders of the day go out from this local hour on (the 07:00 sweep), not at midnight.
REMINDER_SEND_FROM_HOUR = env_int("REMINDER_SEND_FROM_HOUR", 7)
# How a time limit the regulation gives in plain "ngày" (days, without "làm việc"; the
# "CD?" unit of docs/domain.md) is counted: "calendar" days, the usual reading and
# the default, or "working" days. Limits given in working days are always working days.
UNQUALIFIED_DAYS_AS = env_choice("UNQUALIFIED_DAYS_AS", "calendar", ("calendar", "working"))
# Sign-in attempts on the API's token endpoint per address (DRF's rate syntax).
API_TOKEN_RATE = env_str("API_TOKEN_RATE", "30/minute")

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
    "DESCRIPTION": "Leave-of-office cases under Regulations 260-QĐ/TW, 41-QĐ/TW and 377-QĐ/TW. "
    "The rules of this contract are in docs/api-contract.md.",
    # A plain semantic version, bumped with the API (docs/api-contract.md).
    "VERSION": "1.1.0",
    # 3.1: nullable references are ``oneOf: [{$ref}, {type: null}]``, which 3.0.3 cannot say.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema is the same whatever the request's language (cases.api.schema).
    "DEFAULT_GENERATOR_CLASS": "cases.api.schema.EnglishSchemaGenerator",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cases.api.schema.finish_schema",
    ],
    # Separate request and response components, so uploads and read-only fields are exact.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Ids travel as 64-bit integers (cases.api.fields.MAX_ID).
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}
    },
    # One named component per choice set, shared wherever the set appears.
    "ENUM_NAME_OVERRIDES": {
        "FormEnum": "cases.models.choices.Form",
        "CaseStatusEnum": "cases.models.choices.CaseStatus",
        "CaseOutcomeEnum": "cases.models.choices.CaseOutcome",
        "StepStatusEnum": "cases.models.choices.StepStatus",
        "StepKindEnum": "cases.models.choices.StepKind",
        "ActorRoleEnum": "cases.models.choices.ActorRole",
        "ActorUnitEnum": "cases.models.choices.ActorUnit",
        "AuthorityScopeEnum": "cases.models.choices.AuthorityScope",
        "LevelEnum": "cases.models.choices.Level",
        "UnitKindEnum": "cases.models.choices.UnitKind",
        "VerificationEnum": "cases.models.choices.Verification",
        "DocumentKindEnum": "cases.models.choices.DocumentKind",
        "DayUnitEnum": "cases.models.choices.DayUnit",
        "EvidenceEnum": "cases.models.choices.Evidence",
        "ExclusionConditionEnum": "cases.models.choices.ExclusionCondition",
        "ExclusionModeEnum": "cases.models.choices.ExclusionMode",
        "HonorificEnum": "cases.models.org.Official.Honorific",
        "DecisionDocumentStatusEnum": "cases.models.case.Decision.DocumentStatus",
        "AttachableKindEnum": "cases.api.enums.ATTACHABLE_KINDS",
        "ActionNameEnum": "cases.api.enums.ACTION_NAMES",
        "FileActionEnum": "cases.api.enums.FILE_ACTIONS",
        "ActionFieldKindEnum": "cases.api.enums.ACTION_FIELD_KINDS",
        "RegimeEnum": "cases.api.enums.REGIMES",
        "StepOutcomeEnum": "cases.api.enums.STEP_OUTCOMES",
        "EventActionEnum": "cases.api.enums.EVENT_ACTIONS",
        "ErrorCodeEnum": "cases.api.enums.ERROR_CODES",
        "TrackKindEnum": "cases.models.choices.TrackKind",
        "TrackStatusEnum": "cases.models.choices.TrackStatus",
        "FactKindEnum": "cases.models.facts.FactKind",
    },
}

DEMO_PASSWORD = env_str("DEMO_PASSWORD", "cadre-demo")


# TL-377-4..6: the waits after discipline are counted from the disciplinary decision's
# date by default; docs/collectives.md leaves the anchor open ("decision" or "effective").
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
