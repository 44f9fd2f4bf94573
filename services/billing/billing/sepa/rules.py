"""SEPA direct debit rules in plain Python: the debit date after the pre-notification, FRST/RCUR, the
pre-notification e-mail and the pain.008 file (sepaxml, validated against the XSD it ships)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from portal_common.formats import date_fr, money_fr

from ..customers.rules import MandateStatus
from ..invoices.rules import CENT, ZERO


class DebitStatus(StrEnum):
    """A debit's life: pre-notified (amount may still be lowered), sent in a pain.008 file and « en cours »
    until its collection date, collected (then only is it the invoice's payment), cancelled, or rejected."""

    PRENOTIFIED = "prenotifie"
    SENT = "transmis"  # in a file handed to the bank, not collected yet: nothing recorded as paid
    COLLECTED = "encaisse"  # collection date reached: recorded as the invoice's payment (payment_id)
    CANCELLED = "annule"
    REJECTED = "rejete"  # the bank returned it (R-transaction): the invoice is owed again


DEBIT_STATUS_LABELS = {
    DebitStatus.PRENOTIFIED: "Pré-notifié",
    DebitStatus.SENT: "Transmis à la banque (en cours)",
    DebitStatus.COLLECTED: "Encaissé",
    DebitStatus.CANCELLED: "Annulé",
    DebitStatus.REJECTED: "Rejeté par la banque",
}
# The debits the bank may still return: in flight, or collected.
REJECTABLE = (DebitStatus.SENT, DebitStatus.COLLECTED)


class DebitNotRejectable(Exception):
    """Only a debit sent to the bank can come back rejected (French message)."""


class DebitNotCollectable(Exception):
    """A debit is collected only once in a file and at its collection date (French message)."""


def check_collectable(status: str, collection_date: date, today: date) -> None:
    """A debit becomes the invoice's payment only once sent to the bank and on or after its collection date:
    before that no money has moved."""
    if status != DebitStatus.SENT:
        raise DebitNotCollectable("Seul un prélèvement transmis à la banque et non encaissé peut être encaissé.")
    if collection_date > today:
        raise DebitNotCollectable(
            f"Ce prélèvement ne peut être encaissé qu'à partir du {date_fr(collection_date)}, sa date d'échéance."
        )


MIN_PRENOTICE_DAYS = 14  # SEPA rulebook default when the mandate says nothing else (docs/domain.md)
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
    return mandate_status == MandateStatus.ACTIVE and situation_kind not in NO_DEBIT_SITUATIONS


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
        return "\n".join(
            [
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
            ]
        )


@dataclass(frozen=True)
class NoticeLine:
    """One debit a collection run announces."""

    collection_date: date
    invoice_number: str
    instalment: str  # "1/2"
    amount: Decimal


@dataclass(frozen=True)
class RunPrenotification:
    """The one pre-notification a company receives for a collection run (« Préparer et pré-notifier »): every
    debit planned for it, earliest first, and their total, instead of one e-mail per instalment."""

    mandate_reference: str
    creditor_identifier: str
    creditor_name: str
    lines: tuple[NoticeLine, ...]

    @property
    def ordered(self) -> list[NoticeLine]:
        return sorted(self.lines, key=lambda line: (line.collection_date, line.invoice_number, line.instalment))

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    def subject(self) -> str:
        first = self.ordered[0]
        if len(self.lines) == 1:
            return f"Prélèvement SEPA du {date_fr(first.collection_date)} : facture {first.invoice_number}"
        return (
            f"Prélèvements SEPA à partir du {date_fr(first.collection_date)} : {len(self.lines)} échéances, "
            f"{money_fr(self.total)} au total"
        )

    def body(self) -> str:
        listed = [
            f"- le {date_fr(line.collection_date)} : {money_fr(line.amount)} "
            f"(échéance {line.instalment} de la facture {line.invoice_number})"
            for line in self.ordered
        ]
        return "\n".join(
            [
                "Bonjour,",
                "",
                f"Conformément à votre mandat de prélèvement SEPA, {self.creditor_name} prélèvera sur votre compte :",
                "",
                *listed,
                "",
                f"Total : {money_fr(self.total)} ({len(self.lines)} prélèvement(s))",
                "",
                f"Référence unique du mandat (RUM) : {self.mandate_reference}",
                f"Identifiant créancier SEPA (ICS) : {self.creditor_identifier}",
                "",
                "Merci de vous assurer que votre compte est approvisionné à chacune de ces dates. Pour toute "
                "question, répondez depuis votre espace adhérent, rubrique « Mes factures ».",
            ]
        )


def lowered_amounts(amounts: Sequence[Decimal], ceiling: Decimal) -> list[Decimal]:
    """The pending debits of an invoice (earliest first) lowered so they add up to at most `ceiling`, what is
    still due: the latest instalments give way first, so the nearest debits keep the amount announced."""
    excess = sum(amounts, ZERO) - max(ceiling, ZERO)
    lowered = list(amounts)
    for index in reversed(range(len(lowered))):
        if excess <= ZERO:
            break
        cut = min(lowered[index], excess)
        lowered[index] -= cut
        excess -= cut
    return lowered


@dataclass(frozen=True)
class CorrectedPrenotification:
    """A pre-notified debit lowered after its notice left (a credit note, a payment): the new amount at the same
    date, or its cancellation when nothing is left to debit."""

    notice: Prenotification  # with the new amount
    previous_amount: Decimal
    reason: str  # "d'un avoir", "d'un règlement reçu"

    @property
    def cancelled(self) -> bool:
        return self.notice.amount <= ZERO

    def subject(self) -> str:
        change = "annulé" if self.cancelled else "modifié"
        return (
            f"Prélèvement SEPA du {date_fr(self.notice.collection_date)} {change} : "
            f"facture {self.notice.invoice_number}"
        )

    def body(self) -> str:
        notice = self.notice
        day = date_fr(notice.collection_date)
        instalment = f"échéance {notice.instalment} de la facture {notice.invoice_number}"
        if self.cancelled:
            change = (
                f"À la suite {self.reason}, le prélèvement de {money_fr(self.previous_amount)} annoncé pour "
                f"le {day} ({instalment}) est annulé : rien ne sera prélevé sur votre compte à cette date."
            )
            amount, when = f"{money_fr(ZERO)} (prélèvement annulé)", f"aucune (le {day} est annulé)"
        else:
            change = (
                f"À la suite {self.reason}, le prélèvement annoncé pour le {day} ({instalment}) est réduit : "
                f"{notice.creditor_name} prélèvera {money_fr(notice.amount)} au lieu de "
                f"{money_fr(self.previous_amount)} sur votre compte le {day}."
            )
            amount, when = money_fr(notice.amount), day
        return "\n".join(
            [
                "Bonjour,",
                "",
                change,
                "",
                f"Référence unique du mandat (RUM) : {notice.mandate_reference}",
                f"Identifiant créancier SEPA (ICS) : {notice.creditor_identifier}",
                f"Montant : {amount}",
                f"Date du prélèvement : {when}",
                "",
                "Ce message remplace la pré-notification précédente de cette échéance. Pour toute question, "
                "répondez depuis votre espace adhérent, rubrique « Mes factures ».",
            ]
        )


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    identifier: str  # ICS


@dataclass(frozen=True)
class NoticeCreditor:
    """The creditor a pre-notification names: the service's legal name and its ICS (from the settings)."""

    name: str
    identifier: str  # ICS

    @classmethod
    def from_settings(cls, settings: Any) -> NoticeCreditor:
        return cls(name=settings.issuer_name, identifier=settings.creditor_identifier)


# Why a pre-notified debit was lowered, as its corrected notice says it ("À la suite …").
AFTER_CREDIT_NOTE, AFTER_PAYMENT = "d'un avoir émis sur cette facture", "d'un règlement reçu pour cette facture"
AFTER_OFFSET = "de l'imputation de votre crédit sur cette facture"


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


def bank_file_config(name: str, iban: str, bic: str, **more: Any) -> dict[str, Any]:
    """sepaxml's settings of the service's own account (creditor of debits, debtor of refunds), one batch in euros."""
    return {"name": name, "IBAN": iban.replace(" ", ""), "BIC": bic, "batch": True, "currency": "EUR", **more}


def bank_file_payment(name: str, iban: str, bic: str | None, amount: Decimal, **more: Any) -> dict[str, Any]:
    """sepaxml's payment to or from a member's account; its BIC only when members knows it (optional in SEPA)."""
    payment: dict[str, Any] = {"name": name, "IBAN": iban.replace(" ", ""), "amount": to_cents(amount), **more}
    if bic:
        payment["BIC"] = bic
    return payment


def bank_file(document: Any, root: str, message_id: str, payments: Iterable[dict[str, Any]]) -> bytes:
    """The sepaxml `document` (pain.008 or pain.001, its XML root element `root`) with `payments`, validated
    against the XSD sepaxml ships."""
    # sepaxml draws a random message id; ours is stored with the batch, so a file can be traced to it.
    document.msg_id = message_id
    document._xml.find(f"{root}/GrpHdr/MsgId").text = message_id
    for payment in payments:
        document.add_payment(payment)
    return bytes(document.export(validate=True))


def pain008(creditor: Creditor, message_id: str, lines: list[DebitLine]) -> bytes:
    """The pain.008.001.02 file of `lines` (grouped by sequence type and date), validated against the XSD."""
    from sepaxml import SepaDD  # type: ignore[import-untyped]

    if not lines:
        raise SepaBatchError("Aucun prélèvement à transmettre.")
    debit = SepaDD(
        bank_file_config(creditor.name, creditor.iban, creditor.bic, creditor_id=creditor.identifier),
        schema=PAIN_SCHEMA,
        clean=True,
    )
    payments = (
        bank_file_payment(
            line.debtor_name,
            line.iban,
            line.bic,
            line.amount,
            type=line.sequence_type,
            collection_date=line.collection_date,
            mandate_id=line.mandate_reference,
            mandate_date=line.mandate_signed_on,
            description=line.description,
            endtoend_id=line.end_to_end_id,
        )
        for line in lines
    )
    return bank_file(debit, "CstmrDrctDbtInitn", message_id, payments)
