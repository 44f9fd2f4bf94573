"""App factory of the workforce service (gunicorn: `workforce.app:create_app()`)."""
from __future__ import annotations

import sys
from typing import Mapping

from flask import Flask

from portal_common.service import create_service_app

from .api import blp
from .config import Settings
from .declaration_api import blp as declarations_blp
from .declaration_pages import declaration_pages
from .import_api import imports_blp
from .import_pages import imports_pages
from .list_tools import tools
from .models import Base
from .pages import pages
from .pcs import pcs_label, pcs_reference
from .reports import reports


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    app = create_service_app(__name__, Settings, Base.metadata, title="Workforce API",
                             api_blueprints=(blp, imports_blp, declarations_blp),
                             page_blueprints=(pages, tools, imports_pages, reports, declaration_pages), environ=environ)
    try:
        app.extensions["portal"].settings.nir_vault  # fail at start-up, not on the first hire
    except ValueError as exc:
        print(f"workforce: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    app.add_template_filter(pcs_label, "pcs_label")  # the PCS-ESE label of a code, next to it on the pages
    app.add_template_global(pcs_reference, "pcs_reference")
    return app
