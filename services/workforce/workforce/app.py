"""App factory of the workforce service (gunicorn: `workforce.app:create_app()`)."""
from __future__ import annotations

from typing import Mapping

from flask import Flask
from flask_smorest import Api

from portal_common.service import create_service_app

from .api import blp
from .config import Settings
from .models import Base
from .pages import pages


def _register(app: Flask, api: Api) -> None:
    api.register_blueprint(blp)
    app.register_blueprint(pages)


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    return create_service_app(__name__, Settings, Base.metadata, title="Workforce API", register=_register,
                              environ=environ)
