"""The whole portal started for real (every service, relays, workers, nginx) and Chromium to drive it."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="package")
def portal_url(portal_env) -> Iterator[str]:
    from portal_stack.background import BackgroundStack
    from portal_stack.environment import stack_environment

    data_dir = Path(tempfile.mkdtemp(prefix="portal-browser-"))
    data_dir.chmod(0o755)  # nginx workers run as nobody and must traverse it
    port = free_port()
    prefix = f"portal_{portal_env.run_id}_e2e"
    environ = dict(
        os.environ,
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_GATEWAY_PORT=str(port),
        PORTAL_PORT_BASE=str(free_port() // 10 * 10 % 50000 + 10000),
        PORTAL_DB_PREFIX=prefix,
        PORTAL_POSTGRES_URL=portal_env.pg_admin_dsn.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+psycopg://", 1
        ),
        PORTAL_BROKER_URL=(broker_url := portal_env.new_vhost("browser")),
        PORTAL_INTERNAL_KEY=portal_env.internal_key,
        PORTAL_LOGIN_RATE="600r/m",
        PORTAL_MAIL_CATCHER="0",
        PORTAL_SMTP_HOST="127.0.0.1",
        PORTAL_SMTP_PORT=str(portal_env.smtp.port),
        PORTAL_BILLING_WORKERS="1",
        PORTAL_LOG_LEVEL="WARNING",
    )
    stack = BackgroundStack(stack_environment(environ), data_dir / "portal.log")
    try:
        stack.start(timeout=90)
        yield stack.url
    finally:
        stack.stop()
        with psycopg.connect(portal_env.pg_admin_dsn, autocommit=True) as conn:
            for service in ("identity", "members", "workforce", "scheduling", "billing"):
                conn.execute(f'DROP DATABASE IF EXISTS "{prefix}_{service}" WITH (FORCE)')
        portal_env.drop_vhost(broker_url)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, portal_url):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=portal_url, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()
