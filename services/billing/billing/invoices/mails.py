"""The e-mails of a new document (invoice, facture d'office, credit note) to the member's billing address:
plain French text with the amounts in the body and a link to the PDF (never an amount in an attachment only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal_common.formats import date_fr, money_fr
from portal_common.mail_message import Mail

from .rules import KIND_LABELS, ZERO, InvoiceKind

# The public address of the portal, kept in each session's `info` by the app factory: use cases queue the
# mails of the documents they issue from a request, a consumer or a test alike.
PUBLIC_URL_KEY = "public_url"
INVOICES_PATH = "/factures"
FOOTER = "Ce message est envoyé automatiquement, merci de ne pas y répondre."


def document_link(public_url: str, document_id: str) -> str:
    return f"{public_url.rstrip('/')}{INVOICES_PATH}/{document_id}/pdf"


@dataclass(frozen=True)
class IssuedDocument:
    """What the mail of a new invoice or credit note says (plain values, whatever issued it)."""

    id: str
    number: str
    kind: str
    issued_on: date
    due_on: date
    period: str
    amount_incl_tax: Decimal
    amount_paid: Decimal
    # Part of amount_paid set off from the member's credit when it was issued (« Compensation avoir »).
    compensated: Decimal
    schedule: tuple[tuple[date, Decimal], ...]
    member_name: str
    corrects_number: str | None = None


def issued_mail(document: IssuedDocument, *, to: str, public_url: str) -> Mail:
    """One mail per document, whatever delivered the fact that issued it (key: the document's id)."""
    if document.kind == InvoiceKind.CREDIT_NOTE:
        subject, body = _credit_note(document)
    else:
        subject, body = _invoice(document)
    link = document_link(public_url, document.id)
    text = (
        f"Bonjour,\n\n{body}\n\n"
        f"Consulter et télécharger le document : {link}\n"
        f"Toutes vos factures : {public_url.rstrip('/')}{INVOICES_PATH}\n\n{FOOTER}\n"
    )
    return Mail(to=to, subject=subject, body=text, key=f"billing-document-issued:{document.id}")


def _invoice(document: IssuedDocument) -> tuple[str, str]:
    label = KIND_LABELS[document.kind]
    due = document.amount_incl_tax - document.amount_paid
    if document.kind == InvoiceKind.ESTIMATE:
        subject = f"Facture d'office {document.number} : cotisation {document.period}"
        intro = (
            f"Faute de déclaration des effectifs {document.period} reçue à la clôture de la campagne, "
            f"la facture d'office {document.number} du {date_fr(document.issued_on)} est établie pour "
            f"{document.member_name} sur la base de vos effectifs connus."
        )
    else:
        subject = f"Nouvelle facture {document.number} : {label.lower()} {document.period}"
        intro = (
            f"La facture {document.number} du {date_fr(document.issued_on)} ({label}, période {document.period}) "
            f"est établie pour {document.member_name}."
        )
    lines = [intro, "", f"Montant TTC : {money_fr(document.amount_incl_tax)}"]
    if document.compensated > ZERO:
        lines.append(f"Compensation avoir (crédit en votre faveur imputé) : {money_fr(document.compensated)}")
    other = document.amount_paid - document.compensated
    if other > ZERO:
        lines.append(f"Déjà réglé : {money_fr(other)}")
    lines.append(f"Reste à payer : {money_fr(due)}")
    if due > ZERO:
        if len(document.schedule) > 1:
            lines.append("Échéancier :")
            lines.extend(f"- {date_fr(on)} : {money_fr(amount)}" for on, amount in document.schedule)
        else:
            lines.append(f"Échéance : {date_fr(document.due_on)}")
    else:
        lines.append("Cette facture est entièrement réglée : vous n'avez rien à payer.")
    return subject, "\n".join(lines)


def _credit_note(document: IssuedDocument) -> tuple[str, str]:
    credited = -document.amount_incl_tax
    set_off = -document.amount_paid
    kept = credited - set_off
    corrects = f" sur la facture {document.corrects_number}" if document.corrects_number else ""
    subject = f"Avoir {document.number}{corrects}"
    lines = [
        f"L'avoir {document.number} du {date_fr(document.issued_on)} est établi pour {document.member_name}"
        f"{corrects} (période {document.period}).",
        "",
        f"Montant crédité TTC : {money_fr(credited)}",
    ]
    if set_off > ZERO and document.corrects_number:
        lines.append(f"Déduit du reste à payer de la facture {document.corrects_number} : {money_fr(set_off)}")
    elif set_off > ZERO:  # a standalone credit note given back at once
        lines.append(f"Remboursé : {money_fr(set_off)}")
    if kept > ZERO:
        lines.append(
            f"Crédit en votre faveur : {money_fr(kept)}. Il sera imputé sur votre prochaine facture, "
            "ou remboursé par le service."
        )
    lines.append("Un avoir ne se paie pas : vous n'avez rien à régler.")
    return subject, "\n".join(lines)
