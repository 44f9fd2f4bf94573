"""Alembic environment of the workforce service."""
from workforce.config import Settings
from workforce.models import Base
import workforce.import_models  # noqa: F401  (the staged-import tables, same metadata)
from portal_common.migrations import run_env

run_env(Base.metadata, default_url=lambda: Settings.load_or_exit().database_url)
