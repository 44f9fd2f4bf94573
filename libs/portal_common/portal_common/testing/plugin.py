"""pytest plugin of the portal (registered through the `pytest11` entry point)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .environment import PortalTestEnvironment


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "integration: needs the local PostgreSQL and RabbitMQ")
    config.addinivalue_line("markers", "contract: OpenAPI and event-catalogue contract tests")
    config.addinivalue_line("markers", "browser: Playwright journeys through the real gateway")


@pytest.fixture(scope="session")
def portal_env() -> Iterator[PortalTestEnvironment]:
    """Databases and a vhost for this test run; everything is dropped at the end."""
    env = PortalTestEnvironment()
    yield env
    env.close()
