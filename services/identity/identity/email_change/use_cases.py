"""Changing the e-mail address of one's account: asked after a step-up, confirmed by a one-time link sent to the
new address, the old address told once the change is done."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from portal_common import clock
from portal_common.service import Portal

from ..models import OneTimeLink, User
from ..recovery.queries import valid_link
from ..recovery.rules import LinkPurpose, mask_email, token_hash
from ..recovery.use_cases import issue_link
from ..security_log.rules import Client, LogKind, LogOutcome
from ..security_log.use_cases import record
from ..sessions.use_cases import end_sessions
from . import mails
from .rules import (
    BAD_NEW_EMAIL,
    LIFETIME,
    MAX_LINKS_PER_HOUR,
    PATH,
    TOO_MANY,
    ChangeOutcome,
    email_change_errors,
    seal,
    split_link,
)


def request_change(portal: Portal, user_id: str, *, new: str, confirmation: str, client: Client) -> dict[str, str]:
    """Field errors, or {} once the link is on its way (or silently not sent: the address is someone else's)."""
    new = new.strip()
    with portal.uow() as tx:
        user = tx.session.get(User, user_id)
        if user is None:
            return {"new_email": BAD_NEW_EMAIL}
        errors = email_change_errors(user.email, new, confirmation)
        if errors:
            return errors
        now = clock.utcnow()
        recent = tx.session.scalar(
            select(func.count())
            .select_from(OneTimeLink)
            .where(
                OneTimeLink.user_id == user.id,
                OneTimeLink.purpose == LinkPurpose.EMAIL_CHANGE,
                OneTimeLink.created_at > now - timedelta(hours=1),
            )
        )
        if recent >= MAX_LINKS_PER_HOUR:
            record(tx.session, LogKind.EMAIL_CHANGE_REQUEST, LogOutcome.REFUSED, client, user_id=user.id)
            tx.commit()
            return {"new_email": TOO_MANY}
        taken = tx.session.scalar(select(User.id).where(func.lower(User.email) == new.lower())) is not None
        token = issue_link(tx, user, LinkPurpose.EMAIL_CHANGE, LIFETIME)  # counted even when not sent: same answer
        # The same entry either way: the company's administrators read this log, it must not tell them either.
        record(tx.session, LogKind.EMAIL_CHANGE_REQUEST, LogOutcome.SUCCESS, client, user_id=user.id)
        if not taken:
            sealed = seal(portal.settings.email_link_ring, token, new.lower())
            link = f"{portal.settings.public_url}{PATH}{token}{sealed}"
            tx.mail(mails.email_change_link(new.lower(), link=link, key=f"email-change:{token_hash(token)}"))
        tx.commit()
    return {}


def confirm(portal: Portal, link_text: str, client: Client) -> ChangeOutcome:
    """Done, expired (unknown, used or out-of-date link) or taken (the address got another account meanwhile).

    On success the link and every other pending e-mail link die, every session ends (the address is a way in),
    and the old address is told.
    """
    parts = split_link(portal.settings.email_link_ring, link_text)
    if parts is None:
        return ChangeOutcome.EXPIRED
    token, new_email = parts
    with portal.uow() as tx:
        link = valid_link(tx.session, token, LinkPurpose.EMAIL_CHANGE, lock=True)
        user = tx.session.get(User, link.user_id) if link is not None else None
        if user is None or not user.is_active:
            record(
                tx.session,
                LogKind.EMAIL_CHANGE,
                LogOutcome.REFUSED,
                client,
                user_id=user.id if user is not None else None,
            )
            tx.commit()
            return ChangeOutcome.EXPIRED
        now = clock.utcnow()
        if tx.session.scalar(select(User.id).where(func.lower(User.email) == new_email, User.id != user.id)):
            link.used_at = now
            record(tx.session, LogKind.EMAIL_CHANGE, LogOutcome.REFUSED, client, user_id=user.id)
            tx.commit()
            return ChangeOutcome.TAKEN
        old_email = user.email
        user.email = new_email
        tx.session.execute(
            update(OneTimeLink)
            .where(
                OneTimeLink.user_id == user.id,
                OneTimeLink.used_at.is_(None),
                OneTimeLink.purpose.in_((LinkPurpose.EMAIL_CHANGE, LinkPurpose.RESET)),
            )
            .values(used_at=now)
        )
        end_sessions(tx.session, user.id)
        record(tx.session, LogKind.EMAIL_CHANGE, LogOutcome.SUCCESS, client, user_id=user.id)
        tx.mail(
            mails.email_changed(
                old_email,
                new_masked=mask_email(new_email),
                public_url=portal.settings.public_url,
                key=f"email-changed:{token_hash(token)}",
            )
        )
        tx.commit()
    return ChangeOutcome.DONE
