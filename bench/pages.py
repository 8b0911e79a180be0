"""Page benchmark: every key page under wrk, each beside a bare view measured in the same run.

    .venv/bin/python bench/pages.py --patients 5000          # or: make bench PATIENTS=5000
    .venv/bin/python bench/pages.py --smoke                  # tiny data, 1 s a page (make test)

Without DATABASE_URL the script runs itself under scripts/with-postgres (a throwaway
PostgreSQL cluster). It migrates, loads data (`seed_load --patients N`, or `seed_demo`
where there is no seed_load), gives one user of each role a password and an
authenticator, adds patients with 10 and 200 signed sessions, and starts gunicorn as
production runs it (3 sync workers, DEBUG off) with ACUCLINIC_BENCH=1: every response
then carries its queries, database time and CPU in a Server-Timing header, and a bare
page (/bench/bare/: every middleware, login required, no work) is mounted. It logs in
as each role (password, then a two-factor code), checks that each page answers 200,
then drives bare view, page, bare view, page, ... with wrk (bench/pages.lua) and prints
a Markdown table: requests/s, p50 and p95, throughput as a share of the bare runs either
side, and per request the queries, the app's CPU and the database time; then the
gunicorn workers' peak memory.

Exit 0: every page answered 200 throughout. 1: a page answered anything else, or the
run failed. 2: wrong usage, or wrk is missing. See bench/README.md.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from urllib.parse import quote_plus

from clients import Browser, GaveUp, Stats, log_in
from load import Server, free_port

REPO = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "pages.lua"
BARE = "/bench/bare/"
RESULT = "BENCH-RESULT "

# (page, role, path): the path's {names} come from bench/pages_steps.py.
PAGES = [
    ("dashboard, front desk", "front_desk", "/"),
    ("dashboard, acupuncturist", "acupuncturist", "/"),
    ("dashboard, clinic admin", "clinic_admin", "/"),
    ("patient list", "front_desk", "/patients/"),
    ("search by name", "front_desk", "/patients/?q={name}"),
    ("search by phone", "front_desk", "/patients/?q={phone}"),
    ("search by date of birth", "front_desk", "/patients/?q={date_of_birth}"),
    ("chart, 10 sessions", "acupuncturist", "/patients/{short}/"),
    ("chart, 200 sessions", "acupuncturist", "/patients/{long}/"),
    ("plan page, 10 sessions", "acupuncturist", "/patients/{short}/plan/"),
    ("plan page, 200 sessions", "acupuncturist", "/patients/{long}/plan/"),
    ("session form (new)", "acupuncturist", "/patients/{short}/sessions/new/"),
    ("signed session note", "acupuncturist", "/sessions/{note}/"),
    ("intakes queue", "front_desk", "/intakes/"),
    ("worklist", "acupuncturist", "/plans/due/"),
    ("schedule, day", "front_desk", "/schedule/?date={weekday}"),
    (
        "schedule, week",
        "front_desk",
        "/schedule/?view=week&practitioner={practitioner}&date={weekday}",
    ),
    ("progress, 200 sessions", "acupuncturist", "/patients/{long}/progress/"),
    ("outcomes", "clinic_admin", "/outcomes/"),
    ("audit", "clinic_admin", "/audit/"),
    ("FHIR export, 200 sessions", "acupuncturist", "{fhir}"),  # once the URL exists
]
ROLES = {"front_desk": "front desk", "acupuncturist": "acupuncturist", "clinic_admin": "admin"}


def django_env(tmp: Path) -> dict:
    """Production settings, as docs/deployment.md runs gunicorn, on plain HTTP loopback."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="acuclinic.settings",
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        DJANGO_ENV_FILE="",  # never the checkout's development .env
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_COOKIES="0",  # plain HTTP on loopback
        DJANGO_SECURE_SSL_REDIRECT="0",
        ACUCLINIC_BENCH="1",
    )
    return env


def step(env: dict, what: str, *command: str) -> None:
    started = time.monotonic()
    print(f"  {what} ...", end="", flush=True)
    # The project's own manage.py and bench scripts, no shell.
    result = subprocess.run(  # noqa: S603
        [sys.executable, *command], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        print(" failed", flush=True)
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    print(f" {time.monotonic() - started:.0f} s", flush=True)


def has_seed_load() -> bool:
    return any(REPO.glob("*/management/commands/seed_load.py"))


def get(port: int, path: str, cookie: str) -> tuple[int, str, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}", "Cookie": cookie})
        answer = conn.getresponse()
        answer.read()
        return answer.status, answer.getheader("Location", ""), dict(answer.getheaders())
    finally:
        conn.close()


def server_timing(header: str) -> dict:
    """The numbers core.bench.ServerTimingMiddleware puts in its header."""
    found = dict(re.findall(r"(\w+);(?:dur|desc)=\"?([\d.]+)", header))
    return {
        "queries": float(found.get("q", 0)),
        "cpu": float(found.get("cpu", 0)),
        "db": float(found.get("db", 0)),
    }


def wrk(port: int, path: str, cookie: str, *, seconds: int, connections: int, threads: int):
    command = [
        "wrk",
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=30s",
        f"--script={LUA}",
        f"--header=Cookie: {cookie}",
        f"http://127.0.0.1:{port}{path}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    for line in result.stdout.splitlines():
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT) :])
    raise RuntimeError(f"wrk gave no result for {path}:\n{result.stdout}{result.stderr}")


def per_request(run: dict) -> dict:
    timed = max(1, run["timed"])
    return {
        "rps": run["requests"] / run["seconds"] if run["seconds"] else 0.0,
        "p50": run["p50_ms"],
        "p95": run["p95_ms"],
        "queries": run["queries"] / timed,
        "cpu": run["cpu_ms"] / timed,
        "db": run["db_ms"] / timed,
    }


def problems_of(run: dict) -> list[str]:
    found = [f"{n} answered {status}" for status, n in run["statuses"].items() if status != "200"]
    found += [f"{n} socket {kind} errors" for kind, n in run["socket_errors"].items() if n]
    if run["timed"] < run["answers"]:
        found.append(f"{run['answers'] - run['timed']} answers without a Server-Timing header")
    return found


def peak_memory(pids: list[int]) -> dict[int, int]:
    """Each process's peak resident memory (VmHWM), in kB."""
    found = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    found[pid] = int(line.split()[1])
        except OSError:
            continue
    return found


def table(rows: list[tuple]) -> list[str]:
    lines = [
        "| page | as | req/s | p50 ms | p95 ms | ratio to bare | queries | app CPU ms | DB ms |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, role, numbers, ratio in rows:
        p50, p95 = (
            value if isinstance(value, str) else f"{value:.0f}"
            for value in (numbers["p50"], numbers["p95"])
        )
        lines.append(
            f"| {name} | {role} | {numbers['rps']:.1f} | {p50} | {p95} | {ratio:.2f} | "
            f"{numbers['queries']:.0f} | {numbers['cpu']:.1f} | {numbers['db']:.1f} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description="AcuClinic page benchmark (bench/README.md).")
    parser.add_argument("--patients", type=int, default=5000, help="seed_load's size (5000)")
    parser.add_argument(
        "--seed",
        choices=["auto", "load", "demo"],
        default="auto",
        help="seed_load --patients N (load), seed_demo's dozen patients (demo), or "
        "seed_load where it exists (auto)",
    )
    parser.add_argument("--seconds", type=int, default=8, help="wrk seconds per page (8)")
    parser.add_argument("--bare-seconds", type=int, default=4, help="per bare run (4)")
    parser.add_argument("--connections", type=int, default=10, help="concurrent clients (10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (3)")
    parser.add_argument(
        "--bare-every", type=int, default=1, help="a bare run after every N pages (1)"
    )
    parser.add_argument("--warmup", type=int, default=6, help="requests per page before wrk (6)")
    parser.add_argument("--only", default="", help="only the pages whose name has this text")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny data and short runs, to check every page still answers (make test)",
    )
    args = parser.parse_args()
    if args.smoke:
        args.patients, args.seconds, args.bare_seconds = 30, 1, 1
        args.connections, args.threads, args.warmup, args.bare_every = 2, 1, 0, 5
    if args.bare_every < 1 or args.seconds < 1 or args.bare_seconds < 1:
        parser.error("--bare-every, --seconds and --bare-seconds are at least 1")

    if not os.environ.get("DATABASE_URL"):
        # One command: a throwaway PostgreSQL for this run. CI=true makes a missing
        # PostgreSQL a failure instead of a quiet skip.
        script = str(REPO / "scripts" / "with-postgres")
        # The project's own script, then this one again: no shell, no outside input.
        os.execve(script, [script, sys.executable, *sys.argv], {**os.environ, "CI": "true"})  # noqa: S606
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://", "pgsql://")):
        print("bench: DATABASE_URL must point at an empty PostgreSQL database.", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk).", file=sys.stderr)
        return 2

    def stop_on_term(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_term)
    tmp = Path(tempfile.mkdtemp(prefix="acuclinic-pages-"))
    server = None
    try:
        env = django_env(tmp)
        print("Setting up:", flush=True)
        # Static files need no database: collected meanwhile, on the other core.
        static_log = open(tmp / "collectstatic.log", "w+")  # noqa: SIM115 (closed below)
        collectstatic = subprocess.Popen(  # noqa: S603 (the project's manage.py, no shell)
            [sys.executable, "manage.py", "collectstatic", "--noinput"],
            env=env,
            cwd=REPO,
            stdout=static_log,
            stderr=subprocess.STDOUT,
        )
        step(env, "migrate (an empty database only)", "bench/pages_steps.py", "migrate")
        if args.seed == "load" or (args.seed == "auto" and has_seed_load()):
            step(env, f"seed_load --patients {args.patients}", "manage.py", "seed_load",
                 "--patients", str(args.patients))  # fmt: skip
        else:
            # seed_demo refuses to run with DEBUG off (it must never touch a real clinic).
            if args.seed == "auto":
                print("  (no seed_load yet: seed_demo instead, whatever --patients says)")
            step({**env, "DJANGO_DEBUG": "1"}, "seed_demo", "manage.py", "seed_demo")
        data_path = tmp / "data.json"
        step(env, "users and the 10- and 200-session patients", "bench/pages_steps.py",
             "prepare", str(data_path))  # fmt: skip
        data = json.loads(data_path.read_text())
        if collectstatic.wait() != 0:
            static_log.seek(0)
            raise RuntimeError(f"collectstatic failed:\n{static_log.read()}")
        static_log.close()

        port = free_port()
        server = Server(
            env=env,
            port=port,
            workers=args.workers,
            worker_class="sync",
            threads=1,
            log_path=tmp / "gunicorn.log",
        )
        server.wait_healthy()
        print(f"gunicorn on 127.0.0.1:{port}: {args.workers} sync workers, DEBUG off", flush=True)

        cookies = {}
        for role, account in data["accounts"].items():
            browser = Browser(port=port, stats=Stats(), scheme="http", timeout=60)
            log_in(browser, account)
            cookies[role] = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())

        values = {
            k: quote_plus(str(v)) if v is not None else None for k, v in data["paths"].items()
        }
        pages = []
        for name, role, pattern in PAGES:
            if pattern == "{fhir}":
                if values["fhir"] is None:
                    print(f"  skipped: {name} (no such URL yet)")
                    continue
                path = data["paths"]["fhir"]
            else:
                path = pattern.format(**values)
            if args.only.lower() in name.lower():
                pages.append((name, role, path))

        failures = []
        alone = {}  # page -> the numbers of its last request before the runs, alone
        print("Checking each page answers 200 ...", flush=True)
        for name, role, path in [("bare view", "acupuncturist", BARE), *pages]:
            status, location, headers = get(port, path, cookies[role])
            if status != 200:
                failures.append(f"{name}: {status} {location}".strip())
            elif "Server-Timing" not in headers:
                failures.append(f"{name}: no Server-Timing header (is ACUCLINIC_BENCH on?)")
            for _ in range(args.warmup):
                status, location, headers = get(port, path, cookies[role])
            alone[name] = server_timing(headers.get("Server-Timing", ""))
        if failures:
            raise RuntimeError("pages that do not answer 200:\n  " + "\n  ".join(failures))

        sizes = ", ".join(f"{n:,} {what}" for what, n in data["sizes"].items())
        print(
            f"Data: {sizes}\nwrk: {args.connections} connections, {args.seconds} s a page, "
            f"{args.bare_seconds} s a bare run between pages",
            flush=True,
        )
        runs = {}
        load_before = os.getloadavg()

        def measure(path, role, seconds):
            return wrk(
                port,
                path,
                cookies[role],
                seconds=seconds,
                connections=args.connections,
                threads=args.threads,
            )

        # (pages measured before it, bare run)
        bares = [(0, measure(BARE, "acupuncturist", args.bare_seconds))]
        for index, (name, role, path) in enumerate(pages, start=1):
            runs[name] = measure(path, role, args.seconds)
            print(f"  {name}: {per_request(runs[name])['rps']:.1f}/s", flush=True)
            if index % args.bare_every == 0 or index == len(pages):
                bares.append((index, measure(BARE, "acupuncturist", args.bare_seconds)))
        load_after = os.getloadavg()
        workers = server.workers()
        memory = peak_memory(workers)

        bare_runs = [run for _position, run in bares]
        bare_all = {
            key: sum(run[key] for run in bare_runs)
            for key in ("requests", "seconds", "timed", "queries", "cpu_ms", "db_ms")
        }
        bare_numbers = per_request(bare_all | {"p50_ms": 0.0, "p95_ms": 0.0})
        bare_numbers["p50"] = median(run["p50_ms"] for run in bare_runs)
        bare_numbers["p95"] = median(run["p95_ms"] for run in bare_runs)
        rows = [("bare view", ROLES["acupuncturist"], bare_numbers, 1.0)]
        notes = []
        for index, (name, role, _path) in enumerate(pages, start=1):
            failures += [f"{name}: {p}" for p in problems_of(runs[name])]
            if not runs[name]["answers"]:
                # Slower than the run (a 1 s smoke run, a busy machine, a hot spot): the
                # check before the runs saw it answer 200, and measured one request.
                late = f"> {args.seconds * 1000}"
                numbers = {"rps": 0.0, "p50": late, "p95": late, **alone[name]}
                rows.append((f"{name} *", ROLES[role], numbers, 0.0))
                notes.append(
                    f"* {name}: no request finished within the {args.seconds} s run; its "
                    "queries, CPU and DB time are of one request alone, before the runs"
                )
                continue
            numbers = per_request(runs[name])
            before = [run for position, run in bares if position < index][-1]
            after = next(run for position, run in bares if position >= index)
            mean = (per_request(before)["rps"] + per_request(after)["rps"]) / 2
            rows.append((name, ROLES[role], numbers, numbers["rps"] / mean if mean else 0.0))
        for number, run in enumerate(bare_runs, start=1):
            failures += [f"bare view (run {number}): {p}" for p in problems_of(run)]

        lines = ["", *table(rows), ""]
        lines.append(
            "gunicorn workers' peak memory (VmHWM): "
            + ", ".join(f"{kb / 1024:.0f} MB" for kb in memory.values())
        )
        lines.append(
            f"Load average {load_before[0]:.1f} before, {load_after[0]:.1f} after, on "
            f"{os.cpu_count()} cores. The bare view's p50 and p95 are the medians of its "
            f"{len(bare_runs)} runs; each page's ratio is to the bare runs either side of it."
        )
        lines += notes
        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    {
                        "sizes": data["sizes"],
                        "pages": {name: runs[name] for name, _r, _p in pages},
                        "bare": bare_runs,
                        "peak_memory_kb": memory,
                        "failures": failures,
                    },
                    indent=2,
                )
            )
        if failures:
            lines += ["", "FAIL: a page answered anything but 200"]
            lines += [f"  {f}" for f in failures]
        print("\n".join(lines), flush=True)
        return 1 if failures else 0
    except KeyboardInterrupt:
        print("\nInterrupted: stopping gunicorn and cleaning up.", file=sys.stderr)
        return 1
    except (RuntimeError, GaveUp) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        if server is not None:
            print(f"gunicorn's log, its end:\n{server.tail()}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"Kept {tmp} (gunicorn.log, data.json with passwords)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
