"""Routes other services call directly (never routed by the gateway)."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select

from portal_common.access import SERVICE
from portal_common.service import portal

from .models import MemberLink

internal = Blueprint("identity_internal", __name__)


@internal.get("/internal/users/<string:user_id>/member-links")
@SERVICE
def member_links(user_id: str):
    """The companies a user is linked to, with the kind of link and its roles (members' establishments list)."""
    with portal().db.session_factory() as db:
        links = db.scalars(select(MemberLink).where(MemberLink.user_id == user_id[:36])
                           .order_by(MemberLink.created_at, MemberLink.member_id)).all()
        return jsonify([{"member_id": link.member_id, "kind": link.kind, "roles": sorted(link.role_set)}
                        for link in links])
