"""Fixtures of the members service tests: a migrated PostgreSQL database for this run."""
from __future__ import annotations

from pathlib import Path

import pytest

from members.app import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def members_service(portal_env):
    return portal_env.service("members", create_app, SERVICE_DIR)


@pytest.fixture
def service(members_service):
    yield members_service
    members_service.truncate()
