"""App factory of the workforce service (gunicorn: `workforce.app:create_app()`)."""
from __future__ import annotations

from typing import Mapping

from flask import Flask

from portal_common.service import create_service_app

from .api import blp
from .config import Settings
from .models import Base
from .pages import pages


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    return create_service_app(__name__, Settings, Base.metadata, title="Workforce API",
                              api_blueprints=(blp,), page_blueprints=(pages,), environ=environ)
