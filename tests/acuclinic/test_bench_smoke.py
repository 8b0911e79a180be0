"""`make bench` cannot rot: its smoke run (tiny data, 1 s a page) in the PostgreSQL run.

The benchmark (bench/pages.py) needs PostgreSQL and wrk. On the SQLite run this is
skipped; without wrk it is skipped, except under CI=true, where it fails (.ci/run
installs wrk).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.ci import in_ci

ROOT = Path(__file__).resolve().parents[2]


def test_the_page_benchmark_runs_and_every_page_answers():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the page benchmark runs on PostgreSQL: its smoke run is in the PostgreSQL run")
    if shutil.which("wrk") is None:
        message = "wrk not found: install Debian's 'wrk' package, as .ci/run does"
        if in_ci():
            pytest.fail(f"{message} (CI=true requires the benchmark's smoke run)")
        pytest.skip(message)
    # Its own throwaway cluster (scripts/with-postgres): the benchmark wants an empty
    # database and gives users new passwords, so never the tests' one.
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}

    result = subprocess.run(  # noqa: S603 (this interpreter, the project's script)
        [sys.executable, "bench/pages.py", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    pages = [line.split(" | ")[0].removeprefix("| ") for line in table[1:]]
    assert pages[0] == "bare view"
    assert {
        "dashboard, front desk",
        "dashboard, acupuncturist",
        "dashboard, clinic admin",
        "chart, 200 sessions",
        "plan page, 200 sessions",
        "audit",
    } <= set(pages)
    assert "gunicorn workers' peak memory (VmHWM)" in result.stdout
