"""Cost of the session check at the gateway, and login under concurrency (not a test).

`.venv/bin/python bench/identity_sessions.py` — about a minute. It starts, on the local PostgreSQL only:
  - identity under gunicorn with the portal's worker model for it (gthread, 2 workers × 8 threads) on 18121, its
    database `portal_bench_identity_sessions` recreated empty (migrated, 21 accounts), dropped at the end;
  - an echo upstream (stdlib HTTP server, keep-alive) standing for every other service, on 18122;
  - the real gateway rendered from gateway/nginx.conf.template (gateway/render.py) on 18120, its files in
    var/bench/identity-sessions/; the per-address login limit is raised so that the measure is of identity,
    not of nginx's 429.
Then it prints, each beside its baseline measured in the same run:
  (a) the session check: GET /adherent (nginx `auth_request` → identity's /internal/session → the upstream) against
      GET /paiement-carte (a public page: the same upstream, no check), interleaved on one keep-alive connection:
      p50, p95 and the p50 the check adds;
  (b) login: the POST /connexion of 20 accounts one at a time (baseline), then 20 at once (3 rounds): p50, p95;
      and one argon2id verification in this process, the floor of any login.
It measures, it never asserts on time: compare the figures of one run, not runs or machines.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import shutil
import signal
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run

from gateway import render
from portal_common import passport
from portal_common.migrations import upgrade

GATEWAY_PORT, IDENTITY_PORT, UPSTREAM_PORT = 18120, 18121, 18122
DB_NAME = "portal_bench_identity_sessions"
DATA_DIR = run.DATA_DIR / "identity-sessions"
MEMBER_ID = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
PASSWORD = "une phrase de passe assez longue pour le banc"
CHECKED, UNCHECKED = "/adherent", "/paiement-carte"  # same upstream; the first behind auth_request
SAMPLES = 1000
WARM_UP = 100
CONCURRENT = 20
ROUNDS = 3


class Echo(BaseHTTPRequestHandler):
    """Stands for members and billing: a constant page, at once."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, the body waits for nginx's delayed ACK
    # (~40 ms) whenever the timing lines up, which measured the echo's socket rather than the session check.
    disable_nagle_algorithm = True
    body = b"<!doctype html><p>ok</p>"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


class EchoServer(ThreadingHTTPServer):
    daemon_threads = True


def environment() -> dict[str, str]:
    url = f"{run.PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{DB_NAME}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and not k.endswith("_DATABASE_URL")}
    signing_key = passport.new_signing_key()
    environ.update(
        PORTAL_ENV="development",
        PORTAL_INTERNAL_KEY=secrets.token_urlsafe(36),
        # Identity signs the passports of the session check with its own Ed25519 key.
        IDENTITY_PASSPORT_SIGNING_KEY=signing_key,
        PORTAL_PASSPORT_PUBLIC_KEYS=f"identity:{passport.public_key_of(signing_key)}",
        IDENTITY_DATABASE_URL=url,
        PORTAL_BROKER_URL="amqp://guest:guest@127.0.0.1:5672/%2F",
        PORTAL_LOG_LEVEL="WARNING",
        PORTAL_PUBLIC_URL=f"http://127.0.0.1:{GATEWAY_PORT}",
    )
    return environ


def prepare_database(env: dict[str, str]) -> None:
    """A fresh, migrated database with one company and 1 + CONCURRENT accounts of it."""
    with psycopg.connect(f"{run.PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    upgrade(run.ROOT / "services" / "identity", env["IDENTITY_DATABASE_URL"])
    from identity.accounts import use_cases as accounts
    from identity.app import create_app
    from identity.models import MemberDirectoryEntry

    portal = create_app(environ=env).extensions["portal"]
    with portal.uow() as tx:
        tx.session.add(
            MemberDirectoryEntry(
                member_id=MEMBER_ID, member_number="1000001", name="Boulangerie Banc", status="active", version=1
            )
        )
        tx.commit()
    for index in range(CONCURRENT + 1):
        user = accounts.create_user(
            portal, email=f"banc{index:02d}@boulangerie-banc.fr", display_name=f"Banc {index}", password=PASSWORD
        )
        accounts.link_member(portal, user_id=user.id, member_id=MEMBER_ID, roles=("admin",))
    portal.db.dispose()


def drop_database() -> None:
    with psycopg.connect(f"{run.PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def start_identity(env: dict[str, str], stack: contextlib.ExitStack) -> None:
    gunicorn = str(run.PYTHON_BIN / "gunicorn")
    web_env = dict(
        env,
        PORTAL_WEB_BIND=f"127.0.0.1:{IDENTITY_PORT}",
        PORTAL_WEB_WORKERS="2",
        PORTAL_WEB_THREADS="8",
        PORTAL_WEB_GRACEFUL_TIMEOUT="5",
        PORTAL_WEB_ACCESS_LOG="off",
    )
    run.start_group(
        [gunicorn, "-c", "python:portal_common.gunicorn_conf", "identity.app:create_app()"],
        web_env,
        DATA_DIR / "identity.log",
        stack,
    )

    def ready() -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", IDENTITY_PORT, timeout=1)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    run.wait_until("identity", ready, 60, DATA_DIR / "identity.log")


def start_gateway(stack: contextlib.ExitStack) -> None:
    upstream = EchoServer(("127.0.0.1", UPSTREAM_PORT), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    stack.callback(upstream.server_close)
    stack.callback(upstream.shutdown)
    upstreams = dict.fromkeys(render.load_routes(), f"127.0.0.1:{UPSTREAM_PORT}")
    upstreams["identity"] = f"127.0.0.1:{IDENTITY_PORT}"
    prefix = DATA_DIR / "nginx"
    shutil.rmtree(prefix, ignore_errors=True)
    render.write_config(
        prefix, listen_port=GATEWAY_PORT, upstreams=upstreams, daemon=True, login_rate="1000r/s", login_burst=1000
    )
    render.start(prefix)
    stack.callback(render.stop, prefix)


# --- a minimal browser over one keep-alive connection ----------------------------------------------------------


class Browser:
    def __init__(self) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", GATEWAY_PORT, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        answer = self.connection.getresponse()
        text = answer.read().decode("utf-8", "replace")
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return answer.status, text

    def login_form(self, email: str) -> str:
        """The POST body of a login, after reading the form (its CSRF token) as a browser does."""
        status, page = self.request("GET", "/connexion")
        if status != 200:
            raise RuntimeError(f"/connexion answered HTTP {status}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]  # type: ignore[index]
        return f"identifier={email}&password={PASSWORD.replace(' ', '+')}&csrf_token={token}&next=/adherent"

    def close(self) -> None:
        self.connection.close()


def timed_login(browser: Browser, body: str) -> float:
    started = time.perf_counter()
    status, _ = browser.request("POST", "/connexion", body)
    spent = (time.perf_counter() - started) * 1000
    if status != 303:
        raise RuntimeError(f"a login answered HTTP {status}, see {DATA_DIR / 'identity.log'}")
    return spent


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def measure_session_check() -> tuple[list[float], list[float]]:
    browser = Browser()
    timed_login(browser, browser.login_form("banc00@boulangerie-banc.fr"))
    checked, unchecked = [], []
    for index in range(WARM_UP + SAMPLES):
        order = (CHECKED, UNCHECKED) if index % 2 else (UNCHECKED, CHECKED)
        for path in order:
            started = time.perf_counter()
            status, _ = browser.request("GET", path)
            spent = (time.perf_counter() - started) * 1000
            if status != 200:
                raise RuntimeError(f"GET {path} answered HTTP {status}")
            if index >= WARM_UP:
                (checked if path == CHECKED else unchecked).append(spent)
    browser.close()
    return checked, unchecked


def measure_logins() -> tuple[list[float], list[float]]:
    emails = [f"banc{index:02d}@boulangerie-banc.fr" for index in range(1, CONCURRENT + 1)]
    sequential = []
    for email in emails:
        browser = Browser()
        sequential.append(timed_login(browser, browser.login_form(email)))
        browser.close()
    concurrent: list[float] = []
    lock = threading.Lock()
    for _ in range(ROUNDS):
        browsers = [Browser() for _ in emails]
        bodies = [b.login_form(email) for b, email in zip(browsers, emails)]
        barrier = threading.Barrier(len(browsers))
        failures: list[BaseException] = []

        def one(browser: Browser, body: str) -> None:
            barrier.wait()  # noqa: B023 - one round, awaited before the next
            try:
                spent = timed_login(browser, body)
            except BaseException as exc:  # reported after the round
                failures.append(exc)  # noqa: B023
                return
            with lock:
                concurrent.append(spent)

        threads = [threading.Thread(target=one, args=pair) for pair in zip(browsers, bodies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for browser in browsers:
            browser.close()
        if failures:
            raise RuntimeError(str(failures[0]))
    return sequential, concurrent


def argon2_floor() -> float:
    from identity.login.passwords import hash_password, verify_password

    stored = hash_password(PASSWORD)
    spent = []
    for _ in range(10):
        started = time.perf_counter()
        verify_password(stored, PASSWORD)
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    render.nginx_binary()
    load_before = os.getloadavg()[0]
    run.check_ports_free([GATEWAY_PORT, IDENTITY_PORT, UPSTREAM_PORT])
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for directory in (run.DATA_DIR, DATA_DIR):
        directory.chmod(0o755)  # nginx workers (user nobody) must traverse them
    env = environment()
    stack = contextlib.ExitStack()
    try:
        stack.callback(drop_database)
        print(f"Preparing {DB_NAME} ({CONCURRENT + 1} accounts)…", flush=True)
        prepare_database(env)
        print("Starting identity (gunicorn), the echo upstream and the gateway…", flush=True)
        start_identity(env, stack)
        start_gateway(stack)
        print(f"Session check: {SAMPLES} requests with and {SAMPLES} without, interleaved…", flush=True)
        checked, unchecked = measure_session_check()
        print(f"Logins: {CONCURRENT} one at a time, then {ROUNDS} rounds of {CONCURRENT} at once…", flush=True)
        sequential, concurrent = measure_logins()
        floor = argon2_floor()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("Stopping everything the bench started…", flush=True)
        stack.close()
    added = statistics.median(checked) - statistics.median(unchecked)
    print(f"\n{os.cpu_count()} cores, 1-min load average before the run: {load_before:.1f}")
    print("Session check at the gateway (one keep-alive connection, sequential)")
    print(f"  with    GET {CHECKED:<16} p50 {statistics.median(checked):6.2f} ms   p95 {p95(checked):6.2f} ms")
    print(
        f"  without GET {UNCHECKED:<16} p50 {statistics.median(unchecked):6.2f} ms   p95 {p95(unchecked):6.2f} ms"
        "   (baseline: same upstream, no auth_request)"
    )
    print(f"  added by the check: p50 {added:+.2f} ms")
    print(f"Login (POST /connexion through the gateway, {CONCURRENT} accounts)")
    print(f"  one at a time   p50 {statistics.median(sequential):7.1f} ms   p95 {p95(sequential):7.1f} ms   (baseline)")
    print(
        f"  {CONCURRENT} at once     p50 {statistics.median(concurrent):7.1f} ms   p95 {p95(concurrent):7.1f} ms"
        f"   ({len(concurrent)} logins)"
    )
    print(f"  one argon2id verification in process: {floor:.1f} ms (floor of any login)")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: everything the bench started has been stopped")
    except RuntimeError as exc:
        sys.exit(f"bench failed: {exc} (everything it started has been stopped)")
