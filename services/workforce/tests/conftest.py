"""Fixtures of the workforce service tests: a migrated PostgreSQL database for this run."""

from __future__ import annotations

from pathlib import Path

from portal_common.testing import service_fixtures
from workforce.app import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]
workforce_service, service = service_fixtures("workforce", create_app, SERVICE_DIR)
