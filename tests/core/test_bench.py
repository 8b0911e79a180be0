"""The page benchmark's numbers from inside the app (core/bench.py): the Server-Timing
header and the bare page exist only with ACUCLINIC_BENCH=1, and their numbers add up."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.models import User
from core.bench import ServerTimingMiddleware, bare

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TIMING = re.compile(
    r"^db;dur=(?P<db>[\d.]+), cpu;dur=(?P<cpu>[\d.]+), app;dur=(?P<app>[\d.]+), q;desc=(?P<q>\d+)$"
)


def timing(response) -> dict:
    found = TIMING.match(response["Server-Timing"])
    assert found, response["Server-Timing"]
    return {name: float(value) for name, value in found.groupdict().items()}


def test_pages_carry_no_timing_and_there_is_no_bare_page_without_the_setting(client, acupuncturist):
    client.force_login(acupuncturist)

    page = client.get("/")

    assert page.status_code == 200
    assert "Server-Timing" not in page
    assert client.get("/bench/bare/").status_code == 404


def test_the_setting_adds_the_middleware_first_and_mounts_the_bare_page():
    # Settings and URLs are read once per process: a fresh one, with the variable set.
    script = (
        "import json, django\n"
        "from django.conf import settings\n"
        "from django.urls import resolve\n"
        "django.setup()\n"
        "print(json.dumps([settings.BENCH_VIEWS, settings.MIDDLEWARE[0],"
        " resolve('/bench/bare/').func.__name__]))\n"
    )
    env = {**os.environ, "ACUCLINIC_BENCH": "1", "DJANGO_SETTINGS_MODULE": "acuclinic.settings"}
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, "core.bench.ServerTimingMiddleware", "bare"]
    assert not settings.BENCH_VIEWS
    assert "core.bench.ServerTimingMiddleware" not in settings.MIDDLEWARE


def test_the_header_counts_the_requests_queries_and_its_cpu():
    def view(request):
        for _ in range(3):
            User.objects.count()
        until = time.thread_time() + 0.02
        while time.thread_time() < until:  # 20 ms of CPU
            pass
        return HttpResponse("ok")

    response = ServerTimingMiddleware(view)(RequestFactory().get("/"))
    numbers = timing(response)

    assert numbers["q"] == 3
    assert numbers["cpu"] >= 20
    assert 0 < numbers["db"] < numbers["app"]
    assert numbers["cpu"] <= numbers["app"] + 1


def test_queries_outside_the_request_are_not_counted():
    middleware = ServerTimingMiddleware(lambda request: HttpResponse("ok"))

    response = middleware(RequestFactory().get("/"))
    User.objects.count()

    assert timing(response)["q"] == 0
    assert not connection.execute_wrappers


def test_every_middleware_is_inside_the_timing(client, acupuncturist, settings):
    # First in the chain: the session and user lookups of the other middleware count.
    settings.MIDDLEWARE = ["core.bench.ServerTimingMiddleware", *settings.MIDDLEWARE]
    client.force_login(acupuncturist)

    numbers = timing(client.get("/"))

    assert numbers["q"] >= 2  # the session and the user at least
    assert numbers["db"] > 0


def test_the_bare_page_wants_a_login_and_then_says_ok(acupuncturist):
    factory = RequestFactory()
    anonymous = factory.get("/bench/bare/")
    anonymous.user = AnonymousUser()
    signed_in = factory.get("/bench/bare/")
    signed_in.user = acupuncturist

    assert bare(anonymous).status_code == 302
    answer = bare(signed_in)
    assert answer.status_code == 200
    assert answer.content == b"ok"
    posted = factory.post("/bench/bare/")
    posted.user = acupuncturist
    assert bare(posted).status_code == 405
