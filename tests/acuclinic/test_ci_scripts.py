import os
import subprocess
from pathlib import Path

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
