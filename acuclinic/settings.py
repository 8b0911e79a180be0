"""AcuClinic settings, read from the environment (see README, "Configuration")."""

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
DEVELOPMENT_SECRET_KEY = "django-insecure-acuclinic-development-key-never-use-in-production"  # noqa: S105


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

INSTALLED_APPS = [
    "acuclinic",
    "intake",
    "sessions.apps.TreatmentSessionsConfig",
    "plans",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "acuclinic.context_processors.clinic",
            ],
        },
    },
]

# Database: SQLite file under the project by default; PostgreSQL in production.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's connection pool, one per app process. Django requires
    # CONN_MAX_AGE = 0 with a pool: the pool keeps the connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
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

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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

# Cookies are marked Secure unless DEBUG is on (production runs behind HTTPS).
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if env.bool("DJANGO_BEHIND_HTTPS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Phone numbers typed without a country code are read as numbers of this region.
CLINIC_PHONE_REGION = env.str("CLINIC_PHONE_REGION", default="US")
PATIENTS_PER_PAGE = 25
INTAKES_PER_PAGE = 25
SESSIONS_PER_PAGE = 20
PLANS_PER_PAGE = 25

# How the clinic names itself to patients (intake pages and emails).
CLINIC_NAME = env.str("CLINIC_NAME", default="AcuClinic")
CLINIC_PHONE = env.str("CLINIC_PHONE", default="")
# One line, for appointment calendar files (.ics).
CLINIC_ADDRESS = env.str("CLINIC_ADDRESS", default="")

# Email: intake links. The console in development; SMTP in production, e.g.
# DJANGO_EMAIL_URL=smtp+tls://user:password@smtp.example.org:587
EMAIL_CONFIG = env.email_url(
    "DJANGO_EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="clinic@localhost")

# The client address (rate limits, consent records): REMOTE_ADDR, or a header set
# by a trusted reverse proxy, as Django names it (e.g. HTTP_X_REAL_IP).
CLIENT_IP_META_KEY = env.str("DJANGO_CLIENT_IP_HEADER", default="REMOTE_ADDR")

# Rate limits on the public intake pages, per client address. The counts must be
# shared by every app process and added atomically: by default they are rows in the
# app's own database (acuclinic.ratelimit); DJANGO_RATELIMIT_CACHE_URL may point at
# Redis or Memcached instead.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": (
        env.cache_url("DJANGO_RATELIMIT_CACHE_URL")
        if env.str("DJANGO_RATELIMIT_CACHE_URL", default="")
        else {"BACKEND": "acuclinic.ratelimit.DatabaseCounterCache"}
    ),
}
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_IP_META_KEY = "acuclinic.net.client_ip"
# Requests to an intake link per address (a patient uses 2-3 per step).
INTAKE_RATE_LIMIT = env.str("INTAKE_RATE_LIMIT", default="60/m")
# New self-registration intakes per address (a waiting room may share one address).
INTAKE_START_RATE_LIMIT = env.str("INTAKE_START_RATE_LIMIT", default="20/h")

# Application logs carry no patient data: requests are logged by path only, and
# paths carry opaque codes, never names. Intake link tokens are redacted from every
# record (acuclinic.logging). Django's own loggers send to the same filtered handler.
_LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_intake_tokens": {"()": "acuclinic.logging.RedactIntakeTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_intake_tokens"]},
    },
    "root": {"handlers": ["console"], "level": _LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": _LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": _LOG_LEVEL, "propagate": True},
    },
}
