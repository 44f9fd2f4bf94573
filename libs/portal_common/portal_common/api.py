"""flask-smorest wiring: OpenAPI under /api/<service>/, offline docs, one error format."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint

from . import french_errors
from .errors import FieldErrors

# The message of a 422 whose details are under each field.
REFUSED = "Certaines valeurs sont refusées : voir le message de chaque champ."


class Blueprint(SmorestBlueprint):  # type: ignore[misc]  # flask-smorest ships no type hints
    """The project-wide API blueprint (a hook for cross-cutting API behaviour)."""

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        # Given a Schema class, webargs builds an instance on every request (deep-copying every field): one,
        # built here, serves them all (loading keeps no state in the schema).
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)


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
    api = Api(app)
    api.ma_plugin.converter.add_attribute_function(_decimal_bounds_as_numbers)
    app.register_error_handler(FieldErrors, _field_errors_as_422)
    return api


def _field_errors_as_422(exc: FieldErrors) -> tuple[Response, int]:
    """A rule refused an API call: flask-smorest's error format, the French message under each field.

    Pages catch their rules' refusals where the form is, to show them next to the fields: one that reaches
    here from a page is a bug and stays a 500.
    """
    from .web.setup import is_api_request

    if not is_api_request():
        raise exc
    return jsonify(error_body(422, "Unprocessable Entity", REFUSED, {exc.location: exc.errors})), 422


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


def error_body(code: int, status: str, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "status": status, "message": message}
    if errors:
        body["errors"] = errors
    return body
