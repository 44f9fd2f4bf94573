"""The e-mail telling a member that (part of) its credit is refunded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal_common.formats import date_fr, money_fr
from portal_common.mail_message import Mail

from ..invoices.mails import FOOTER, INVOICES_PATH


@dataclass(frozen=True)
class Refund:
    entry_id: str
    amount: Decimal
    booked_on: date
    reference: str  # what staff wrote, or the transfer's end-to-end reference
    credit_left: Decimal
    by_transfer_to: str | None = None  # the mandate's reference (RUM) when paid by SEPA transfer, never the IBAN


def refund_mail(refund: Refund, *, to: str, public_url: str) -> Mail:
    """One mail per refund entry (key: the entry's id)."""
    amount = money_fr(refund.amount)
    how = (
        f"par virement SEPA sur le compte de votre mandat de prélèvement (RUM {refund.by_transfer_to})"
        if refund.by_transfer_to
        else "par le service"
    )
    lines = [
        f"Le remboursement de {amount} de votre crédit est enregistré le {date_fr(refund.booked_on)}, {how}.",
        "",
        f"Montant remboursé : {amount}",
        f"Référence : {refund.reference}",
        f"Crédit restant en votre faveur : {money_fr(refund.credit_left)}",
    ]
    body = (
        "Bonjour,\n\n" + "\n".join(lines) + "\n\n"
        f"Votre échéancier : {public_url.rstrip('/')}{INVOICES_PATH}/echeancier\n\n{FOOTER}\n"
    )
    return Mail(
        to=to,
        subject=f"Remboursement de {amount} de votre crédit",
        body=body,
        key=f"billing-refund:{refund.entry_id}",
    )
