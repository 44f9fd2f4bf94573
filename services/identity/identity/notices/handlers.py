"""Other services' events that identity turns into e-mails to the right users (it alone knows who administers a
company and what each user chose to receive)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.declarants import normalised_email
from portal_common.mail import queue_mail
from portal_common.messaging.envelope import Envelope
from portal_common.service import portal
from portal_common.vocabulary import MemberStatus

from ..models import MemberDeclarationContact, MemberDirectoryEntry, mail_outbox
from ..preferences.queries import administrators
from ..preferences.rules import MailTopic
from .mails import campaign_opened

QUEUE = "identity.notices"


def on_campaign_opened(session: Session, event: Envelope) -> None:
    """Each company's administrators hear of the opening, except those whose address is one of the company's
    declaration contacts: workforce mails those (one e-mail per mailbox). Keyed per campaign, company and user, so
    a redelivery sends nothing twice."""
    data = event.data
    year, deadline = int(data["year"]), date.fromisoformat(data["deadline"])
    public_url = portal().settings.public_url
    for entry in session.scalars(
        select(MemberDirectoryEntry).where(MemberDirectoryEntry.status != MemberStatus.CLOSED)
    ):
        declarants = set(
            session.scalars(
                select(MemberDeclarationContact.email).where(MemberDeclarationContact.member_id == entry.member_id)
            )
        )
        for admin in administrators(session, entry.member_id, MailTopic.CAMPAIGN):
            if normalised_email(admin.email) in declarants:
                continue
            queue_mail(
                session,
                mail_outbox,
                campaign_opened(
                    admin.email,
                    company=entry.name,
                    year=year,
                    deadline=deadline,
                    public_url=public_url,
                    key=f"campaign-opened:{data['campaign_id']}:{entry.member_id}:{admin.id}",
                ),
            )
