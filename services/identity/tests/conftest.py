"""Fixtures of the identity service tests: a migrated PostgreSQL database for this run."""
from __future__ import annotations

from pathlib import Path

import pytest

from identity.app import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def identity_service(portal_env):
    return portal_env.service("identity", create_app, SERVICE_DIR)


@pytest.fixture
def service(identity_service):
    yield identity_service
    identity_service.truncate()
