"""App factory of the workforce service (gunicorn: `workforce.app:create_app()`)."""
from __future__ import annotations

import sys
from typing import Mapping

from flask import Flask

from portal_common.service import create_service_app

from .api import blp
from .config import Settings
from .list_tools import tools
from .models import Base
from .pages import pages


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    app = create_service_app(__name__, Settings, Base.metadata, title="Workforce API",
                             api_blueprints=(blp,), page_blueprints=(pages, tools), environ=environ)
    try:
        app.extensions["portal"].settings.nir_vault  # fail at start-up, not on the first hire
    except ValueError as exc:
        print(f"workforce: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    return app
