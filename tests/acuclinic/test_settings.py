import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from acuclinic.settings import DEVELOPMENT_SECRET_KEY, check_production_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Yq9-vX2mN8pL4rT7wZ1cB6hJ0dF5gS-aE9uI3oP2yR8tW6qM4nV1xC7zK0bH5j"


def test_debug_settings_allow_the_development_key():
    check_production_settings(debug=True, secret_key=DEVELOPMENT_SECRET_KEY, allowed_hosts=[])


@pytest.mark.parametrize(
    "secret_key",
    ["", "short", "a" * 60, DEVELOPMENT_SECRET_KEY, "django-insecure-" + STRONG_KEY],
)
def test_production_settings_refuse_a_weak_secret_key(secret_key):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        check_production_settings(
            debug=False, secret_key=secret_key, allowed_hosts=["clinic.example.org"]
        )


@pytest.mark.parametrize("allowed_hosts", [[], [""], ["  "]])
def test_production_settings_refuse_empty_allowed_hosts(allowed_hosts):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ALLOWED_HOSTS"):
        check_production_settings(debug=False, secret_key=STRONG_KEY, allowed_hosts=allowed_hosts)


def test_production_settings_accept_a_strong_key_and_hosts():
    check_production_settings(
        debug=False, secret_key=STRONG_KEY, allowed_hosts=["clinic.example.org"]
    )


def _start_django(**environ):
    """Start Django in a fresh interpreter with only the given settings environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    env.update(environ, DJANGO_SETTINGS_MODULE="acuclinic.settings", DJANGO_ENV_FILE="")
    return subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default'].get('OPTIONS', {}))",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_app_refuses_to_start_with_debug_off_and_a_weak_key():
    result = _start_django(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY="changeme", DJANGO_ALLOWED_HOSTS="clinic.example.org"
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is missing or weak" in result.stderr


def test_app_refuses_to_start_with_debug_off_and_no_key_or_hosts():
    result = _start_django(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is missing or weak" in result.stderr
    assert "DJANGO_ALLOWED_HOSTS is empty" in result.stderr


def test_app_starts_with_debug_off_and_proper_settings():
    result = _start_django(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="clinic.example.org"
    )
    assert result.returncode == 0, result.stderr


def test_postgresql_database_url_configures_the_psycopg_pool():
    result = _start_django(
        DJANGO_DEBUG="1",
        DATABASE_URL="postgres://clinic:secret@127.0.0.1:5432/acuclinic",
        DJANGO_DB_POOL_MAX_SIZE="7",
    )
    assert result.returncode == 0, result.stderr
    assert "'pool': {" in result.stdout
    assert "'max_size': 7" in result.stdout


def test_sqlite_is_the_default_database():
    result = _start_django(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert "pool" not in result.stdout


def test_a_dot_env_file_supplies_settings_but_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DJANGO_DEBUG=1\nCLINIC_PHONE_REGION=GB\n")
    code = "from django.conf import settings; print(settings.DEBUG, settings.CLINIC_PHONE_REGION)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CLINIC_"))}
    env.update(DJANGO_SETTINGS_MODULE="acuclinic.settings", DJANGO_ENV_FILE=str(env_file))
    run = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    result = subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        run, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["True", "GB"], result.stderr
    result = subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        run,
        cwd=PROJECT_ROOT,
        env={**env, "CLINIC_PHONE_REGION": "CA"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["True", "CA"], result.stderr


def test_the_app_refuses_to_start_with_a_date_order_it_cannot_read():
    result = _start_django(DJANGO_DEBUG="1", DATE_INPUT_ORDER="YMD")
    assert result.returncode != 0
    assert 'DATE_INPUT_ORDER must be "MDY" or "DMY".' in result.stderr


@pytest.mark.parametrize("order", ["MDY", "dmy", " DMY "])
def test_the_date_order_is_read_in_any_case(order):
    result = _start_django(DJANGO_DEBUG="1", DATE_INPUT_ORDER=order)
    assert result.returncode == 0, result.stderr
