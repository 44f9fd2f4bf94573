"""The two fixtures every service's `tests/conftest.py` declares: its migrated app, and a clean one per test.

Usage in a service::

    members_service, service = service_fixtures("members", create_app, SERVICE_DIR)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from .environment import PortalTestEnvironment, ServiceUnderTest


def service_fixtures(name: str, create_app: Callable[..., Flask], service_dir: Path, **extra: str) -> tuple[Any, Any]:
    """`<name>_service` (session: one migrated app per run) and `service` (that app, emptied after each test).

    Assign both to module-level names of a conftest: pytest registers them under these fixture names.
    """
    session_name = f"{name}_service"

    @pytest.fixture(scope="session", name=session_name)
    def service_under_test(portal_env: PortalTestEnvironment) -> ServiceUnderTest:
        return portal_env.service(name, create_app, service_dir, **extra)

    @pytest.fixture(name="service")
    def clean_service(request: pytest.FixtureRequest) -> Iterator[ServiceUnderTest]:
        service = request.getfixturevalue(session_name)
        yield service
        service.truncate()

    return service_under_test, clean_service
