"""Benchmark of the portal against a naive minimal stack: `.venv/bin/python bench/run.py`.

Starts its own portal on PostgreSQL (data in var/bench/, databases portal_bench_*, RabbitMQ vhost
portal-bench, gateway on 18180) and a naive stack (nginx `auth_request` + one Flask file under
gunicorn + one PostgreSQL row, on 18190), then prints:
  (a) wrk requests/s and latency of an authenticated API read through each gateway;
  (b) the delay from a member registration (HTTP 201 from members) to its row in workforce's database.
Everything it started is stopped at the end, also on Ctrl-C or failure. It measures, it never asserts
on time: compare the ratios of one run, not absolute figures across runs or machines.

Billing's January rush has its own script: `.venv/bin/python bench/billing_rush.py [--count N]` (README).
The session check's cost at the gateway and logins under concurrency: `.venv/bin/python bench/identity_sessions.py`.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import requests

from portal_common.validators import is_valid_siren, is_valid_siret
from portal_stack.__main__ import honcho_command, prepare
from portal_stack.environment import stack_environment
from portal_stack.services import SERVICES

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
DATA_DIR = ROOT / "var" / "bench"
PYTHON_BIN = Path(sys.executable).parent

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
DB_PREFIX = "portal_bench"
NAIVE_DB = "portal_bench_naive"
VHOST = "portal-bench"
GATEWAY_PORT, PORT_BASE = 18180, 18100  # services on 18101..18105, away from a `make run` on 8080/8101..
NAIVE_PORT, NAIVE_APP_PORT = 18190, 18191
NGINX = "/usr/sbin/nginx"
NAIVE_COOKIE = "s=naive-bench-session"  # given to naive_app as NAIVE_SESSION

STAFF, MEMBER = "secretariat@spsti-demo.fr", "1000001"
PASSWORD = "demo-espace-adherent-2026"
PORTAL_READ = "/api/members/members/current"
REGISTRATIONS = 50
WRK_ARGS = ["-t2", "-c8", "--latency"]
WRK_SECONDS = 10


# --- prerequisites ---------------------------------------------------------------------------------


def ensure_wrk() -> str:
    if shutil.which("wrk") is None:
        if os.geteuid() != 0:
            sys.exit("wrk is missing: install it with `sudo apt-get install -y wrk`, then run again.")
        print("Installing wrk (apt-get)…", flush=True)
        install = ["apt-get", "install", "-y", "-q", "wrk"]
        if subprocess.run(install, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, check=True)
            subprocess.run(install, stdout=subprocess.DEVNULL, check=True)
    return shutil.which("wrk") or sys.exit("wrk is still missing after apt-get install.")


def check_ports_free(ports: list[int]) -> None:
    for port in ports:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx/gunicorn: TIME_WAIT is no owner
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sys.exit(f"port {port} is busy (a previous bench still running? `pgrep -af 'honcho|nginx'`)")


def reset_databases(names: list[str]) -> None:
    """Fresh databases every run, so runs are comparable (stack_environment creates the portal's again)."""
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_vhost() -> None:
    """A fresh RabbitMQ vhost: no queue or message left over from an earlier run."""
    vhosts = subprocess.run(["rabbitmqctl", "-q", "list_vhosts"], capture_output=True, text=True, check=True)
    if VHOST in vhosts.stdout.split():
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", VHOST], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", VHOST], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def wait_until(what: str, ready: Callable[[], bool], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (requests.RequestException, RuntimeError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s, see {log}")


def groups_below(pid: int) -> set[int]:
    """Process groups of `pid`'s descendants: honcho puts each of its processes in a session of its own."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            children.setdefault(int(stat.read_text().rsplit(")", 1)[1].split()[1]), []).append(int(stat.parent.name))
    groups: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            with contextlib.suppress(ProcessLookupError):
                groups.add(os.getpgid(child))
            todo.append(child)
    return groups


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process's group, wait for it and every group it started, SIGKILL what is left after 20 s."""
    groups = {process.pid} | groups_below(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # honcho forwards it to each of its processes
    deadline = time.monotonic() + 20
    while groups and time.monotonic() < deadline:
        process.poll()  # reap our child, or its zombie keeps its group alive
        for group in list(groups):
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                groups.discard(group)  # gunicorn masters outlive the `sh -c` honcho waits for: wait for them too
        time.sleep(0.1)
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    process.wait()


def start_group(command: list[str], env: dict[str, str], log: Path, stack: contextlib.ExitStack) -> None:
    with log.open("wb") as out:
        # Own session/process group: Ctrl-C reaches only us, and stop_group reaches exactly these processes.
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    stack.callback(stop_group, process)


# --- the portal ------------------------------------------------------------------------------------


def start_portal(stack: contextlib.ExitStack, settings: dict[str, str] | None = None) -> dict[str, str]:
    """The portal started for a bench; `settings` override the bench's PORTAL_* defaults below."""
    reset_databases([f"{DB_PREFIX}_{s.name}" for s in SERVICES])
    reset_vhost()
    (DATA_DIR / "nginx" / "access.log").unlink(missing_ok=True)  # ~1 MB per run otherwise, forever
    # Only our settings: a PORTAL_* or *_DATABASE_URL of the caller's shell must not leak into the bench.
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and not k.endswith("_DATABASE_URL")}
    environ.update(
        PORTAL_DATA_DIR=str(DATA_DIR),
        PORTAL_GATEWAY_PORT=str(GATEWAY_PORT),
        PORTAL_PORT_BASE=str(PORT_BASE),
        PORTAL_DB_PREFIX=DB_PREFIX,
        PORTAL_POSTGRES_URL=PG_SERVER.replace("postgresql://", "postgresql+psycopg://"),
        PORTAL_BROKER_URL=f"amqp://guest:guest@127.0.0.1:5672/{VHOST}",
        PORTAL_LOGIN_RATE="600r/m",
        PORTAL_MAIL_CATCHER="0",
        PORTAL_CARD_PROVIDER="0",
    )  # the bench logs in repeatedly while waiting for the stack
    environ.update(settings or {})
    env = stack_environment(environ)
    procfile = prepare(env)
    log = DATA_DIR / "portal.log"
    start_group(honcho_command(env, procfile), env, log, stack)
    url = env["PORTAL_PUBLIC_URL"]
    wait_until(
        "portal gateway",
        lambda: (
            requests.get(f"{url}/healthz", timeout=1).ok
            and all(requests.get(f"http://127.0.0.1:{s.port(env)}/healthz", timeout=1).ok for s in SERVICES)
        ),
        90,
        log,
    )
    wait_until("portal login", lambda: login(url, MEMBER) is not None, 30, log)
    wait_until("portal event backlog", lambda: events_settled(env), 60, log)
    return env


def events_settled(env: dict[str, str]) -> bool:
    """The demo's start-up events are out of every outbox and every queue, so they don't load the measures.

    Rows with attempts > 0 may stay pending for good: an event type no queue is bound to is retried
    with backoff by its relay, that is background noise, not a backlog.
    """
    for service in SERVICES:
        url = env[f"{service.name.upper()}_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url) as conn:
            if conn.execute("SELECT 1 FROM outbox WHERE published_at IS NULL AND attempts = 0 LIMIT 1").fetchone():
                return False
    queues = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", VHOST, "messages"], capture_output=True, text=True, check=True
    ).stdout.split()
    return all(depth == "0" for depth in queues if depth.isdigit())


def login(url: str, identifier: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/connexion", timeout=5)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if match is None:
        raise RuntimeError("no csrf_token on /connexion")
    answer = session.post(
        f"{url}/connexion",
        headers={"Origin": url},
        allow_redirects=False,
        timeout=10,
        data={"identifier": identifier, "password": PASSWORD, "csrf_token": match[1], "next": "/"},
    )
    if answer.status_code != 303 or "portal_session" not in session.cookies:
        raise RuntimeError(f"login of {identifier} failed: HTTP {answer.status_code}")
    return session


# --- the naive stack -------------------------------------------------------------------------------

NAIVE_NGINX_CONF = """\
daemon on;
worker_processes 2;  # as the portal's gateway
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body_temp;
    proxy_temp_path {prefix}/proxy_temp;
    fastcgi_temp_path {prefix}/fastcgi_temp;
    uwsgi_temp_path {prefix}/uwsgi_temp;
    scgi_temp_path {prefix}/scgi_temp;
    proxy_http_version 1.1;
    upstream app {{ server 127.0.0.1:{app_port}; keepalive 16; keepalive_timeout 1s; }}
    server {{
        listen 127.0.0.1:{port};
        location = /auth {{
            internal;
            proxy_pass http://app/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Connection "";
        }}
        location = /item {{
            auth_request /auth;
            proxy_pass http://app/item;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def start_naive(stack: contextlib.ExitStack) -> str:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (NAIVE_DB,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{NAIVE_DB}"')
    env = dict(
        os.environ,
        NAIVE_SESSION=NAIVE_COOKIE.split("=", 1)[1],
        NAIVE_DATABASE_URL=f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{NAIVE_DB}",
    )
    # The same worker model as the portal's services (portal_stack's Procfile).
    env.update(
        PORTAL_WEB_BIND=f"127.0.0.1:{NAIVE_APP_PORT}",
        PORTAL_WEB_WORKERS="1",
        PORTAL_WEB_THREADS="8",
        PORTAL_WEB_ACCESS_LOG="off",
    )
    start_group(
        [
            str(PYTHON_BIN / "gunicorn"),
            "-c",
            "python:portal_common.gunicorn_conf",
            "--chdir",
            str(BENCH_DIR),
            "naive_app:app",
        ],
        env,
        DATA_DIR / "naive-gunicorn.log",
        stack,
    )

    prefix = DATA_DIR / "naive-nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(NAIVE_NGINX_CONF.format(prefix=prefix, port=NAIVE_PORT, app_port=NAIVE_APP_PORT))
    conf.chmod(0o644)  # nginx workers run as nobody
    nginx = [NGINX, "-p", f"{prefix}/", "-c", str(conf)]
    with (prefix / "start.log").open("wb") as out:  # a file, not a pipe: the daemon must not hold our pipe
        if subprocess.run(nginx, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
            raise RuntimeError(f"naive nginx did not start, see {prefix / 'start.log'} and {prefix / 'error.log'}")
    stack.callback(stop_nginx, nginx, prefix / "nginx.pid")

    url = f"http://127.0.0.1:{NAIVE_PORT}"
    wait_until(
        "naive stack",
        lambda: requests.get(f"{url}/item", headers={"Cookie": NAIVE_COOKIE}, timeout=1).ok,
        30,
        DATA_DIR / "naive-gunicorn.log",
    )
    return url


def stop_nginx(nginx: list[str], pid_file: Path) -> None:
    subprocess.run([*nginx, "-s", "quit"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)


# --- measurements ----------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: str  # wrk's lines about non-2xx answers and socket errors, empty when none


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(wrk: str, url: str, cookie: str, seconds: int) -> WrkResult:
    output = subprocess.run(
        [wrk, *WRK_ARGS, f"-d{seconds}s", "-H", f"Cookie: {cookie}", url], capture_output=True, text=True, check=True
    ).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    errors = re.findall(r"^\s*(Non-2xx or 3xx responses: \d+|Socket errors: .*)$", output, re.MULTILINE)
    return WrkResult(
        float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),  # type: ignore[index]
        _ms(latency["50"]),
        _ms(latency["99"]),
        "; ".join(errors),
    )


def measure_read(wrk: str, url: str, cookie: str) -> WrkResult:
    run_wrk(wrk, url, cookie, 2)  # warm-up: pools, keepalive connections, Python caches
    return run_wrk(wrk, url, cookie, WRK_SECONDS)


def valid_siret(rng: random.Random) -> str:
    # A SIREN with its own Luhn key, then a NIC whose last digit is the key of the 14 digits.
    body = str(rng.randrange(10**7, 10**8))
    siren = next(body + key for key in "0123456789" if is_valid_siren(body + key))
    nic = f"{rng.randrange(1, 10**4):04d}"
    return next(siren + nic + key for key in "0123456789" if is_valid_siret(siren + nic + key))


def measure_events(env: dict[str, str]) -> list[float]:
    """Milliseconds from each registration's 201 to its row in workforce's member_directory."""
    url = env["PORTAL_PUBLIC_URL"]
    staff = login(url, STAFF)
    rng = random.Random()
    delays = []
    workforce_db = env["WORKFORCE_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(workforce_db, autocommit=True) as conn:  # autocommit: each poll sees new commits
        for index in range(REGISTRATIONS):
            answer = staff.post(
                f"{url}/api/members/members",
                headers={"Origin": url},
                timeout=10,
                json={
                    "name": f"Entreprise banc {index + 1}",
                    "siret": valid_siret(rng),
                    "address_line1": "1 rue du Banc",
                    "postal_code": "68100",
                    "city": "Mulhouse",
                    "adhesion_date": date.today().isoformat(),
                },
            )
            created = time.perf_counter()
            if answer.status_code != 201:
                raise RuntimeError(f"registration answered HTTP {answer.status_code}: {answer.text[:300]}")
            member_id = answer.json()["id"]
            while conn.execute("SELECT 1 FROM member_directory WHERE member_id = %s", (member_id,)).fetchone() is None:
                if time.perf_counter() - created > 30:
                    raise RuntimeError(f"member {member_id} never reached workforce, see {DATA_DIR / 'portal.log'}")
                time.sleep(0.005)
            delays.append((time.perf_counter() - created) * 1000)
    return delays


# --- main ------------------------------------------------------------------------------------------


def summary(portal: WrkResult, naive: WrkResult, delays: list[float]) -> str:
    def row(label: str, what: str, r: WrkResult) -> str:
        return (
            f"  {label:<7} {what:<38} {r.requests_per_s:7.0f} req/s   p50 {r.p50_ms:5.1f} ms   p99 {r.p99_ms:5.1f} ms"
        )

    lines = [
        f"Authenticated API read through the gateway (wrk {' '.join(WRK_ARGS[:2])} {WRK_SECONDS}s)",
        row("portal", f"GET {PORTAL_READ}", portal),
        row("naive", "nginx+auth_request+Flask+PG row", naive),
        f"  {'ratio':<7} {'portal/naive':<38} {portal.requests_per_s / naive.requests_per_s:7.2f} × req/s"
        f"   {portal.p99_ms / naive.p99_ms:.2f} × p99",
    ]
    for label, result in (("portal", portal), ("naive", naive)):
        if result.errors:
            lines.append(f"  WARNING {label}: {result.errors} (the figures above include failed requests)")
    p95 = statistics.quantiles(delays, n=20, method="inclusive")[18]
    lines += [
        f"Write → effect in another service ({len(delays)} member registrations, members → workforce)",
        f"  p50 {statistics.median(delays):.0f} ms   p95 {p95:.0f} ms   max {max(delays):.0f} ms",
    ]
    return "\n".join(lines)


def main() -> None:
    # SIGTERM ends like Ctrl-C: the ExitStack below stops everything started so far.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wrk = ensure_wrk()
    load_before = os.getloadavg()[0]  # other work on the machine skews both stacks: show it
    check_ports_free([GATEWAY_PORT, *(PORT_BASE + s.offset for s in SERVICES), NAIVE_PORT, NAIVE_APP_PORT])
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATA_DIR.chmod(0o755)  # nginx workers (user nobody) must traverse it
    stack = contextlib.ExitStack()  # what to stop, pushed as each piece starts
    try:
        print("Starting the portal (PostgreSQL, vhost portal-bench)…", flush=True)
        env = start_portal(stack)
        print("Starting the naive stack…", flush=True)
        naive_url = start_naive(stack)

        portal_url = env["PORTAL_PUBLIC_URL"] + PORTAL_READ
        member_cookie = f"portal_session={login(env['PORTAL_PUBLIC_URL'], MEMBER).cookies['portal_session']}"
        check = requests.get(portal_url, headers={"Cookie": member_cookie}, timeout=5)
        if check.status_code != 200:  # wrk would happily measure error pages
            raise RuntimeError(f"{PORTAL_READ} answered HTTP {check.status_code}: {check.text[:300]}")
        print(f"wrk on the portal ({WRK_SECONDS + 2} s)…", flush=True)
        portal = measure_read(wrk, portal_url, member_cookie)
        print(f"wrk on the naive stack ({WRK_SECONDS + 2} s)…", flush=True)
        naive = measure_read(wrk, f"{naive_url}/item", NAIVE_COOKIE)
        print(f"Registering {REGISTRATIONS} members…", flush=True)
        delays = measure_events(env)
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("Stopping everything the bench started…", flush=True)
        stack.close()
    print(f"\n{os.cpu_count()} cores, 1-min load average before the run: {load_before:.1f}")
    print(summary(portal, naive, delays))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: everything the bench started has been stopped")
    except RuntimeError as exc:  # our own failures name the log to read
        sys.exit(f"bench failed: {exc} (everything it started has been stopped)")
