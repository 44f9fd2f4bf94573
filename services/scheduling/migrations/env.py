"""Alembic environment of the scheduling service."""

from portal_common.migrations import run_env
from scheduling.config import Settings
from scheduling.models import Base

run_env(Base.metadata, default_url=lambda: Settings.load_or_exit().database_url)
