"""App factory of the scheduling service (gunicorn: `scheduling.app:create_app()`)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from flask_smorest import Api

from portal_common.service import create_service_app

from .appointments import api as appointments_api
from .appointments import pages as appointments_pages
from .appointments.rules import OPEN_STATUSES, AppointmentStatus
from .config import Settings
from .documents import api as documents_api
from .documents import pages as documents_pages
from .employee_visits import internal as employee_visits_internal
from .home import pages as home_pages
from .models import Base
from .obligations import api as obligations_api
from .portfolio import internal as portfolio_internal
from .slots import api as slots_api
from .slots import pages as slots_pages
from .visit_requests import api as requests_api
from .visit_requests import pages as requests_pages
from .visit_requests.rules import RequestStatus

API_BLUEPRINTS = (appointments_api.blp, obligations_api.blp, requests_api.blp, slots_api.blp, documents_api.blp)
PAGE_BLUEPRINTS = (
    appointments_pages.pages,
    requests_pages.pages,
    slots_pages.pages,
    documents_pages.pages,
    home_pages.pages,
    portfolio_internal.internal,
    employee_visits_internal.internal,
)


def _template_globals(app: Flask, _api: Api) -> None:
    # Templates compare statuses with the enums, never with literals of their own.
    app.jinja_env.globals.update(
        AppointmentStatus=AppointmentStatus, RequestStatus=RequestStatus, open_statuses=OPEN_STATUSES
    )


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    return create_service_app(
        __name__,
        Settings,
        Base.metadata,
        title="Scheduling API",
        api_blueprints=API_BLUEPRINTS,
        page_blueprints=PAGE_BLUEPRINTS,
        register=_template_globals,
        environ=environ,
    )
