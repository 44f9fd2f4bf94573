"""App factory of the identity service (gunicorn: `identity.app:create_app()`)."""
from __future__ import annotations

from typing import Mapping

from flask import Flask, render_template

from portal_common.service import create_service_app

from .account_pages import account_pages
from .api import blp
from .code_pages import code_pages
from .config import Settings
from .internal import internal
from .mfa_pages import mfa_pages
from .models import Base
from .pages import pages
from .passwords import VerificationsBusy, configure_limiter
from .recovery_pages import recovery_pages
from .security_log_pages import security_log_pages
from .team_pages import team_pages
from .token_pages import token_pages


BUSY_TITLE = "Trop de connexions en même temps"
BUSY_TEXT = ("Le service de connexion reçoit trop de demandes en ce moment. "
             "Patientez quelques secondes puis réessayez.")


def _limit_password_hashing(app: Flask, _api: object) -> None:
    """SECURITY.md AUTH-08: a capped number of argon2 computations per worker; the excess is answered 429."""
    settings = app.extensions["portal"].settings
    configure_limiter(settings.max_concurrent_hashes, settings.hash_wait_ms)

    @app.errorhandler(VerificationsBusy)
    def _busy(_error: VerificationsBusy):  # type: ignore[no-untyped-def]
        response = app.make_response((render_template("portal/error.html", code=429, title=BUSY_TITLE,
                                                      text=BUSY_TEXT), 429))
        response.headers["Retry-After"] = "5"
        return response


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    return create_service_app(__name__, Settings, Base.metadata, title="Identity API",
                              api_blueprints=(blp,), page_blueprints=(pages, account_pages, code_pages, recovery_pages,
                                                               internal, team_pages, mfa_pages, token_pages,
                                                               security_log_pages),
                              register=_limit_password_hashing, environ=environ)
