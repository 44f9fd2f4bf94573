"""Alembic environment of the workforce service."""
from workforce.config import Settings
from workforce.models import Base
from portal_common.migrations import run_env

run_env(Base.metadata, default_url=lambda: Settings.load_or_exit().database_url)
