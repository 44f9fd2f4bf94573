"""App factory of the members service (gunicorn: `members.app:create_app()`)."""
from __future__ import annotations

from typing import Mapping

from flask import Flask

from portal_common.service import create_service_app

from .api import blp
from .config import Settings
from .document_pages import document_pages
from .entry_pages import entry_pages
from .internal import internal
from .models import Base
from .pages import pages
from .queue_pages import queue_pages
from .team_pages import team_pages


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    return create_service_app(__name__, Settings, Base.metadata, title="Members API",
                              api_blueprints=(blp,), environ=environ,
                              page_blueprints=(pages, entry_pages, queue_pages, document_pages, team_pages, internal))
