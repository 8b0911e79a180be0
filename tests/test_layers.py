"""The apps form a line with no cycles (CONTRIBUTING.md, "Layers").

core <- audit <- accounts <- intake <- messaging <- scheduling <- checkins <- sessions <-
plans <- progress <- interop <- clinic: an app may import the apps before it in this line, never
one after it. The project package (settings, URLs) sits above them all and is imported
by none. Every import counts, inside functions too: an import moved into a function to
dodge a cycle is still a cycle.

The one need that runs upward is answered by a signal: signing a session
(sessions.signals.session_signed) updates the patient's plan, whose receiver plans
connects.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [
    "core",
    "audit",
    "accounts",
    "intake",
    "messaging",
    "scheduling",
    "checkins",
    "sessions",
    "plans",
    "progress",
    "interop",
    "clinic",
]
PROJECT = "acuclinic"


def imports_of(app: str) -> list[tuple[str, int, str]]:
    """(file, line, imported module) for every import of a project package in `app`."""
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in LAYERS or top == PROJECT:
                    found.append((str(path.relative_to(ROOT)), node.lineno, name))
    return found


def upward_imports(app: str, layers: list[str]) -> list[str]:
    rank = {name: index for index, name in enumerate(layers)}
    return [
        f"{file}:{line} imports {module}"
        for file, line, module in imports_of(app)
        if module.split(".")[0] == PROJECT or rank[module.split(".")[0]] > rank[app]
    ]


def test_every_project_package_is_in_the_line():
    packages = {
        path.parent.name
        for path in ROOT.glob("*/apps.py")
        if (path.parent / "__init__.py").exists()
    }
    assert packages == set(LAYERS)


@pytest.mark.parametrize("app", LAYERS)
def test_no_app_imports_an_app_above_it_or_the_project(app):
    assert upward_imports(app, LAYERS) == []


def test_core_imports_no_app():
    others = [
        module for _file, _line, module in imports_of("core") if not module.startswith("core")
    ]
    assert others == []


def test_the_check_finds_an_import_that_runs_back_up(tmp_path, monkeypatch):
    # A cycle put in by hand is reported, even inside a function: sessions importing plans.
    (tmp_path / "sessions").mkdir()
    (tmp_path / "sessions" / "services.py").write_text(
        "def sign():\n    from plans.services import plan_session_signed\n"
    )
    monkeypatch.setitem(globals(), "ROOT", tmp_path)

    assert upward_imports("sessions", LAYERS) == ["sessions/services.py:2 imports plans.services"]


def test_the_one_upward_need_is_the_session_signed_signal():
    from sessions.signals import session_signed

    receivers = [uid for (uid, _sender), *_rest in session_signed.receivers]
    assert receivers == ["plans_count_signed_session"]
