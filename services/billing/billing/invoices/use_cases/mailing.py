"""Queue the e-mail of every document a transaction issues, once numbered (numbering.assign's last step): they
leave only if the transaction commits, once per document whatever delivered the fact twice."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.mail import queue_mails

from ...models import BillingCustomer, Invoice, mail_outbox
from ...sepa.rules import lowered_amounts
from ..mails import PUBLIC_URL_KEY, IssuedDocument, issued_mail
from ..rules import ZERO, InvoiceKind

log = logging.getLogger(__name__)


def public_url_of(session: Session) -> str:
    """The portal's public address, which the app factory puts in every session's info."""
    url = session.info.get(PUBLIC_URL_KEY)
    if not url:
        raise RuntimeError("billing sessions carry the public URL: open them from the billing app's database")
    return str(url)


def billing_address(member: Any, *, log: logging.Logger, missing: str, **extra: Any) -> str | None:
    """The member's billing e-mail, or None after a warning: every billing mail skips a member without one.

    `log`: the caller's logger, so the warning keeps naming the use case that dropped the mail."""
    if member is None or not member.billing_email:
        log.warning(missing, extra=extra)
        return None
    return str(member.billing_email)


def _schedule(invoice: Any) -> tuple[tuple[Any, Decimal], ...]:
    """What remains to pay per due date (the latest instalments give way to what is already paid, as SEPA
    debits do)."""
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return ()
    rows = [(i["due_on"], i["amount"]) if isinstance(i, dict) else (i.due_on, i.amount) for i in invoice.instalments]
    rows = rows or [(invoice.due_on, invoice.amount_incl_tax)]
    remaining = lowered_amounts([amount for _, amount in rows], invoice.amount_incl_tax - invoice.amount_paid)
    return tuple((on, amount) for (on, _), amount in zip(rows, remaining) if amount > ZERO)


def queue_issued_mails(
    session: Session, invoices: list[Any], compensated: dict[str, Decimal], recipients: Mapping[str, Any] | None = None
) -> int:
    """One mail per numbered document to its member's billing address (two queries for a whole batch).

    `recipients`: the members' names and billing addresses (`name`, `billing_email`) the caller read already, by
    member id: a batch passes those it priced with. Others are looked up one by one (from the session if loaded
    there): an `IN` over the customers would scan them all whenever PostgreSQL's statistics are stale."""
    if not invoices:
        return 0
    recipients = recipients or {}
    members = {
        member_id: recipients.get(member_id) or session.get(BillingCustomer, member_id)
        for member_id in {invoice.member_id for invoice in invoices}
    }
    corrected_ids = {invoice.corrects_invoice_id for invoice in invoices if invoice.corrects_invoice_id}
    numbers = (
        dict(session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(corrected_ids))).all())
        if corrected_ids
        else {}
    )
    public_url = public_url_of(session)
    mails = []
    for invoice in invoices:
        member = members.get(invoice.member_id)
        to = billing_address(
            member, log=log, missing="document issued without a billing e-mail to send it to", invoice_id=invoice.id
        )
        if member is None or to is None:  # `to` is None without a member: repeated for the type checker
            continue
        document = IssuedDocument(
            id=invoice.id,
            number=invoice.number,
            kind=invoice.kind,
            issued_on=invoice.issued_on,
            due_on=invoice.due_on,
            period=invoice.period,
            amount_incl_tax=invoice.amount_incl_tax,
            amount_paid=invoice.amount_paid,
            compensated=compensated.get(invoice.id, ZERO),
            schedule=_schedule(invoice),
            member_name=member.name,
            corrects_number=numbers.get(invoice.corrects_invoice_id),
        )
        mails.append(issued_mail(document, to=to, public_url=public_url))
    return queue_mails(session, mail_outbox, mails)
