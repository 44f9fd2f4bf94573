"""App factory of the workforce service (gunicorn: `workforce.app:create_app()`)."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from flask import Flask

from portal_common.service import create_service_app
from portal_common.vocabulary import MonitoringCategory

from .config import Settings
from .declarations.api import blp as declarations_blp
from .declarations.pages import declaration_pages
from .declarations.rules import DECLARED, CampaignStatus, ShownStatus
from .dsn.api import dsn_blp
from .dsn.pages import dsn_pages
from .employees.api import blp
from .employees.communes import commune_label
from .employees.pages import pages
from .employees.pcs import pcs_label, pcs_reference
from .employees.rules import ListStatus
from .home.pages import home_pages
from .imports.api import imports_blp
from .imports.pages import imports_pages
from .imports.rules import ImportStatus
from .models import Base
from .portfolio.internal import internal as portfolio_internal
from .reports.pages import reports

# The enumerations the templates compare with, so that they name no stored value themselves.
TEMPLATE_ENUMS = {
    "MonitoringCategory": MonitoringCategory,
    "ListStatus": ListStatus,
    "ShownStatus": ShownStatus,
    "CampaignStatus": CampaignStatus,
    "ImportStatus": ImportStatus,
    "DECLARED": DECLARED,
}


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    app = create_service_app(
        __name__,
        Settings,
        Base.metadata,
        title="Workforce API",
        api_blueprints=(blp, imports_blp, dsn_blp, declarations_blp),
        page_blueprints=(pages, reports, imports_pages, dsn_pages, declaration_pages, home_pages, portfolio_internal),
        environ=environ,
    )
    try:
        app.extensions["portal"].settings.nir_vault  # fail at start-up, not on the first hire  # noqa: B018
    except ValueError as exc:
        print(f"workforce: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    app.add_template_filter(pcs_label, "pcs_label")  # the PCS-ESE label of a code, next to it on the pages
    app.add_template_global(pcs_reference, "pcs_reference")
    app.add_template_filter(commune_label, "commune_label")  # « Caen (14118) » for a commune of birth
    app.jinja_env.globals.update(TEMPLATE_ENUMS)
    return app
