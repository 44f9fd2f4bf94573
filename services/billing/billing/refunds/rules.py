"""Rules of refunds by SEPA credit transfer: the states of a transfer, what staff may ask, and the pain.001 file
(sepaxml, validated against the XSD it ships) that carries them to the bank."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from portal_common.errors import FieldErrors

from ..customers.rules import MandateStatus
from ..ledger.rules import RefundRejected, check_refund
from ..sepa.rules import bank_file, bank_file_config, bank_file_payment

PAIN001_SCHEMA = "pain.001.001.03"


class TransferStatus(StrEnum):
    """The stored value (docs/domain.md « Remboursement par virement »)."""

    WAITING = "a_transmettre"  # asked by staff, in no file yet: the credit is still the member's
    SENT = "transmis"  # in a pain.001 file, with its « remboursement » ledger entry
    CANCELLED = "annule"  # nothing left to refund, or no mandate any more, when the file was built


TRANSFER_STATUS_LABELS = {
    TransferStatus.WAITING: "À transmettre",
    TransferStatus.SENT: "Transmis à la banque",
    TransferStatus.CANCELLED: "Annulé",
}


class TransferRejected(FieldErrors):
    """A transfer staff may not ask for (no mandate, one already waiting, more than the credit)."""


class RefundBatchError(Exception):
    """No transfer to put in a file (the French message is shown as it is)."""


def check_transfer(amount: Decimal, credit: Decimal, *, mandate_status: str | None, already_waiting: bool) -> Decimal:
    """A refund by transfer goes to the account of an active mandate, at most the credit held, one at a time."""
    if mandate_status != MandateStatus.ACTIVE:
        raise TransferRejected(
            {"amount": "L'adhérent n'a pas de mandat SEPA actif : remboursez-le par un autre moyen."}
        )
    if already_waiting:
        raise TransferRejected(
            {"amount": "Un remboursement par virement attend déjà le prochain fichier pour cet adhérent."}
        )
    try:
        return check_refund(amount, credit)
    except RefundRejected as refused:  # the same message, as this rule's refusal
        raise TransferRejected(refused.errors) from refused


@dataclass(frozen=True)
class Debtor:
    """Who pays the refunds: the service's own account (from the settings)."""

    name: str
    iban: str
    bic: str


@dataclass(frozen=True)
class TransferLine:
    """One transfer of the file: the payee's bank details come from members at export time only."""

    end_to_end_id: str
    payee_name: str
    iban: str
    bic: str | None
    amount: Decimal
    description: str


def end_to_end_id(member_number: str, transfer_id: str) -> str:
    """The reference the member's bank statement shows (≤ 35 characters, SEPA's character set)."""
    return f"RMB-{member_number}-{transfer_id.replace('-', '')[:12].upper()}"


def pain001(debtor: Debtor, message_id: str, execution_date: date, lines: list[TransferLine]) -> bytes:
    """The pain.001.001.03 file of `lines`, one payment information block, validated against the XSD."""
    from sepaxml import SepaTransfer  # type: ignore[import-untyped]

    if not lines:
        raise RefundBatchError("Aucun remboursement à transmettre.")
    transfer = SepaTransfer(bank_file_config(debtor.name, debtor.iban, debtor.bic), schema=PAIN001_SCHEMA, clean=True)
    payments = (
        bank_file_payment(
            line.payee_name,
            line.iban,
            line.bic,
            line.amount,
            execution_date=execution_date,
            description=line.description,
            endtoend_id=line.end_to_end_id,
        )
        for line in lines
    )
    return bank_file(transfer, "CstmrCdtTrfInitn", message_id, payments)
