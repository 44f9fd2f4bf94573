"""App factory of the billing service (gunicorn: `billing.app:create_app()`)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from portal_common.service import create_service_app

from .campaign.api import blp as campaign_api
from .campaign.pages import campaign_pages
from .config import Settings
from .credit_notes.api import blp as credit_notes_api
from .credit_notes.pages import credit_note_pages
from .invoices.api import blp as invoices_api
from .invoices.pages import pages as invoice_pages
from .ledger.api import blp as ledger_api
from .ledger.pages import ledger_pages
from .models import Base
from .payments.api import blp as payments_api
from .payments.pages import payment_pages
from .sepa.pages import sepa_pages
from .tariffs.api import blp as tariffs_api
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
            campaign_pages,
            ledger_pages,
        ),
        environ=environ,
    )
    expose_enumerations(app)
    return app
