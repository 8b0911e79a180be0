import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM
from tests.ci import in_ci

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT_ROOT / "scripts" / "with-postgres"


def _run_without_postgres(**env):
    return subprocess.run(  # noqa: S603 - the project's own script
        [str(SCRIPT), "echo", "ran-the-command"],
        env={**os.environ, "PG_BINDIR": "/nonexistent/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_postgresql_is_a_visible_skip_outside_ci():
    result = _run_without_postgres(CI="")
    assert result.returncode == 0
    assert "SKIPPED" in result.stderr
    assert "ran-the-command" not in result.stdout


def test_missing_postgresql_fails_the_run_in_ci():
    result = _run_without_postgres(CI="true")
    assert result.returncode != 0
    assert "FAILED" in result.stderr
    assert "ran-the-command" not in result.stdout


# The browser tests' own harness (tests/browser/conftest.py), run in a pytest of its
# own on an in-memory SQLite database.
HARNESS = "tests/browser/check_harness.py"


def _run_harness(artifacts, **env):
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(  # noqa: S603 - the project's own test file
        [sys.executable, "-m", "pytest", HARNESS, "-q", "-p", "no:cacheprovider"],
        cwd=PROJECT_ROOT,
        env={**base, "ACUCLINIC_TEST_ARTIFACTS": str(artifacts), **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_missing_chromium_is_a_visible_skip_outside_ci(tmp_path):
    result = _run_harness(tmp_path, ACUCLINIC_CHROMIUM="/nonexistent/chromium", CI="")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "Chromium not found at /nonexistent/chromium" in result.stdout
    assert not (tmp_path / "browser").exists()


def test_missing_chromium_fails_the_run_in_ci(tmp_path):
    result = _run_harness(tmp_path, ACUCLINIC_CHROMIUM="/nonexistent/chromium", CI="true")
    assert result.returncode != 0
    assert "CI=true requires the browser tests" in result.stdout
    assert "skipped" not in result.stdout


@pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK) and not in_ci(),
    reason=f"Chromium not found at {CHROMIUM}",
)
def test_a_failing_browser_test_leaves_a_screenshot_and_the_html(tmp_path):
    result = _run_harness(tmp_path, ACUCLINIC_CHROMIUM=CHROMIUM)
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout
    saved = sorted(p.name for p in (tmp_path / "browser").rglob("*") if p.is_file())
    assert [Path(name).suffix for name in saved] == [".html", ".png"], saved
    html = next((tmp_path / "browser").rglob("*.html")).read_text()
    assert "Log in" in html
    png = next((tmp_path / "browser").rglob("*.png")).read_bytes()
    assert png.startswith(b"\x89PNG")
