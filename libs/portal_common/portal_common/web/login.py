"""What a request without a session gets on a page: a browser goes to the login page, an API client is told so.

The one definition of the login redirect: identity's `/internal/login-redirect` (where the gateway sends a
page's 401) and every service's page guard answer through `login_required`.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from flask import Request, jsonify, redirect
from werkzeug.wrappers import Response

from ..api import error_body
from ..redirects import safe_path

# Set by the gateway on its login-redirect subrequest when the client presented `Authorization: Bearer …`:
# the subrequest carries no Authorization header (the token goes to the session check only).
BEARER_FLAG_HEADER = "X-Portal-Bearer"

TOKEN_ON_PAGE = (
    "Authentification requise : un jeton d'API n'ouvre que l'API (adresses /api/…), "
    "une page demande une connexion par le navigateur."
)


def presents_bearer(request: Request) -> bool:
    """The client is an API client: it sent a bearer token (directly, or as the gateway reports it)."""
    if request.headers.get(BEARER_FLAG_HEADER):
        return True
    return request.headers.get("Authorization", "").strip().lower().startswith("bearer")


def login_required(target: str | None, *, api_client: bool) -> Response:
    """A JSON 401 in French for an API client; else a 302 to `/connexion` that returns to `target` after."""
    if api_client:
        answer = jsonify(error_body(401, "Unauthorized", TOKEN_ON_PAGE))
        answer.status_code = 401
        answer.headers["WWW-Authenticate"] = 'Bearer realm="portail"'
        answer.headers["Cache-Control"] = "no-store"
        return answer
    back = safe_path(target)
    location = "/connexion" if back == "/" else f"/connexion?next={quote(back, safe='/')}"
    response = redirect(location, code=302)
    # Werkzeug's body is an English « Redirecting… » page: a browser that shows it shows French.
    response.set_data(
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Connexion requise</title></head>'
        f'<body><p>Connexion requise : <a href="{escape(location)}">continuer vers la page de connexion</a>.</p>'
        "</body></html>"
    )
    return response
