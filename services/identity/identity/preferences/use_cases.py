"""Saving which optional e-mails a user receives."""

from __future__ import annotations

from collections.abc import Iterable

from portal_common.service import Portal

from ..models import User
from .rules import stored_opt_outs


def save(portal: Portal, user_id: str, wanted: Iterable[str]) -> None:
    with portal.uow() as tx:
        user = tx.session.get(User, user_id)
        if user is not None:
            user.mail_opt_outs = stored_opt_outs(wanted)
        tx.commit()
