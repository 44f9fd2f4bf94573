"""SEPA direct debit rules in plain Python: the debit date after the pre-notification, FRST/RCUR, the
pre-notification e-mail and the pain.008 file (sepaxml, validated against the XSD it ships)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from portal_common.formats import date_fr, money_fr

from .domain import CENT

MIN_PRENOTICE_DAYS = 14  # SEPA rulebook default when the mandate says nothing else (DOMAIN.md §2.8)
FIRST, RECURRING = "FRST", "RCUR"
PAIN_SCHEMA = "pain.008.001.02"
# Collective proceedings: the creditor declares its claim to the administrator, it does not debit.
NO_DEBIT_SITUATIONS = frozenset({"liquidation_judiciaire", "redressement_judiciaire"})


class SepaBatchError(Exception):
    """A batch that cannot be built (nothing to debit, bad creditor settings); the message is French."""


def next_business_day(day: date) -> date:
    """TARGET2 is closed on weekends: a debit falling on Saturday or Sunday moves to Monday."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def collection_date(due_on: date, *, notified_on: date, prenotice_days: int = MIN_PRENOTICE_DAYS) -> date:
    """The instalment's due date, or later when the pre-notification would leave less than the notice."""
    if prenotice_days < MIN_PRENOTICE_DAYS:
        raise ValueError("a SEPA pre-notification is sent at least 14 days before the debit")
    return next_business_day(max(due_on, notified_on + timedelta(days=prenotice_days)))


def sequence_type(debits_already_sent_on_mandate: int) -> str:
    """The first debit under a mandate is FRST, the following ones RCUR."""
    return FIRST if debits_already_sent_on_mandate == 0 else RECURRING


def may_debit(mandate_status: str | None, situation_kind: str | None) -> bool:
    return mandate_status == "active" and situation_kind not in NO_DEBIT_SITUATIONS


@dataclass(frozen=True)
class Prenotification:
    invoice_number: str
    mandate_reference: str
    creditor_identifier: str
    creditor_name: str
    amount: Decimal
    collection_date: date
    instalment: str  # "1/2"

    def subject(self) -> str:
        return f"Prélèvement SEPA du {date_fr(self.collection_date)} : facture {self.invoice_number}"

    def body(self) -> str:
        return "\n".join([
            "Bonjour,",
            "",
            f"Conformément à votre mandat de prélèvement SEPA, {self.creditor_name} prélèvera "
            f"{money_fr(self.amount)} sur votre compte le {date_fr(self.collection_date)} "
            f"(échéance {self.instalment} de la facture {self.invoice_number}).",
            "",
            f"Référence unique du mandat (RUM) : {self.mandate_reference}",
            f"Identifiant créancier SEPA (ICS) : {self.creditor_identifier}",
            f"Montant : {money_fr(self.amount)}",
            f"Date du prélèvement : {date_fr(self.collection_date)}",
            "",
            "Merci de vous assurer que votre compte est approvisionné à cette date. Pour toute question, "
            "répondez depuis votre espace adhérent, rubrique « Mes factures ».",
        ])


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    identifier: str  # ICS


@dataclass(frozen=True)
class DebitLine:
    """One transaction of the file: the debtor's bank details come from members at export time only."""

    end_to_end_id: str
    debtor_name: str
    iban: str
    bic: str | None
    mandate_reference: str
    mandate_signed_on: date
    amount: Decimal
    collection_date: date
    sequence_type: str
    description: str


def to_cents(amount: Decimal) -> int:
    return int(amount.quantize(CENT) * 100)


def pain008(creditor: Creditor, message_id: str, lines: list[DebitLine]) -> bytes:
    """The pain.008.001.02 file of `lines` (grouped by sequence type and date), validated against the XSD."""
    from sepaxml import SepaDD

    if not lines:
        raise SepaBatchError("Aucun prélèvement à transmettre.")
    debit = SepaDD({"name": creditor.name, "IBAN": creditor.iban.replace(" ", ""), "BIC": creditor.bic,
                    "batch": True, "creditor_id": creditor.identifier, "currency": "EUR"},
                   schema=PAIN_SCHEMA, clean=True)
    # sepaxml draws a random message id; ours is stored with the batch, so a file can be traced to it.
    debit.msg_id = message_id
    debit._xml.find("CstmrDrctDbtInitn/GrpHdr/MsgId").text = message_id  # noqa: SLF001 (no public setter)
    for line in lines:
        payment = {"name": line.debtor_name, "IBAN": line.iban.replace(" ", ""), "amount": to_cents(line.amount),
                   "type": line.sequence_type, "collection_date": line.collection_date,
                   "mandate_id": line.mandate_reference, "mandate_date": line.mandate_signed_on,
                   "description": line.description, "endtoend_id": line.end_to_end_id}
        if line.bic:
            payment["BIC"] = line.bic
        debit.add_payment(payment)
    return debit.export(validate=True)
