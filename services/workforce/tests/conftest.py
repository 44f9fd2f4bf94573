"""Fixtures of the workforce service tests: a migrated PostgreSQL database for this run."""
from __future__ import annotations

from pathlib import Path

import pytest

from workforce.app import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def workforce_service(portal_env):
    return portal_env.service("workforce", create_app, SERVICE_DIR)


@pytest.fixture
def service(workforce_service):
    yield workforce_service
    workforce_service.truncate()
