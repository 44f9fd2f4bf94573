"""The common app factory: every service's `create_app` is this plus its own routes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from flask import Blueprint, Flask, g, request
from flask_smorest import Api
from sqlalchemy import MetaData

from . import context, tracing
from .access import init_access
from .api import init_api
from .config import BaseSettings, SettingsError
from .db import Database, UnitOfWork
from .health import init_health
from .logging import configure_logging
from .messaging.outbox import Outbox
from .retention import RetentionRule
from .web import init_web


@dataclass
class Portal:
    """What a service's code needs at run time, kept in `app.extensions["portal"]`."""

    settings: BaseSettings
    db: Database
    outbox: Outbox
    # The service's own retention rules beside the shared tables' (portal_common.retention).
    retention: list[RetentionRule] = field(default_factory=list)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.outbox, self.outbox.table.metadata.tables.get("mail_outbox"))


def portal() -> Portal:
    from flask import current_app

    found: Portal = current_app.extensions["portal"]
    return found


def _init_request_context(app: Flask) -> None:
    @app.before_request
    def _bind_ids() -> None:
        rid = request.headers.get("X-Request-Id") or context.new_id()
        cid = request.headers.get("X-Correlation-Id") or rid
        g.portal_context_tokens = [context.request_id.set(rid[:64]), context.correlation_id.set(cid[:64])]

    @app.after_request
    def _echo_id(response):  # type: ignore[no-untyped-def]
        if context.request_id.get():
            response.headers["X-Request-Id"] = context.request_id.get()
        return response

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        for token in reversed(g.pop("portal_context_tokens", [])):
            token.var.reset(token)


def _require_passport_keys(settings: BaseSettings) -> None:
    """A web process verifies a passport on every request: without the public keys it stops with one line. Its own
    private key is only needed to sign (identity's session check, calls to `/internal/` routes): an app built for
    migrations or demo data runs without it, and signing without it names <SERVICE>_PASSPORT_SIGNING_KEY."""
    try:
        settings.passport_keys  # noqa: B018
    except SettingsError as exc:
        print(f"{settings.service}: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def create_service_app(
    import_name: str,
    settings_class: type[BaseSettings],
    metadata: MetaData,
    *,
    title: str,
    api_blueprints: Iterable[Blueprint] = (),
    page_blueprints: Iterable[Blueprint] = (),
    register: Callable[[Flask, Api], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Flask:
    """`api_blueprints` (flask-smorest) go into the OpenAPI document, `page_blueprints` are plain Flask ones;
    `register(app, api)` is an optional hook for anything else a service needs to attach."""
    settings = settings_class.load_or_exit(environ)
    _require_passport_keys(settings)
    configure_logging(settings.service, settings.log_level)
    tracing.init_tracing(settings.service)
    app = Flask(import_name)
    app.config.update(MAX_CONTENT_LENGTH=12 * 1024 * 1024, JSON_SORT_KEYS=False)
    db = Database(settings.database_url)
    db.init_app(app)
    app.extensions["portal"] = Portal(settings=settings, db=db, outbox=Outbox(settings.service, metadata))
    _init_request_context(app)
    tracing.instrument_app(app, settings.service)
    init_access(app, settings.passport_keys)
    init_health(app)
    api = init_api(app, service=settings.service, title=title)
    init_web(app, internal_key=settings.internal_key, public_url=settings.public_url, api=api)
    for blueprint in api_blueprints:
        api.register_blueprint(blueprint)
    for blueprint in page_blueprints:
        app.register_blueprint(blueprint)
    if register is not None:
        register(app, api)
    logging.getLogger(__name__).debug("app created", extra={"service": settings.service})
    return app
