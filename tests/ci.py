"""Whether the tests run under CI (`CI=true`, as `.ci/run` is called there)."""

import os


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
