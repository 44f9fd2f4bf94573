"""App factory of the identity service (gunicorn: `identity.app:create_app()`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from flask import Flask, render_template
from sqlalchemy import exists

from portal_common.retention import RetentionRule
from portal_common.roles import MemberRole
from portal_common.service import create_service_app
from portal_common.vocabulary import MEMBER_STATUS_LABELS

from .accounts.pages import account_pages
from .api_tokens.pages import token_pages
from .codes.pages import code_pages
from .config import Settings
from .directory.internal import internal
from .email_change.pages import email_change_pages
from .firms.pages import pages as firm_pages
from .login.pages import pages
from .login.passwords import VerificationsBusy, configure_limiter
from .mfa.pages import mfa_pages
from .models import Base, CaptchaSpent, Invitation, LoginCode, OneTimeLink
from .portfolio.pages import pages as portfolio_pages
from .preferences.internal import internal as preference_internal
from .preferences.pages import pages as preference_pages
from .recovery.pages import recovery_pages
from .security_log.pages import security_log_pages
from .sessions.api import blp
from .sessions.pages import session_pages
from .team.pages import team_pages
from .team.rules import LinkKind

BUSY_TITLE = "Trop de connexions en même temps"
BUSY_TEXT = "Le service de connexion reçoit trop de demandes en ce moment. Patientez quelques secondes puis réessayez."


def _register(app: Flask, _api: object) -> None:
    """docs/security.md AUTH-08: a capped number of argon2 computations per worker; the excess is answered 429.
    The templates compare with the enumerations rather than re-declaring their values."""
    settings = app.extensions["portal"].settings
    configure_limiter(settings.max_concurrent_hashes, settings.hash_wait_ms)
    app.jinja_env.globals.update(LinkKind=LinkKind, MemberRole=MemberRole, MEMBER_STATUS_LABELS=MEMBER_STATUS_LABELS)
    app.extensions["portal"].retention.extend(_spent_tokens())

    @app.errorhandler(VerificationsBusy)
    def _busy(_error: VerificationsBusy):  # type: ignore[no-untyped-def]
        response = app.make_response(
            (render_template("portal/error.html", code=429, title=BUSY_TITLE, text=BUSY_TEXT), 429)
        )
        response.headers["Retry-After"] = "5"
        return response


def _spent_tokens() -> list[RetentionRule]:
    """Sign-in codes, captcha nonces and links past their expiry serve nothing once a week has passed (the
    security log keeps who did what); a link an invitation still points to stays with it."""
    week = timedelta(days=7)
    links, invitations = OneTimeLink.__table__, Invitation.__table__
    return [
        RetentionRule(LoginCode.__table__, "expires_at", week),
        RetentionRule(CaptchaSpent.__table__, "expires_at", timedelta(0)),
        RetentionRule(links, "expires_at", week, ~exists().where(invitations.c.link_id == links.c.id)),
    ]


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    return create_service_app(
        __name__,
        Settings,
        Base.metadata,
        title="Identity API",
        api_blueprints=(blp,),
        page_blueprints=(
            session_pages,
            pages,
            account_pages,
            email_change_pages,
            code_pages,
            recovery_pages,
            internal,
            team_pages,
            mfa_pages,
            token_pages,
            security_log_pages,
            portfolio_pages,
            firm_pages,
            preference_pages,
            preference_internal,
        ),
        register=_register,
        environ=environ,
    )
