"""Wires the page layer into a service: templates, filters, headers, CSRF and error pages."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from .. import formats
from ..access import current_principal
from ..idempotency import init_idempotency_if_declared
from .conflicts import init_conflicts
from .csrf import init_csrf
from .input_guard import init_input_guard
from .login import login_required, presents_bearer
from .navigation import account_menu_for, navigation_for, offers_campaign_entry
from .printable import printable

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# Swagger UI renders with an inline bootstrap script and inline styles.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

ERROR_TITLES = {
    400: ("Requête invalide", "La demande n'a pas pu être comprise. Vérifiez les informations saisies."),
    401: ("Connexion requise", "Veuillez vous connecter pour accéder à cette page."),
    403: ("Accès refusé", "Vous n'avez pas les droits nécessaires pour accéder à cette page."),
    404: ("Page introuvable", "La page demandée n'existe pas ou a été déplacée."),
    405: ("Action non autorisée", "Cette action n'est pas possible sur cette page."),
    409: ("Conflit", "Les informations ont été modifiées entre-temps. Rechargez la page et recommencez."),
    413: ("Fichier trop volumineux", "Le fichier envoyé dépasse la taille autorisée."),
    415: ("Format non pris en charge", "Le format envoyé n'est pas pris en charge."),
    429: ("Trop de tentatives", "Trop de demandes en peu de temps. Patientez un instant puis réessayez."),
    500: ("Erreur inattendue", "Une erreur inattendue s'est produite. L'équipe technique a été prévenue."),
    503: ("Service indisponible", "Le service est momentanément indisponible. Réessayez dans quelques instants."),
}

layout = Blueprint("portal_layout", __name__, template_folder="templates")


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def init_web(app: Flask, *, internal_key: str, public_url: str, api: Any = None) -> None:
    app.register_blueprint(layout)
    # Flask's own signed cookie only carries flash messages between pages; sessions live in identity.
    app.secret_key = hashlib.sha256(f"flash|{internal_key}".encode()).hexdigest()
    secure = app.extensions["portal"].settings.secure_cookies
    app.config.update(
        SESSION_COOKIE_NAME="__Host-portal_flash" if secure else "portal_flash",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        SESSION_COOKIE_SECURE=secure,
    )
    # Before any template compiles: what a page prints never breaks on one stored value (see printable).
    app.jinja_env.finalize = printable
    formats.register_filters(app.jinja_env.filters)
    app.jinja_env.globals["navigation_for"] = navigation_for
    app.jinja_env.globals["account_menu_for"] = account_menu_for
    app.jinja_env.globals["offers_campaign_entry"] = offers_campaign_entry
    app.jinja_env.globals["current_principal"] = current_principal
    init_input_guard(app)
    init_csrf(app, app.extensions["portal"].settings.csrf_ring, public_url)
    init_conflicts(app)

    @app.after_request
    def _security_headers(response):  # type: ignore[no-untyped-def]
        docs = request.endpoint == "api-docs.openapi_swagger_ui"
        response.headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if current_principal() is not None or request.path.startswith(("/internal/", "/connexion")):
            response.headers["Cache-Control"] = "no-store"
        return response

    # Registered after the headers above, so its answer hook runs before them and sees only the view's own
    # `Cache-Control: no-store`, the mark of an answer holding a secret, which is never kept.
    init_idempotency_if_declared(app)

    def _handle_http_exception(error: HTTPException):  # type: ignore[no-untyped-def]
        code = error.code or 500
        if is_api_request() or request.path.startswith("/internal/"):
            if api is not None:
                return api.handle_http_exception(error)
            return jsonify(code=code, status=error.name, message=error.description), code
        if code == 401:
            return login_required(request.full_path.rstrip("?"), api_client=presents_bearer(request))
        title, text = ERROR_TITLES.get(code, (error.name, error.description or ""))
        return render_template("portal/error.html", code=code, title=title, text=text), code

    def _handle_unexpected(error: Exception):  # type: ignore[no-untyped-def]
        original = getattr(error, "original_exception", None) or error
        if not isinstance(original, HTTPException):
            app.logger.error("unhandled error", exc_info=original)
        return _handle_http_exception(InternalServerError())

    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(InternalServerError, _handle_unexpected)
