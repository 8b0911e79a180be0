"""What `make bench` measures inside the app: each request's queries, database time and
CPU, and a bare page to compare every other page with (bench/README.md, "Page benchmark").

Both are on only with ACUCLINIC_BENCH=1 (settings.BENCH_VIEWS), which adds the middleware
first in the chain and mounts /bench/bare/. Never in production: the header tells anyone
how long the database took.
"""

import time
from contextlib import ExitStack

from django.contrib.auth.decorators import login_required
from django.db import connections
from django.http import HttpResponse
from django.views.decorators.http import require_safe


class ServerTimingMiddleware:
    """Adds `Server-Timing: db;dur=<ms>, cpu;dur=<ms>, app;dur=<ms>, q;desc=<queries>`.

    First in the chain, so the numbers cover every other middleware too. The database
    time is the wall time spent in cursor.execute (query, network and fetch of the
    rows it returns at once); the CPU is this thread's (a sync worker serves one
    request at a time, so that is the request's), database driver included.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = 0
        database_seconds = 0.0

        def count(execute, sql, params, many, context):
            nonlocal queries, database_seconds
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                database_seconds += time.perf_counter() - started
                queries += 1

        cpu_started = time.thread_time()
        started = time.perf_counter()
        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(count))
            response = self.get_response(request)
        cpu = time.thread_time() - cpu_started
        wall = time.perf_counter() - started
        response["Server-Timing"] = (
            f"db;dur={database_seconds * 1000:.2f}, cpu;dur={cpu * 1000:.2f}, "
            f"app;dur={wall * 1000:.2f}, q;desc={queries}"
        )
        return response


@require_safe
@login_required
def bare(request):
    """The least a signed-in page costs: every middleware, the session and the user,
    and no view work. The benchmark gives each page's throughput as a share of this."""
    return HttpResponse("ok", content_type="text/plain")
