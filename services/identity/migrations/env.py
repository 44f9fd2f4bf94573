"""Alembic environment of the identity service."""

from identity.config import Settings
from identity.models import Base
from portal_common.migrations import run_env

run_env(Base.metadata, default_url=lambda: Settings.load_or_exit().database_url)
