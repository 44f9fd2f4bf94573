"""flask-smorest wiring: OpenAPI under /api/<service>/, offline docs, one error format."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import error_handler as flask_smorest_errors
from marshmallow import fields as ma_fields

from . import french_errors
from .errors import Conflict, FieldErrors

# The message of a 422 whose details are under each field.
REFUSED = "Certaines valeurs sont refusées : voir le message de chaque champ."
STATUS_NAMES = {409: "Conflict", 422: "Unprocessable Entity"}


class Blueprint(SmorestBlueprint):  # type: ignore[misc]  # flask-smorest ships no type hints
    """The project-wide API blueprint (a hook for cross-cutting API behaviour)."""

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        # Given a Schema class, webargs builds an instance on every request (deep-copying every field): one,
        # built here, serves them all (loading keeps no state in the schema).
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)


# The stable machine-readable `reason` of an error a view or flask-smorest aborts with, by HTTP status; a view
# may give a finer one (`abort(409, message=..., reason="...")`).
REASONS = {
    400: "bad_request",
    401: "authentication_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "stale_version",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_fields",
    428: "if_match_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ErrorSchema(flask_smorest_errors.ErrorSchema):  # type: ignore[misc]
    reason = ma_fields.String(metadata={"description": "Stable machine-readable code of the error"})
    existing_id = ma_fields.String(metadata={"description": "409: the resource that already exists or won"})


class PortalApi(Api):  # type: ignore[misc]  # flask-smorest ships no type hints
    """flask-smorest's Api whose error bodies also carry `reason`, a stable code beside the French message."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: Any) -> Any:
        payload, status, headers = super().handle_http_exception(error)
        data = getattr(error, "data", None) or {}
        payload["reason"] = data.get("reason") or REASONS.get(status, "error")
        return payload, status, headers


def init_api(app: Flask, *, service: str, title: str, version: str = "1.0.0") -> Api:
    app.config.update(
        API_TITLE=title,
        API_VERSION=version,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=f"/api/{service}",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served by the gateway from the swagger-ui-bundle package: the docs work offline.
        OPENAPI_SWAGGER_UI_URL="/static/swagger-ui/",
        API_SPEC_OPTIONS={
            "info": {"description": f"Espace adhérent — {title}"},
            "components": {
                "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "portal_session"}}
            },
            "security": [{"session": []}],
        },
    )
    french_errors.apply()
    api = PortalApi(app)
    api.ma_plugin.converter.add_attribute_function(_decimal_bounds_as_numbers)
    app.register_error_handler(FieldErrors, _field_errors_as_422)
    return api


def _field_errors_as_422(exc: FieldErrors) -> Any:
    """A rule refused an API call: flask-smorest's error format, the French message under each field, the
    status and `reason` of the refusal (422, or 409 for a Conflict with the `existing_id` it names).

    Pages catch their rules' refusals where the form is, to show them next to the fields: one that reaches
    here from a page is a bug and stays a 500, except a Conflict (a race lost), which gets the French 409 page.
    """
    from .web.setup import is_api_request

    if not is_api_request():
        if isinstance(exc, Conflict):  # a page that does not show it next to a field: the French 409 page
            from flask import render_template

            text = " ".join(exc.errors.values())
            return Response(render_template("portal/error.html", code=409, title="Conflit", text=text), 409)
        raise exc
    if isinstance(exc, Conflict):
        body = error_body(409, "Conflict", " ".join(exc.errors.values()), {exc.location: exc.errors}, reason=exc.reason)
        if exc.existing_id is not None:
            body["existing_id"] = exc.existing_id
        return jsonify(body), 409
    body = error_body(exc.status, STATUS_NAMES.get(exc.status, "Unprocessable Entity"), REFUSED, reason=exc.reason)
    body["errors"] = {exc.location: exc.errors}
    return jsonify(body), exc.status


def _decimal_bounds_as_numbers(self: Any, field: Any, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Decimals: amounts sent as strings are documented as such, numeric bounds as numbers."""
    from decimal import Decimal

    from marshmallow import fields

    if not isinstance(field, fields.Decimal):
        return {}
    if field.as_string:  # exact amounts travel as "1401.84", never as binary floats
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            ret.pop(key, None)
        return {"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
    fixed = {}
    for key in ("minimum", "maximum", "default"):
        value = ret.get(key)
        if isinstance(value, (str, Decimal)):
            number = Decimal(str(value))
            fixed[key] = int(number) if number == number.to_integral_value() else float(number)
    return fixed


def error_body(
    code: int, status: str, message: str, errors: dict[str, Any] | None = None, *, reason: str | None = None
) -> dict[str, Any]:
    """flask-smorest's error format (`code` is the HTTP status); `reason` is the stable machine-readable code."""
    body: dict[str, Any] = {"code": code, "status": status, "message": message}
    body["reason"] = reason or REASONS.get(code, "error")
    if errors:
        body["errors"] = errors
    return body


# A paged list's one pagination header: how many items match the filters in all, whatever the page. It is always
# sent, as the decimal integer OpenAPI's `simple` style reads, so it is declared required with its exact schema.
TOTAL_COUNT = "X-Total-Count"


def total_count_declaration(items: str) -> dict[str, Any]:
    """The `headers=` of a paged list's `@blp.response`, `items` naming what is counted."""
    return {
        TOTAL_COUNT: {
            "description": f"Number of {items} matching the filters, over every page",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    }


def total_count(total: int) -> dict[str, str]:
    """The header of a paged list's answer, as declared by `total_count_declaration`."""
    return {TOTAL_COUNT: str(int(total))}


def version_etag(version: int) -> str:
    """A row's version as its ETag. Pages and API clients send it back as is in If-Match; flask-smorest's own
    ETag support hashes the answer instead, which a hidden form field cannot carry."""
    return f'"{version}"'


def expected_version(*, required: str, stale: str) -> int | None:
    """The version an If-Match names: 428 (`required`, in French) without the header, 412 (`stale`) when it
    cannot be a version; None for `*`."""
    from flask import request
    from flask_smorest import abort

    if not request.headers.get("If-Match"):
        abort(428, message=required)
    if request.if_match.star_tag:
        return None
    tags = [tag for tag in request.if_match.as_set() if tag.isdigit() and len(tag) < 10]
    if len(tags) != 1:
        abort(412, message=stale)
    return int(tags[0])
