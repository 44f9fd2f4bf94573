"""App factory of the members service (gunicorn: `members.app:create_app()`)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from portal_common.service import create_service_app

from .addressbook import api as _addressbook_api
from .addressbook.pages import pages as addressbook_pages
from .config import Settings
from .documents import api as _documents_api
from .documents.pages import pages as document_pages
from .documents.rules import DocumentSource
from .establishments import api as _establishments_api
from .establishments.pages import pages as establishment_pages
from .establishments.rules import Relation
from .health_team import api as _health_team_api
from .health_team.pages import pages as team_pages
from .home.pages import pages as home_pages
from .models import Base
from .portfolio.internal import internal as portfolio_internal
from .record import api as _record_api
from .record.fields import phone_fr
from .record.naf import naf_label
from .record.pages import pages as record_pages
from .record.rules import ChangeStatus
from .registration import api as _registration_api
from .registration.pages import pages as registration_pages
from .sepa import api as _sepa_api
from .sepa.internal import internal
from .sepa.pages import pages as sepa_pages
from .sepa.rules import MandateStatus
from .situations import api as _situations_api
from .situations.pages import pages as situation_pages
from .web import blp

# Each capability's api module adds its routes to the one API blueprint when imported.
API_MODULES = (
    _record_api,
    _registration_api,
    _addressbook_api,
    _situations_api,
    _sepa_api,
    _documents_api,
    _health_team_api,
    _establishments_api,
)


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    app = create_service_app(
        __name__,
        Settings,
        Base.metadata,
        title="Members API",
        api_blueprints=(blp,),
        environ=environ,
        page_blueprints=(
            record_pages,
            registration_pages,
            addressbook_pages,
            situation_pages,
            sepa_pages,
            establishment_pages,
            document_pages,
            team_pages,
            home_pages,
            internal,
            portfolio_internal,
        ),
    )
    app.add_template_filter(phone_fr, "phone_fr")
    app.add_template_filter(naf_label, "naf_label")
    # Templates compare stored values with the enums, never with literals of their own.
    app.jinja_env.globals.update(
        ChangeStatus=ChangeStatus, MandateStatus=MandateStatus, DocumentSource=DocumentSource, Relation=Relation
    )
    return app
