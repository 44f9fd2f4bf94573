"""App factory of the identity service (gunicorn: `identity.app:create_app()`)."""
from __future__ import annotations

from typing import Mapping

from flask import Flask

from portal_common.service import create_service_app

from .account_pages import account_pages
from .api import blp
from .code_pages import code_pages
from .config import Settings
from .internal import internal
from .mfa_pages import mfa_pages
from .models import Base
from .pages import pages
from .recovery_pages import recovery_pages
from .security_log_pages import security_log_pages
from .team_pages import team_pages
from .token_pages import token_pages


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    return create_service_app(__name__, Settings, Base.metadata, title="Identity API",
                              api_blueprints=(blp,), page_blueprints=(pages, account_pages, code_pages, recovery_pages,
                                                               internal, team_pages, mfa_pages, token_pages,
                                                               security_log_pages),
                              environ=environ)
