"""Alembic glue shared by the services' `migrations/env.py`, and a programmatic upgrade."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, engine_from_config, pool

from .db import build_engine


def run_env(metadata: MetaData, default_url: Callable[[], str]) -> None:
    """Body of every service's `migrations/env.py` (online and offline modes)."""
    from alembic import context

    config = context.config
    url = config.get_main_option("sqlalchemy.url") or default_url()
    batch = bool(url and url.startswith("sqlite"))  # SQLite alters tables by copying them
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=batch)
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = build_engine(url) if url else engine_from_config(config.get_section(config.config_ini_section, {}),
                                                                  prefix="sqlalchemy.", poolclass=pool.NullPool)
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=metadata, render_as_batch=batch)
            with context.begin_transaction():
                context.run_migrations()
        engine.dispose()
        return
    context.configure(connection=connectable, target_metadata=metadata, render_as_batch=batch)
    with context.begin_transaction():
        context.run_migrations()


def alembic_config(service_dir: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service_dir: Path, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service_dir, url), revision)
