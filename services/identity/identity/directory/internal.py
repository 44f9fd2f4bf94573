"""Routes other services call directly (never routed by the gateway)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from portal_common.access import SERVICE
from portal_common.service import portal

from .queries import member_links as links_of

internal = Blueprint("identity_internal", __name__)


@internal.get("/internal/users/<string:user_id>/member-links")
@SERVICE
def member_links(user_id: str):
    """The companies a user is linked to, with the kind of link and its roles (members' establishments list)."""
    with portal().db.session_factory() as db:
        return jsonify(links_of(db, user_id[:36]))
