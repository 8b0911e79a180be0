"""Browser tests: Playwright driving Debian's Chromium against the live server.

Chromium comes from the machine (`/usr/bin/chromium`, or `ACUCLINIC_CHROMIUM`);
Playwright never downloads a browser. Without Chromium the browser tests are
skipped with the reason shown in the summary, except under `CI=true`, where a
missing browser fails them. When a test fails, a screenshot and the HTML of every
page it had open are saved under `test-artifacts/browser/<test>/`.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.db import connections
from django.test import Client
from django_otp.oath import totp

from tests.ci import in_ci

CHROMIUM = os.environ.get("ACUCLINIC_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = (
    Path(os.environ.get("ACUCLINIC_TEST_ARTIFACTS") or Path(settings.BASE_DIR) / "test-artifacts")
    / "browser"
)
# Flags for a closed network and a container: no sandbox (root), no GPU, and none
# of the background connections Chromium would otherwise keep trying to make.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A step that takes longer than this in a test is a failure, not a wait.
TIMEOUT_MS = 10_000

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def _sync_orm_beside_playwright():
    # Playwright's sync API keeps an asyncio loop in the test thread, so Django's
    # guard would refuse the test's own ORM calls (factories, checks, the flush
    # between tests). The app itself runs in the live server's threads, where the
    # guard still applies.
    # Browser tests run last (tests/conftest.py), so no other test runs without it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def _migrations_data(django_db_setup, django_db_blocker):
    """The serialized copy of what migrations loaded (roles, WHO points), taken
    before Playwright starts."""
    return {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }


@pytest.fixture(scope="session")
def browser(browser, _migrations_data):
    # Once Playwright's loop runs, the test thread's code sees Django's connection
    # objects afresh (they are context-local), without the serialized copy that
    # `serialized_rollback` restores from. Hand it over, so each browser test starts
    # from the migrations' data and its flush leaves no stray content types.
    for alias, contents in _migrations_data.items():
        connections[alias]._test_serialized_contents = contents
    return browser


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args, _sync_orm_beside_playwright, _migrations_data
):
    if not os.access(CHROMIUM, os.X_OK):
        missing = f"Chromium not found at {CHROMIUM}"
        install = "install Debian's 'chromium' package, as .ci/run does"
        if in_ci():
            pytest.fail(f"{missing}: CI=true requires the browser tests ({install})", pytrace=False)
        reason = f"{missing}: browser tests skipped ({install})"
        pytest.skip(reason)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_failed = report.failed
    elif report.failed:
        item.browser_failed = True
    return report


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120] or "page"


@pytest.fixture
def open_context(request, browser, live_server):
    """Open a fresh browser context (its own cookies) on the live server.

    `open_context(viewport=PHONE, user=someone)` gives a context already logged in
    as `someone` (the password and two-factor steps are tested on their own).
    Every page opened is saved, screenshot and HTML, if the test fails.
    """
    contexts = []

    def open_(viewport=DESKTOP, user=None, **options):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, locale="en-GB", **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        if user is not None:
            log_in_by_cookie(context, user, live_server.url)
        contexts.append(context)
        return context

    yield open_

    failed = getattr(request.node, "browser_failed", False)
    folder = ARTIFACTS / _slug(request.node.name)
    if failed:
        shutil.rmtree(folder, ignore_errors=True)  # only this run's pages
        folder.mkdir(parents=True)
    for n, context in enumerate(contexts):
        if failed:
            _save_pages(folder, n, context)
        context.close()


def _save_pages(folder, context_number, context):
    for m, page in enumerate(context.pages):
        stem = folder / f"{context_number}-{m}-{_slug(page.url.split('://', 1)[-1])}"
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
        except Exception as error:  # noqa: BLE001 - a dead page must not hide the failure
            Path(f"{stem}.txt").write_text(f"could not save the page: {error}\n")


@pytest.fixture
def page_for(open_context):
    """A new page in a new context: `page_for(user, viewport=PHONE)`."""

    def new_page(user=None, viewport=DESKTOP):
        return open_context(viewport=viewport, user=user).new_page()

    return new_page


def type_login(page, username, password):
    """Log in as a person does: the login page, username, password, "Log in"."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def log_in_by_cookie(context, user, base_url):
    """Give the context the session a completed login (two-factor step included)
    would have: the test client's login, its cookie handed to the browser."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}])


def totp_code(device):
    """The code the user's authenticator app shows now for `device`."""
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


# axe-core, as bundled by axe-playwright-python; injected through the DevTools
# protocol, so the page's Content-Security-Policy does not have to allow it.
AXE = Axe()
BLOCKING_IMPACTS = ("serious", "critical")


def accessibility_violations(page, impacts=BLOCKING_IMPACTS):
    """axe-core's violations of the given impacts on the page as it is now."""
    results = AXE.run(page)
    return [v for v in results.response["violations"] if v["impact"] in impacts]


def assert_accessible(page):
    """No serious or critical axe-core violation on the page as it is now."""
    violations = accessibility_violations(page)
    lines = [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in violations
    ]
    assert not violations, f"{page.url}:\n" + "\n".join(lines)
