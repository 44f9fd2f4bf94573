"""Deny by default: every route declares who may call it, checked before the view runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, g, request

from . import passport
from .passport import Principal
from .roles import EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE, MemberRole

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTRIBUTE = "__portal_access__"


@dataclass(frozen=True)
class Rule:
    """Who may call a route. `check` answers None (allowed), 401 or 403.

    `member_roles` are roles on the session's current company (an accounting firm's delegation holds some of
    them, never administrator; staff who chose a company count as Lecture); `staff_roles` the service's staff
    roles. Both name their roles: there is no "any role" shorthand, so a role added later reaches nothing
    until a route names it.
    """

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
        if self.staff_roles and principal.staff_roles & self.staff_roles:
            return None
        # An accounting firm's session holds the member roles its delegation grants (never administrator).
        if self.member_roles and principal.has_member_role(*self.member_roles):
            return None
        # Staff who chose a company (« Changer d'adhérent ») read it as its Lecture users do, nothing more.
        if principal.staff_roles and principal.member_id and MemberRole.READ in (self.member_roles or ()):
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
    """Another service of the portal calling an `/internal/` route with a service passport (signed with that
    service's own key: `passport.verify` refuses a `service:X` passport signed by anyone but X)."""

    def check(self, principal: Principal | None) -> int | None:
        if principal is None:
            return 401
        return None if principal.user_id.startswith("service:") else 403


# Service-to-service calls (never routed by the gateway): the caller signs a service passport.
SERVICE = ServiceRule("service")


def _named(kind: str, roles: tuple[str, ...] | frozenset[str], order: tuple[str, ...]) -> frozenset[str]:
    if not roles:
        raise ValueError(f"name the {kind} roles a route admits (portal_common.roles has the groups)")
    unknown = set(roles) - set(order)
    if unknown:
        raise ValueError(f"unknown {kind} roles: {sorted(unknown)}")
    return frozenset(roles)


# The company's administrator holds every member role (Principal.has_member_role): named so the rule says it.
_ADMIN = frozenset({MemberRole.ADMIN})


def _label(roles: frozenset[str], order: tuple[str, ...]) -> str:
    return ",".join(str(role) for role in order if role in roles)


def member(*roles: str) -> Rule:
    """A user of the current member company (or a firm acting for it) holding one of `roles`."""
    named = _named("member", roles, EVERY_MEMBER_ROLE) | _ADMIN
    return Rule(f"member({_label(named, EVERY_MEMBER_ROLE)})", member_roles=named)


def staff(*roles: str) -> Rule:
    """Service staff holding one of `roles`."""
    named = _named("staff", roles, EVERY_STAFF_ROLE)
    return Rule(f"staff({_label(named, EVERY_STAFF_ROLE)})", staff_roles=named)


def member_or_staff(member_roles: tuple[str, ...], staff_roles: tuple[str, ...]) -> Rule:
    """Either of the above: a company's users with `member_roles`, staff with `staff_roles`."""
    members = _named("member", member_roles, EVERY_MEMBER_ROLE) | _ADMIN
    staff_named = _named("staff", staff_roles, EVERY_STAFF_ROLE)
    return Rule(
        f"member({_label(members, EVERY_MEMBER_ROLE)})|staff({_label(staff_named, EVERY_STAFF_ROLE)})",
        member_roles=members,
        staff_roles=staff_named,
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


def init_access(app: Flask, keys: passport.PublicKeys) -> None:
    """`keys`: the signers' public keys, parsed once (verification runs on every request)."""

    @app.before_request
    def _authorize() -> None:
        g.principal = passport.verify(request.headers.get(passport.HEADER), keys)
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
