"""App factory of the billing service (gunicorn: `billing.app:create_app()`)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from portal_common.service import create_service_app

from .campaign.api import blp as campaign_api
from .campaign.internal import internal as campaign_internal
from .campaign.pages import campaign_pages
from .config import Settings
from .credit_notes.api import blp as credit_notes_api
from .credit_notes.pages import credit_note_pages
from .home.pages import home_pages
from .invoices.api import blp as invoices_api
from .invoices.mails import PUBLIC_URL_KEY
from .invoices.pages import pages as invoice_pages
from .ledger.api import blp as ledger_api
from .ledger.pages import ledger_pages
from .models import Base
from .payments.api import blp as payments_api
from .payments.pages import payment_pages
from .portfolio.internal import internal as portfolio_internal
from .refunds.pages import refund_pages
from .sepa.pages import sepa_pages
from .tariffs.api import blp as tariffs_api
from .tariffs.internal import internal as tariffs_internal
from .tariffs.pages import tariff_pages
from .web import expose_enumerations


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    app = create_service_app(
        __name__,
        Settings,
        Base.metadata,
        title="Billing API",
        api_blueprints=(invoices_api, payments_api, tariffs_api, credit_notes_api, campaign_api, ledger_api),
        page_blueprints=(
            invoice_pages,
            payment_pages,
            tariff_pages,
            credit_note_pages,
            sepa_pages,
            refund_pages,
            campaign_pages,
            ledger_pages,
            home_pages,
            tariffs_internal,
            campaign_internal,
            portfolio_internal,
        ),
        environ=environ,
    )
    expose_enumerations(app)
    portal = app.extensions["portal"]
    # Every session (request, unit of work, consumer) knows the public address the e-mails link to.
    portal.db.session_factory.configure(info={PUBLIC_URL_KEY: portal.settings.public_url})
    return app
