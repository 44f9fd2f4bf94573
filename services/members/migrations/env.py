"""Alembic environment of the members service."""

from members.config import Settings
from members.models import Base
from portal_common.migrations import run_env

run_env(Base.metadata, default_url=lambda: Settings.load_or_exit().database_url)
