"""pytest plugin of the portal (registered through the `pytest11` entry point)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator

import pytest

from . import leftovers
from .environment import PortalTestEnvironment


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "integration: needs the local PostgreSQL and RabbitMQ")
    config.addinivalue_line("markers", "contract: OpenAPI and event-catalogue contract tests")
    config.addinivalue_line("markers", "browser: Playwright journeys through the real gateway")


@pytest.fixture(scope="session")
def portal_env() -> Iterator[PortalTestEnvironment]:
    """Databases and a vhost for this test run; everything is dropped at the end."""
    env = PortalTestEnvironment()
    leftovers.register(env.run_id)
    if shutil.which("rabbitmqctl") and not os.environ.get("PORTAL_TEST_BROKER_URL"):
        swept = leftovers.sweep(env.pg_admin_dsn, env.run_id)
        if swept:
            print(f"\nportal tests: swept {len(swept)} vhosts and databases left by killed runs", file=sys.stderr)
    try:
        yield env
    finally:
        env.close()
        leftovers.unregister(env.run_id)
