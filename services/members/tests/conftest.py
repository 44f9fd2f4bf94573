"""Fixtures of the members service tests: a migrated PostgreSQL database for this run."""
from __future__ import annotations

from pathlib import Path

from members.app import create_app
from portal_common.testing import service_fixtures

SERVICE_DIR = Path(__file__).resolve().parents[1]
members_service, service = service_fixtures("members", create_app, SERVICE_DIR)
