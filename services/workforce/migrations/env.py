"""Alembic environment of the workforce service."""

from portal_common.migrations import run_env
from workforce.config import Settings
from workforce.models import Base

run_env(Base.metadata, default_url=lambda: Settings.load_or_exit().database_url)
