"""The signed-in user of the request, for the account pages."""
from __future__ import annotations

from flask import abort

from portal_common.access import require_principal
from portal_common.service import portal

from . import accounts
from .models import User


def current_user() -> User:
    """The user behind the request's identity; 401 when the account is gone meanwhile."""
    user = accounts.get_user(portal(), require_principal().user_id)
    if user is None:
        abort(401)
    return user
