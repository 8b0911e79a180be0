"""Load and fault test: patients fill in intakes while practitioners log and sign sessions.

    .venv/bin/python bench/load.py --duration 60 --patients 50 --practitioners 10 \\
        --workers 4 --kill-worker

Without DATABASE_URL the script runs itself under scripts/with-postgres (a throwaway
PostgreSQL cluster). It migrates an empty database, creates the practitioners, their
patients and the intake links, starts gunicorn on a free loopback port with production
settings, and runs the clients for --duration seconds: each patient client walks the
public intake like a phone (every step, then the thank-you page) and takes the next
link; each practitioner client logs in and logs sessions with "Save and sign". With
--kill-worker one gunicorn worker is killed (SIGKILL) a third of the way in.

A client counts what it saw succeed. A request that gets no answer (a killed worker)
is sent again as it was; the answer then says what happened. At the end the database
is compared with the clients' counts.

Pass (exit 0): no 5xx, no client gave up, and the database holds exactly what the
clients completed: every intake they saw thanked for is submitted, nothing else is;
every session they saw signed is signed, once. Fail: exit 1. Could not run: exit 2.
See bench/README.md.
"""

import argparse
import collections
import http.client
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from clients import Run, Stats, patient_client, practitioner_client, redact

REPO = Path(__file__).resolve().parent.parent


# --- The server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        pass
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent's pid is the second field after the ")" that ends the name.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its waited-for children, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, in ticks (/proc/stat)."""
    try:
        fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def gunicorn_settings() -> set[str]:
    """The names of the settings the installed gunicorn knows."""
    from gunicorn.config import KNOWN_SETTINGS

    return {setting.name for setting in KNOWN_SETTINGS}


class Server:
    def __init__(self, *, env, port, workers, worker_class, threads, log_path):
        self.port = port
        self.log_path = log_path
        self.log = open(log_path, "ab")  # closed in stop()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "acuclinic.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--timeout",
            "30",
            "--graceful-timeout",
            "10",
            "--chdir",
            str(REPO),
        ]
        if "control_socket_disable" in gunicorn_settings():
            # gunicorn 25.1+ opens a control socket in the home folder by default,
            # shared by every gunicorn of the user: this one needs none.
            command.append("--no-control-socket")
        # Its own session: a Ctrl-C in the terminal reaches this script, which stops
        # gunicorn itself.
        self.process = subprocess.Popen(  # noqa: S603 (a fixed command, no shell)
            command, env=env, stdout=self.log, stderr=self.log, start_new_session=True
        )

    def wait_healthy(self, timeout=60.0) -> None:
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz", headers={"Host": f"127.0.0.1:{self.port}"})
                answer = conn.getresponse()
                body = answer.read()
                conn.close()
                if answer.status == 200 and body.strip() == b"ok":
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz in {timeout:.0f} s:\n{self.tail()}")

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in [self.process.pid, *self.workers()])

    def tail(self, lines=60) -> str:
        try:
            text = Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def tracebacks(self, limit=3) -> list[str]:
        """The first few tracebacks in gunicorn's log (Django logs each 500 with one),
        with the line before each (Django's "Internal Server Error: <path>")."""
        lines = Path(self.log_path).read_text(errors="replace").splitlines()
        blocks = []
        i = 0
        while i < len(lines) and len(blocks) < limit:
            if not lines[i].startswith("Traceback (most recent call last):"):
                i += 1
                continue
            start = max(0, i - 1)
            i += 1
            # A traceback runs on through indented lines and chained exceptions; it
            # ends with the first unindented line not followed by more of it.
            while i < len(lines):
                line = lines[i]
                following = lines[i + 1] if i + 1 < len(lines) else ""
                i += 1
                if line.startswith((" ", "Traceback", "During handling", "The above")) or not line:
                    continue
                if following.startswith(("During handling", "The above")) or not following:
                    continue
                break
            block = redact("\n".join(lines[start:i]))
            if block not in blocks:
                blocks.append(block)
        return blocks

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


def kill_workers(run, server: Server, times: list[float]) -> None:
    """SIGKILL one worker at each of `times` (seconds into the run; every worker is
    busy then, so a request dies with it), and watch gunicorn start a replacement."""
    for at in times:
        if run.stopping.wait(max(0.0, run.start + at - time.monotonic())):
            return
        before = server.workers()
        if not before:
            run.stats.problem("--kill-worker: gunicorn has no workers to kill")
            run.kill_failed = True
            return
        victim = random.Random().choice(before)  # noqa: S311 (which worker, not a secret)
        os.kill(victim, signal.SIGKILL)
        killed_at = run.stats.elapsed()
        run.stats.event(f"killed gunicorn worker {victim} (SIGKILL); workers were {before}")
        until = time.monotonic() + 30
        while not run.stopping.is_set():
            now = server.workers()
            new = [pid for pid in now if pid not in before]
            if new and victim not in now:
                run.stats.event(
                    f"gunicorn started worker {new[0]} in its place, "
                    f"{run.stats.elapsed() - killed_at:.1f} s later"
                )
                break
            if time.monotonic() > until:
                run.stats.problem("--kill-worker: no replacement worker within 30 s")
                run.kill_failed = True
                return
            time.sleep(0.05)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def check_database(run: Run, counted: dict) -> list[str]:
    """Compare the database with what the clients completed. Returns the report lines
    and appends every mismatch to run.failures."""
    lines = []
    expected = collections.Counter(run.intakes)
    submitted = counted["submitted_intakes"]  # patient code -> [medicines, regions]
    found = collections.Counter(submitted.keys())
    missing = sorted(expected - found)
    unexpected = sorted(found - expected)
    repeated_by_clients = sorted(code for code, n in expected.items() if n > 1)
    duplicates = {code: n for code, n in counted["intakes_per_patient"].items() if n > 1}
    half_saved = sorted(
        code for code, (meds, regions) in submitted.items() if meds != 1 or not regions
    )
    lines.append(
        f"  submitted intakes: clients completed {sum(expected.values())}, database has "
        f"{len(submitted)}; lost {len(missing)}, not seen by a client {len(unexpected)}, "
        f"patients with more than one intake {len(duplicates)}, "
        f"submitted without their medicine or pain regions {len(half_saved)}"
    )
    for label, items in (
        ("intake completed by a client but not submitted in the database", missing),
        ("intake submitted in the database but no client saw it thanked", unexpected),
        ("intake counted twice by the clients", repeated_by_clients),
        ("patient with more than one intake", sorted(duplicates)),
        ("submitted intake missing its medicine or pain regions", half_saved),
    ):
        for code in items[:5]:
            run.failures.append(f"{label}: patient {code}")
        if len(items) > 5:
            run.failures.append(f"... and {len(items) - 5} more: {label}")

    sessions = counted["sessions"]
    signed = collections.Counter(s["marker"] for s in sessions if s["status"] == "signed")
    every = collections.Counter(s["marker"] for s in sessions)
    expected = collections.Counter(run.sessions)
    missing = sorted(expected - signed)
    unexpected = sorted(signed - expected)
    duplicates = sorted(m for m, n in every.items() if n > 1)
    drafts = [s for s in sessions if s["status"] != "signed"]
    wrong_points = [s for s in sessions if s["points"] != 3]
    no_token = [s for s in sessions if not s["form_token"]]
    lines.append(
        f"  signed sessions: clients signed {sum(expected.values())}, database has "
        f"{sum(signed.values())}; lost {len(missing)}, not seen by a client {len(unexpected)}, "
        f"duplicates {len(duplicates)}, left unsigned {len(drafts)}, "
        f"without their 3 points {len(wrong_points)}, without a form token {len(no_token)}"
    )
    for label, items in (
        ("session signed by a client but not signed in the database", missing),
        ("session signed in the database but no client saw it signed", unexpected),
        ("session saved more than once", duplicates),
        ("session left unsigned", [f"{s['marker']} ({s['status']})" for s in drafts]),
        ("session without its 3 points", [f"{s['marker']} ({s['points']})" for s in wrong_points]),
        ("session without a form token", [s["marker"] for s in no_token]),
    ):
        for item in items[:5]:
            run.failures.append(f"{label}: {item}")
        if len(items) > 5:
            run.failures.append(f"... and {len(items) - 5} more: {label}")
    return lines


def report(run: Run, server_cpu: float, client_cpu: float, busy: float, wall: float) -> list[str]:
    stats = run.stats
    lines = []
    total = sum(len(v) for v in stats.latencies.values())
    no_answer = sum(stats.connection_errors.values())
    lines.append(
        f"Requests: {total} answered in {wall:.1f} s ({total / wall:.0f}/s), "
        f"{no_answer} sent without an answer (then retried); "
        f"completed {len(run.intakes)} intakes and {len(run.sessions)} signed sessions"
    )
    lines.append(
        f"CPU: gunicorn {server_cpu:.0f} s, load clients {client_cpu:.0f} s; the machine's "
        f"{os.cpu_count()} cores were {busy:.0%} busy (PostgreSQL and anything else running "
        "included; latencies include waiting for a CPU)"
    )
    lines += [
        "",
        f"  {'request':<28}{'count':>7}{'5xx':>6}{'4xx':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}",
    ]
    every = []
    for kind in sorted(stats.latencies):
        values = stats.latencies[kind]
        every += values
        statuses = stats.statuses[kind]
        s5 = sum(n for s, n in statuses.items() if s >= 500)
        s4 = sum(n for s, n in statuses.items() if 400 <= s < 500)
        lines.append(
            f"  {kind:<28}{len(values):>7}{s5:>6}{s4:>6}{percentile(values, 0.5) * 1000:>9.0f}"
            f"{percentile(values, 0.95) * 1000:>9.0f}{max(values) * 1000:>9.0f}"
        )
    if every:
        s5 = sum(n for c in stats.statuses.values() for s, n in c.items() if s >= 500)
        s4 = sum(n for c in stats.statuses.values() for s, n in c.items() if 400 <= s < 500)
        lines.append(
            f"  {'all':<28}{len(every):>7}{s5:>6}{s4:>6}{percentile(every, 0.5) * 1000:>9.0f}"
            f"{percentile(every, 0.95) * 1000:>9.0f}{max(every) * 1000:>9.0f}"
        )
    lines.append("")
    if stats.connection_errors:
        lines.append("Requests without an answer (each sent again):")
        for (kind, name), n in sorted(stats.connection_errors.items()):
            lines.append(f"  {kind}: {name} x{n}")
    else:
        lines.append("Requests without an answer: none")
    if stats.events:
        lines.append("Events:")
        lines += [f"  {at:6.1f}s {text}" for at, text in stats.events]
    return lines


def django_env(args, tmp: Path, scheme: str) -> dict:
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
        INTAKE_RATE_LIMIT="100000/m",  # every client comes from 127.0.0.1
        INTAKE_START_RATE_LIMIT="100000/m",
        DJANGO_DB_POOL_MAX_SIZE=str(max(10, args.threads + 2)),
    )
    if scheme == "https":
        env["DJANGO_BEHIND_HTTPS_PROXY"] = "1"
    return env


def run_step(env, *arguments) -> None:
    command = [sys.executable, str(REPO / "bench" / "django_steps.py"), *arguments]
    result = subprocess.run(command, env=env, cwd=REPO, check=False)  # noqa: S603 (fixed command)
    if result.returncode != 0:
        raise RuntimeError(f"django_steps.py {arguments[0]} failed ({result.returncode})")


def main() -> int:
    parser = argparse.ArgumentParser(
        description="AcuClinic load and fault test (see bench/README.md)."
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (60)")
    parser.add_argument("--patients", type=int, default=50, help="patient clients (50)")
    parser.add_argument("--practitioners", type=int, default=10, help="practitioner clients (10)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument(
        "--kill-worker", action="store_true", help="SIGKILL a worker a third of the way in"
    )
    parser.add_argument(
        "--kills",
        type=int,
        default=0,
        help="SIGKILL a worker this many times, spread over the run (--kill-worker: 1)",
    )
    parser.add_argument(
        "--two-factor",
        action="store_true",
        help="give the practitioners authenticator devices: they log in with a code",
    )
    parser.add_argument(
        "--links-per-patient",
        type=int,
        default=None,
        help="intake links each patient client gets (default: enough for the duration)",
    )
    parser.add_argument("--patients-per-practitioner", type=int, default=5)
    parser.add_argument("--think", type=float, default=0, help="mean pause between operations")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait per request")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        # One command: a throwaway PostgreSQL for this run. CI=true makes a missing
        # PostgreSQL a failure instead of a quiet skip.
        script = str(REPO / "scripts" / "with-postgres")
        command = [script, sys.executable, *sys.argv]
        # The project's own script, then this one again: no shell, no outside input.
        os.execve(script, command, {**os.environ, "CI": "true"})  # noqa: S606
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print("bench: DATABASE_URL must point at an empty PostgreSQL database.", file=sys.stderr)
        return 2
    if args.worker_class == "sync":
        args.threads = 1
    links = args.links_per_patient or max(10, int(args.duration / 3))
    kills = max(args.kills, 1 if args.kill_worker else 0)

    def stop_on_term(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_term)
    tmp = Path(tempfile.mkdtemp(prefix="acuclinic-bench-"))
    server = None
    run = None
    try:
        scheme = "http"
        env = django_env(args, tmp, scheme)
        data_path = tmp / "data.json"
        started = time.monotonic()
        print(
            f"Setting up: migrate, collectstatic, {args.practitioners} practitioners with "
            f"{args.patients_per_practitioner} patients each, {args.patients * links} intake links",
            flush=True,
        )
        run_step(
            env,
            "setup",
            str(data_path),
            "--practitioners",
            str(args.practitioners),
            "--patients-per-practitioner",
            str(args.patients_per_practitioner),
            "--patient-clients",
            str(args.patients),
            "--links-per-client",
            str(links),
            *(["--two-factor"] if args.two_factor else []),
        )
        data = json.loads(data_path.read_text())
        if data["settings"]["secure_ssl_redirect"]:
            # The app redirects plain HTTP to HTTPS whatever DJANGO_SECURE_SSL_REDIRECT
            # says: act as a TLS-terminating proxy would (the app honours the header
            # only with DJANGO_BEHIND_HTTPS_PROXY=1).
            scheme = "https"
            env = django_env(args, tmp, scheme)
        print(f"  ready in {time.monotonic() - started:.0f} s", flush=True)

        port = free_port()
        server = Server(
            env=env,
            port=port,
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
            log_path=tmp / "gunicorn.log",
        )
        server.wait_healthy()
        mode = (
            "plain HTTP, DJANGO_SECURE_SSL_REDIRECT=0"
            if scheme == "http"
            else "SSL redirect on: DJANGO_BEHIND_HTTPS_PROXY=1 and X-Forwarded-Proto: https"
        )
        print(
            f"gunicorn on 127.0.0.1:{port}: {args.workers} {args.worker_class} workers"
            f"{f' x {args.threads} threads' if args.worker_class == 'gthread' else ''}, "
            f"DEBUG off, {mode}",
            flush=True,
        )
        print(
            f"Running {args.patients} patients and {args.practitioners} practitioners for "
            f"{args.duration:.0f} s{f', killing a worker x{kills}' if kills else ''} ...",
            flush=True,
        )

        stats = Stats()
        run = Run(
            port=port,
            stats=stats,
            scheme=scheme,
            timeout=args.timeout,
            duration=args.duration,
            think=args.think,
        )
        client_cpu_before = sum(os.times()[:2])
        server_cpu_before = server.cpu()
        machine_before = machine_cpu()
        threads = [
            threading.Thread(target=patient_client, args=(run, n, data["intake_links"][n]))
            for n in range(args.patients)
        ] + [
            threading.Thread(target=practitioner_client, args=(run, n, p))
            for n, p in enumerate(data["practitioners"])
        ]
        for t in threads:
            t.daemon = True
            t.start()
        killer = None
        if kills:
            times = [args.duration * (i + 1) / (kills + 2) for i in range(kills)]
            killer = threading.Thread(target=kill_workers, args=(run, server, times), daemon=True)
            killer.start()
        # Clients finish the intake or session they are in after the deadline.
        grace_until = run.deadline + 6 * args.timeout
        for t in threads:
            t.join(max(0.0, grace_until - time.monotonic()))
        still_running = sum(t.is_alive() for t in threads)
        run.stopping.set()
        if killer:
            killer.join(5)
        wall = stats.elapsed()
        server_cpu = server.cpu() - server_cpu_before
        client_cpu = sum(os.times()[:2]) - client_cpu_before
        machine_after = machine_cpu()
        busy = (machine_after[0] - machine_before[0]) / max(1, machine_after[1] - machine_before[1])
        tracebacks = server.tracebacks() if stats.server_errors else []
        server.stop()
        server = None

        result_path = tmp / "result.json"
        run_step(env, "count", str(result_path))
        counted = json.loads(result_path.read_text())

        lines = report(run, server_cpu, client_cpu, busy, wall)
        lines += ["", "Database check:"]
        lines += check_database(run, counted)
        if stats.server_errors:
            run.failures.append(f"{len(stats.server_errors)} responses with a 5xx status")
            for kind, status, path, title in stats.server_errors[:5]:
                run.failures.append(f"  {status} on {kind} {path}: {title}")
        if still_running:
            run.failures.append(f"{still_running} clients still running after the grace period")
        if run.kill_failed:
            run.failures.append("the worker kill did not happen as planned")
        if stats.problems:
            run.failures.append(f"{len(stats.problems)} operations given up or refused:")
            run.failures += [f"  {p}" for p in stats.problems[:10]]
        if run.ran_out_of_links:
            lines.append(
                f"Note: {run.ran_out_of_links} patient clients used all {links} links before the "
                "end (raise --links-per-patient)"
            )
        lines.append("")
        if run.failures:
            lines.append("FAIL")
            lines += [f"  {f}" for f in run.failures]
            for tb in tracebacks:
                lines += ["", "gunicorn log, a traceback:", tb]
        else:
            lines.append(
                "PASS: no 5xx, nothing given up, and the database holds exactly what the "
                "clients completed"
            )
        print("\n".join(lines), flush=True)
        return 1 if run.failures else 0
    except KeyboardInterrupt:
        print("\nInterrupted: stopping gunicorn and cleaning up.", file=sys.stderr)
        if run:
            run.stopping.set()
        return 1
    except RuntimeError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"Kept {tmp} (gunicorn.log, data.json with link tokens, result.json)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
