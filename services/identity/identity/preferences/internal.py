"""Routes other services call before sending an optional e-mail (never routed by the gateway)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from portal_common.access import SERVICE
from portal_common.service import portal

from .queries import recipients
from .rules import MailTopic

internal = Blueprint("identity_preferences_internal", __name__)


@internal.post("/internal/mail-recipients")
@SERVICE
def mail_recipients():
    """{"topic": …, "user_ids": […]} -> {"recipients": {user id: e-mail}} for the active users who accept the
    topic: a user who declined it, or unknown, is simply absent."""
    body = request.get_json(silent=True) or {}
    topic, user_ids = body.get("topic"), body.get("user_ids")
    if topic not in set(MailTopic) or not isinstance(user_ids, list) or not all(isinstance(u, str) for u in user_ids):
        abort(422)
    with portal().db.session_factory() as db:
        return jsonify({"recipients": recipients(db, [u[:36] for u in user_ids], MailTopic(topic))})
