"""AcuClinic settings, read from the environment (docs/deployment.md, "Configuration")."""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# An optional .env file (git-ignored) holds a checkout's own settings; `make run`
# creates one with DJANGO_DEBUG=1. Variables already in the environment win.
# DJANGO_ENV_FILE names another file, or is empty to read none (the tests do that).
ENV_FILE = env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    environ.Env.read_env(ENV_FILE)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Only ever used with DEBUG on; production refuses it (see check_production_settings).
DEVELOPMENT_SECRET_KEY = "django-insecure-acuclinic-development-key-never-use-in-production"  # noqa: S105  # nosec B105


def check_production_settings(*, debug: bool, secret_key: str, allowed_hosts: list[str]) -> None:
    """Refuse to start a non-debug server with a weak key or no allowed hosts."""
    if debug:
        return
    problems = []
    if (
        len(secret_key) < 50
        or len(set(secret_key)) < 5
        or secret_key.startswith("django-insecure")
        or secret_key == DEVELOPMENT_SECRET_KEY
    ):
        problems.append(
            "DJANGO_SECRET_KEY is missing or weak: set it to a random string of at least "
            "50 characters (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if not [host for host in allowed_hosts if host.strip()]:
        problems.append(
            "DJANGO_ALLOWED_HOSTS is empty: set it to the host names the clinic uses, "
            "comma separated (e.g. clinic.example.org)."
        )
    if problems:
        raise ImproperlyConfigured(
            "AcuClinic will not start with DJANGO_DEBUG off: " + " ".join(problems)
        )


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
check_production_settings(debug=DEBUG, secret_key=SECRET_KEY, allowed_hosts=ALLOWED_HOSTS)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The project's apps, in their layers (CONTRIBUTING.md): each may import those
# above it in this list, never those below.
INSTALLED_APPS = [
    "core",
    # Before auditlog: its own `auditlogflush` command is replaced by one that refuses.
    "audit",
    "accounts",  # app label "acuclinic"
    "intake",
    "messaging",
    "scheduling",
    "checkins",
    "sessions.apps.TreatmentSessionsConfig",
    "plans",
    "progress",
    "interop",
    "clinic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    # Background tasks (sending messages to patients): django-tasks, its queue kept
    # in the app's own database and run by `manage.py db_worker`.
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the timeouts, which leave a message for the login page.
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.AuditContextMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# The page benchmark (`make bench`, bench/README.md): each response carries its queries,
# database time and CPU in a Server-Timing header, and a bare page is mounted at
# /bench/bare/ to compare the others with. Never in production.
BENCH_VIEWS = env.bool("ACUCLINIC_BENCH", default=False)
if BENCH_VIEWS:
    MIDDLEWARE.insert(0, "core.bench.ServerTimingMiddleware")

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username and address is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "acuclinic.urls"
WSGI_APPLICATION = "acuclinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.clinic",
            ],
        },
    },
]

# Database: SQLite file under the project by default; PostgreSQL in production.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database, used by several requests at once: each transaction
    # takes the write lock when it begins (IMMEDIATE), so two writers queue instead
    # of one failing halfway with "database is locked"; a writer waits up to
    # DJANGO_SQLITE_BUSY_SECONDS for the lock; WAL lets pages be read meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("DJANGO_SQLITE_BUSY_SECONDS", default=20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
    # Tests use a database file too (not memory), so tests of two requests at once
    # run on SQLite as they do in use: a file per test process, removed afterwards.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"acuclinic-test-{os.getpid()}.sqlite3")
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's connection pool, one per app process. Django requires
    # CONN_MAX_AGE = 0 with a pool: the pool keeps the connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # No JIT compilation: the app's queries are short, and PostgreSQL compiles any query it
    # prices high (the clinic's outcomes, at any size) to machine code first, which took
    # seconds against a few hundred milliseconds of running it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DJANGO_DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DJANGO_DB_POOL_MAX_SIZE", default=10),
        "timeout": env.int("DJANGO_DB_POOL_TIMEOUT", default=10),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "acuclinic.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

CSRF_FAILURE_VIEW = "core.views.csrf_failure"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clinic:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic puts the files whitenoise serves.
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# HTTPS. Production runs behind HTTPS: cookies are marked Secure, plain HTTP is
# redirected (except the load balancer's /healthz) and browsers are told to use
# HTTPS only (HSTS). Each can be turned off from the environment, e.g. for a
# load test on loopback; with DEBUG on all are off.
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env.bool("DJANGO_BEHIND_HTTPS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Sessions. A session ends after SESSION_IDLE_MINUTES without a request, and in
# any case SESSION_MAX_HOURS after the login (accounts.middleware). Cookies last
# no longer than the browser.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login protection (django-axes): after AXES_FAILURE_LIMIT failed logins for one
# username from one address, that pair is locked for AXES_COOLOFF_MINUTES; a clinic
# admin can unlock it in /admin/ (Axes: access attempts) or with `manage.py axes_reset`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True  # the audit trail records logins and logouts

# Two-factor login (django-otp, TOTP apps with backup codes). Clinic admins must
# use it, and so must anyone reaching /admin/; other staff may turn it on.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="AcuClinic")
OTP_BACKUP_CODES = 10

# Audit trail (django-auditlog, stored in audit.AuditEntry; see audit/registry.py).
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
# auditlog's own migrations would still create its unused log table (which would
# stop `flush` on PostgreSQL); its replacement is audit's own.
MIGRATION_MODULES = {"auditlog": None}
AUDITLOG_DISABLE_ON_RAW_SAVE = True  # restoring a backup is not a change
AUDITLOG_STORE_JSON_CHANGES = True
AUDIT_ENTRIES_PER_PAGE = 50

# Content-Security-Policy (django-csp): everything from the app itself, no inline
# script or style, no framing, forms post only to the app.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Phone numbers typed without a country code are read as numbers of this region.
CLINIC_PHONE_REGION = env.str("CLINIC_PHONE_REGION", default="US")
# The order of a date typed with slashes or dots into the patient search: "MDY"
# (03/14/1958, as in the US) or "DMY" (14/03/1958, 14.03.1958). ISO dates
# (1958-03-14) are read either way.
DATE_INPUT_ORDER = env.str("DATE_INPUT_ORDER", default="MDY").strip().upper()
if DATE_INPUT_ORDER not in ("MDY", "DMY"):
    raise ImproperlyConfigured('DATE_INPUT_ORDER must be "MDY" or "DMY".')
PATIENTS_PER_PAGE = 25
INTAKES_PER_PAGE = 25
SESSIONS_PER_PAGE = 20
PLANS_PER_PAGE = 25

# How the clinic names itself to patients (intake pages, messages, calendar files):
# the first values of the clinic's details, which the clinic admin then keeps in
# /admin/ (core.Clinic).
CLINIC_NAME = env.str("CLINIC_NAME", default="AcuClinic")
CLINIC_PHONE = env.str("CLINIC_PHONE", default="")
# One line, for appointment calendar files (.ics).
CLINIC_ADDRESS = env.str("CLINIC_ADDRESS", default="")
# The progress report's paper ("letter" or "a4"); ?paper= on the download overrides it.
REPORT_PAPER = env.str("REPORT_PAPER", default="letter").strip().lower()
if REPORT_PAPER not in ("letter", "a4"):
    raise ImproperlyConfigured('REPORT_PAPER must be "letter" or "a4".')

# Email: intake links. The console in development; SMTP in production, e.g.
# DJANGO_EMAIL_URL=smtp+tls://user:password@smtp.example.org:587
EMAIL_CONFIG = env.email_url(
    "DJANGO_EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="clinic@localhost")

# Text messages to patients: off unless a backend is named ("console" prints them,
# for development; "twilio" sends them, with the TWILIO_* settings).
SMS_BACKEND = env.str("SMS_BACKEND", default="")
# Twilio's account, its key and the number (E.164) messages come from.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")

# Messages to patients (messaging.Message, the outbox). A reminder goes this many
# hours before a booked visit; a recall on the day a plan's next visit is due, from
# this hour (clinic-local) on, so nobody is texted at night.
REMINDER_HOURS_BEFORE = env.int("REMINDER_HOURS_BEFORE", default=24)
# Where patients reach the app, for links in messages the worker sends (a check-in's),
# which are made outside any request: the scheme and host, without a trailing path.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
RECALL_HOUR = env.int("RECALL_HOUR", default=10)
# A message that could not be sent is tried again after each of these waits (in
# minutes), then marked failed.
MESSAGE_RETRY_MINUTES = env.list("MESSAGE_RETRY_MINUTES", cast=int, default=[1, 5, 30, 120, 360])
MESSAGES_PER_PAGE = 50

# Background tasks: queued in the database, run by `manage.py db_worker` (started
# by `make run`; a service of its own in production, docs/deployment.md). Messages
# are always sent there, never inside a web request.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The client address (rate limits, consent records): REMOTE_ADDR, or a header set
# by a trusted reverse proxy, as Django names it (e.g. HTTP_X_REAL_IP).
CLIENT_IP_META_KEY = env.str("DJANGO_CLIENT_IP_HEADER", default="REMOTE_ADDR")

# Rate limits on the public intake pages, per client address. The counts must be
# shared by every app process and added atomically: by default they are rows in the
# app's own database (core.ratelimit); DJANGO_RATELIMIT_CACHE_URL may point at
# Redis or Memcached instead.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": (
        env.cache_url("DJANGO_RATELIMIT_CACHE_URL")
        if env.str("DJANGO_RATELIMIT_CACHE_URL", default="")
        else {"BACKEND": "core.ratelimit.DatabaseCounterCache"}
    ),
}
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_IP_META_KEY = "core.net.client_ip"
# Requests to an intake link per address (a patient uses 2-3 per step).
INTAKE_RATE_LIMIT = env.str("INTAKE_RATE_LIMIT", default="60/m")
# New self-registration intakes per address (a waiting room may share one address).
INTAKE_START_RATE_LIMIT = env.str("INTAKE_START_RATE_LIMIT", default="20/h")

# Application logs carry no patient data: requests are logged by path only, and
# paths carry opaque codes, never names. Link tokens (intake, check-in) are redacted
# from every record (core.logs). Django's own loggers send to the same
# filtered handler. A refused request (403) is one line from the audit middleware,
# not Django's traceback.
_LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_intake_tokens": {"()": "core.logs.RedactIntakeTokens"},
        "drop_djangos_refusal_lines": {"()": "core.logs.DropDjangosRefusalLines"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_intake_tokens"]},
    },
    "root": {"handlers": ["console"], "level": _LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": _LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": _LOG_LEVEL, "propagate": True},
        "django.request": {"filters": ["drop_djangos_refusal_lines"], "propagate": True},
        "django.security.csrf": {"filters": ["drop_djangos_refusal_lines"], "propagate": True},
        # Never below INFO, whatever DJANGO_LOG_LEVEL says: at DEBUG these log
        # template contexts and SQL parameters, which hold patient data.
        "django.template": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"handlers": [], "level": "INFO", "propagate": True},
        # Lockouts and failed logins are in the audit trail; axes' own lines add nothing.
        "axes": {"handlers": [], "level": "WARNING", "propagate": True},
        # Twilio logs every request at INFO (the account in the URL); its errors are
        # recorded on the message, without the number.
        "twilio": {"handlers": [], "level": "WARNING", "propagate": True},
        # WeasyPrint logs each step of every progress report it renders at INFO.
        "weasyprint.progress": {"handlers": [], "level": "WARNING", "propagate": True},
    },
}
