"""Deny by default: every route declares who may call it, checked before the view runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, g, request

from . import passport
from .passport import Principal

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTRIBUTE = "__portal_access__"


@dataclass(frozen=True)
class Rule:
    """Who may call a route. `check` answers None (allowed), 401 or 403."""

    name: str
    needs_identity: bool = True
    member_roles: frozenset[str] | None = None
    staff_roles: frozenset[str] | None = None

    def check(self, principal: Principal | None) -> int | None:
        if not self.needs_identity:
            return None
        if principal is None:
            return 401
        if self.member_roles is None and self.staff_roles is None:
            return None
        if (
            self.staff_roles is not None
            and principal.staff_roles
            and (not self.staff_roles or principal.staff_roles & self.staff_roles)
        ):
            return None
        if self.member_roles is not None and principal.has_member_role(*self.member_roles):
            return None
        return 403

    def __call__(self, view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, self)
        return view


# Reachable without a session: the gateway routes them as public paths.
PUBLIC = Rule("public", needs_identity=False)
# Operations endpoints, never routed by the gateway (health, readiness, metrics, session check).
INTERNAL = Rule("internal", needs_identity=False)
# Any signed-in user, with or without a current member company.
AUTHENTICATED = Rule("authenticated")


class ServiceRule(Rule):
    """Another service of the portal calling an `/internal/` route with a service passport."""

    def check(self, principal: Principal | None) -> int | None:
        if principal is None:
            return 401
        return None if principal.user_id.startswith("service:") else 403


# Service-to-service calls (never routed by the gateway): the caller signs a service passport.
SERVICE = ServiceRule("service")


def member(*roles: str) -> Rule:
    """A user of the current member company holding one of `roles` (any role when none given)."""
    return Rule(f"member({','.join(roles)})", member_roles=frozenset(roles))


def staff(*roles: str) -> Rule:
    """Service staff holding one of `roles` (any staff role when none given)."""
    return Rule(f"staff({','.join(roles)})", staff_roles=frozenset(roles))


def member_or_staff(member_roles: tuple[str, ...] = (), staff_roles: tuple[str, ...] = ()) -> Rule:
    return Rule(
        f"member({','.join(member_roles)})|staff({','.join(staff_roles)})",
        member_roles=frozenset(member_roles),
        staff_roles=frozenset(staff_roles),
    )


# Routes added by frameworks rather than by us, with their rule.
FRAMEWORK_RULES = {
    "static": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    "api-docs.openapi_swagger_ui": PUBLIC,
}


def rule_for(app: Flask, endpoint: str | None, method: str) -> Rule | None:
    if endpoint is None:
        return None
    if endpoint in FRAMEWORK_RULES:
        return FRAMEWORK_RULES[endpoint]
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":  # answered by Flask from the GET view
            handler = getattr(view_class, "get", None)
        if handler is None and method == "OPTIONS":  # Flask's automatic answer: as guarded as the route
            handler = next(
                (getattr(view_class, m) for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)),
                None,
            )
        found = getattr(handler, ACCESS_ATTRIBUTE, None) or getattr(view_class, ACCESS_ATTRIBUTE, None)
        return found
    return getattr(view, ACCESS_ATTRIBUTE, None)


def current_principal() -> Principal | None:
    principal: Principal | None = g.get("principal")
    return principal


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        abort(401)
    return principal


def init_access(app: Flask, internal_key: str) -> None:
    @app.before_request
    def _authorize() -> None:
        g.principal = passport.verify(request.headers.get(passport.HEADER), internal_key)
        if request.endpoint is None:  # 404 / 405 are answered by Flask itself
            return
        rule = rule_for(app, request.endpoint, request.method)
        if rule is None:
            app.logger.error("route without access rule refused", extra={"endpoint": request.endpoint})
            abort(403)
        outcome = rule.check(g.principal)
        if outcome is not None:
            app.logger.info(
                "access refused", extra={"endpoint": request.endpoint, "status": outcome, "rule": rule.name}
            )
            abort(outcome)
