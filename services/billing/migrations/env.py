"""Alembic environment of the billing service."""

from billing.config import Settings
from billing.models import Base
from portal_common.migrations import run_env

run_env(Base.metadata, default_url=lambda: Settings.load_or_exit().database_url)
