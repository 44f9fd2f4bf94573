"""App factory of the billing service (gunicorn: `billing.app:create_app()`)."""
from __future__ import annotations

from typing import Mapping

from flask import Flask

from portal_common.service import create_service_app

from .api import blp
from .campaign_pages import campaign_pages
from .card_pages import card_pages
from .sepa_pages import sepa_pages
from .statement_pdf import statement_print
from .config import Settings
from .models import Base
from .pages import pages
from .sepa_adjustments import session_info


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    app = create_service_app(__name__, Settings, Base.metadata, title="Billing API",
                             api_blueprints=(blp,), page_blueprints=(pages, card_pages, sepa_pages, campaign_pages,
                                                                        statement_print),
                             environ=environ)
    portal = app.extensions["portal"]
    # Every session (requests, units of work, the workers' consumers) can announce a lowered SEPA debit.
    portal.db.session_factory.configure(info=session_info(portal.settings.issuer_name,
                                                          portal.settings.creditor_identifier))
    return app
