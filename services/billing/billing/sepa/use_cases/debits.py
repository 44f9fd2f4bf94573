"""Use cases of SEPA direct debit: plan and pre-notify the debits, build the pain.008 batch, settle each debit
at its collection date (never before: until then it is « en cours »), and record the bank's rejects.

The IBAN never rests in clear in billing's database nor in any event: the batch reads each debtor's bank
details from members when the file is built (clients.fetch_mandate); the file is kept sealed (bank_files).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from decimal import Decimal

import requests
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow
from portal_common.keyring import KeyRing
from portal_common.mail import Mail
from portal_common.service import Portal

from ...customers.rules import MandateStatus
from ...invoices.rules import OPEN_STATUSES, ZERO, InvoiceKind, InvoiceStatus, settlement_status
from ...ledger.rules import LedgerKind
from ...ledger.use_cases import book, entry_row
from ...models import BillingCustomer, Instalment, Invoice, Payment, SepaBatch, SepaDebit
from ...payments.rules import PaymentInput, PaymentMethod
from ...payments.use_cases import apply_payment
from ..bank_files import SealedFile, bank_file_ring, open_file, seal_file
from ..clients import MandateDetails, fetch_mandate
from ..rules import (
    AFTER_PAYMENT,
    REJECTABLE,
    Creditor,
    DebitLine,
    DebitNotRejectable,
    DebitStatus,
    NoticeCreditor,
    NoticeLine,
    RunPrenotification,
    SepaBatchError,
    check_collectable,
    collection_date,
    may_debit,
    pain008,
    sequence_type,
)
from .adjustments import fit_pending_debits

log = logging.getLogger(__name__)

# Who recorded a debit's payment: the bank file, never a person.
SEPA_PAYER = "prelevement-sepa"
# Planning debits is one job at a time (advisory lock key; see invoices.use_cases.locks for the others).
PLANNING_LOCK = 7303


def _debited_total(session: Session, invoice_id: str, *statuses: DebitStatus) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(SepaDebit.amount), 0)).where(
            SepaDebit.invoice_id == invoice_id, SepaDebit.status.in_(statuses)
        )
    )
    return Decimal(total or 0)


def plan_debits(portal: Portal, *, on: date | None = None) -> list[SepaDebit]:
    """Plan a debit for every open instalment of companies with an active mandate, pre-notified (RUM, ICS,
    amounts, dates) at least the notice before it: one e-mail per company and run, listing every instalment
    and the total; the mail leaves only if the plan commits.

    Running it again plans nothing twice (one debit per instalment, one mail per company and run).
    """
    settings = portal.settings
    notified_on = on or today()
    planned: list[SepaDebit] = []
    # Per company: where its notice goes and what it announces.
    notices: dict[str, tuple[str, str, list[NoticeLine]]] = {}
    with portal.uow() as tx:
        session = tx.session
        # Two clicks at once queue up here: the second then reads the first's debits and plans nothing
        # (without it both would plan the same instalments and the second would fail on their unique key).
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:kind, 0)"), {"kind": PLANNING_LOCK})
        rows = session.execute(
            select(Instalment, Invoice, BillingCustomer)
            .join(Invoice, Instalment.invoice_id == Invoice.id)
            .join(BillingCustomer, Invoice.member_id == BillingCustomer.member_id)
            .outerjoin(SepaDebit, SepaDebit.instalment_id == Instalment.id)
            .where(
                SepaDebit.id.is_(None),
                Invoice.kind != InvoiceKind.CREDIT_NOTE,
                Invoice.status.in_(OPEN_STATUSES),
                BillingCustomer.mandate_status == MandateStatus.ACTIVE,
            )
            .order_by(Invoice.number, Instalment.position)
            # The invoice too: a credit note or payment committing meanwhile is seen here (what remains due),
            # or sees these debits and lowers them (adjustments), never neither.
            .with_for_update(of=(Instalment, Invoice))
        ).all()
        for instalment, invoice, customer in rows:
            if not may_debit(customer.mandate_status, customer.situation_kind) or not customer.billing_email:
                continue
            # What is due and not yet announced or in flight (collected debits are in amount_paid already).
            remaining = invoice.amount_due - _debited_total(
                session, invoice.id, DebitStatus.PRENOTIFIED, DebitStatus.SENT
            )
            amount = min(instalment.amount, remaining)
            if amount <= ZERO:
                continue
            debit = SepaDebit(
                id=str(uuid.uuid4()),
                instalment_id=instalment.id,
                invoice_id=invoice.id,
                member_id=invoice.member_id,
                mandate_reference=customer.mandate_reference,
                amount=amount,
                collection_date=collection_date(
                    instalment.due_on, notified_on=notified_on, prenotice_days=settings.sepa_prenotice_days
                ),
                status=DebitStatus.PRENOTIFIED,
                prenotified_on=notified_on,
                created_at=utcnow(),
            )
            session.add(debit)
            session.flush()
            _, _, lines = notices.setdefault(invoice.member_id, (customer.billing_email, debit.mandate_reference, []))
            lines.append(
                NoticeLine(
                    collection_date=debit.collection_date,
                    invoice_number=invoice.number,
                    instalment=f"{instalment.position}/{len(invoice.instalments)}",
                    amount=amount,
                )
            )
            planned.append(debit)
        for member_id, (email, reference, lines) in notices.items():
            notice = RunPrenotification(
                mandate_reference=reference,
                creditor_identifier=settings.creditor_identifier,
                creditor_name=settings.issuer_name,
                lines=tuple(lines),
            )
            # The run's first debit of the company names the run: a replay of this commit mails nothing twice.
            first = next(debit for debit in planned if debit.member_id == member_id)
            tx.mail(Mail(to=email, subject=notice.subject(), body=notice.body(), key=f"sepa-prenotice-run:{first.id}"))
        tx.commit()
    log.info("sepa debits planned", extra={"count": len(planned), "companies": len(notices)})
    return planned


def _creditor(portal: Portal) -> Creditor:
    settings = portal.settings
    return Creditor(
        name=settings.issuer_name,
        iban=settings.issuer_iban,
        bic=settings.issuer_bic,
        identifier=settings.creditor_identifier,
    )


def create_batch(
    portal: Portal, *, until: date, by: str, http: requests.Session | None = None
) -> tuple[SepaBatch, bytes]:
    """Gather the pre-notified debits due by `until` into one pain.008 file; FRST for a mandate's first debit,
    RCUR after. Nothing is paid yet: each debit is « en cours » until its collection date (settle_due_debits).
    The file is kept sealed for a second download.

    A company whose mandate is gone at members (or changed reference) is left out, not debited; a debit whose
    invoice was paid meanwhile or went to litigation is cancelled."""
    with portal.uow() as tx:
        session = tx.session
        debits = list(
            session.scalars(
                select(SepaDebit)
                .where(SepaDebit.status == DebitStatus.PRENOTIFIED, SepaDebit.collection_date <= until)
                .order_by(SepaDebit.collection_date, SepaDebit.created_at)
                .with_for_update(skip_locked=True)
            )
        )
        mandates: dict[str, MandateDetails | None] = {}
        sent_per_mandate: dict[str, int] = {}
        lines: list[DebitLine] = []
        batch = SepaBatch(
            id=str(uuid.uuid4()),
            message_id=f"SDD-{utcnow():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}",
            collection_date=until,
            transaction_count=0,
            control_sum=ZERO,
            created_by=by[:100],
            created_at=utcnow(),
        )
        session.add(batch)
        session.flush()
        for debit in debits:
            if debit.member_id not in mandates:
                mandates[debit.member_id] = fetch_mandate(portal.settings, debit.member_id, http=http)
            mandate = mandates[debit.member_id]
            if mandate is None or mandate.mandate_reference != debit.mandate_reference:
                log.warning("sepa debit skipped: mandate no longer active", extra={"debit_id": debit.id})
                continue
            reference = debit.mandate_reference
            if reference not in sent_per_mandate:
                sent_per_mandate[reference] = (
                    session.scalar(
                        select(func.count())
                        .select_from(SepaDebit)
                        .where(SepaDebit.mandate_reference == reference, SepaDebit.status.in_(REJECTABLE))
                    )
                    or 0
                )
            invoice = session.scalars(select(Invoice).where(Invoice.id == debit.invoice_id).with_for_update()).one()
            # What is owed beyond the debits already in flight for it (they are not in amount_paid yet).
            owed = invoice.amount_due - _debited_total(session, invoice.id, DebitStatus.SENT)
            if invoice.status not in OPEN_STATUSES or owed <= ZERO:
                # Paid meanwhile (card, transfer) or in litigation: never debit what is not owed.
                debit.status = DebitStatus.CANCELLED
                continue
            debit.amount = min(debit.amount, owed)
            debit.sequence_type = sequence_type(sent_per_mandate[reference])
            sent_per_mandate[reference] += 1
            customer = session.get(BillingCustomer, debit.member_id)
            lines.append(
                DebitLine(
                    end_to_end_id=_end_to_end(invoice, debit),
                    debtor_name=customer.name,
                    iban=mandate.iban,
                    bic=mandate.bic,
                    mandate_reference=reference,
                    mandate_signed_on=mandate.signed_on,
                    amount=debit.amount,
                    collection_date=debit.collection_date,
                    sequence_type=debit.sequence_type,
                    description=f"Facture {invoice.number}",
                )
            )
            debit.status, debit.batch_id = DebitStatus.SENT, batch.id
            session.flush()
            batch.transaction_count += 1
            batch.control_sum += debit.amount
        if not lines:
            session.delete(batch)
            tx.commit()  # keeps the cancellations of debits no longer owed
            raise SepaBatchError("Aucun prélèvement pré-notifié n'est à transmettre à cette date.")
        document = pain008(_creditor(portal), batch.message_id, lines)
        kept = seal_file(_file_ring(portal), document, batch_id=batch.id)
        batch.document, batch.document_key_id = kept.sealed, kept.key_id
        tx.commit()
    log.info("sepa batch created", extra={"batch_id": batch.id, "count": batch.transaction_count})
    return batch, document


def _end_to_end(invoice: Invoice, debit: SepaDebit) -> str:
    return f"{invoice.number}-{debit.id[:8]}"


def _file_ring(portal: Portal) -> KeyRing:
    return bank_file_ring(portal.settings.bank_file_keys, portal.settings.internal_key)


def batch_file(portal: Portal, batch_id: str, *, by: str) -> tuple[str, bytes]:
    """The pain.008 file of a batch (its message id and bytes), the same bytes as when it was generated, for
    staff to download again. Raises LookupError (no such batch, or one from before files were kept) or
    BankFileUnreadable."""
    with portal.uow() as tx:
        batch = tx.session.get(SepaBatch, batch_id)
        if batch is None or batch.document is None or batch.document_key_id is None:
            raise LookupError(batch_id)
        message_id = batch.message_id
        document = open_file(_file_ring(portal), SealedFile(batch.document_key_id, batch.document), batch_id=batch_id)
    # Security log (docs/security.md DP-30): the file carries IBANs; who read which file, never its content.
    log.info("sepa file downloaded", extra={"batch_id": batch_id, "by": by, "message_id": message_id})
    return message_id, document


def _collect(session: Session, debit: SepaDebit, *, by: str, creditor: NoticeCreditor) -> None:
    """Record a sent debit (locked by the caller) as the invoice's payment at its collection date."""
    invoice = session.scalars(select(Invoice).where(Invoice.id == debit.invoice_id).with_for_update()).one()
    payment = apply_payment(
        session,
        invoice,
        PaymentInput(
            method=PaymentMethod.SEPA_DEBIT,
            amount=debit.amount,
            received_on=debit.collection_date,
            reference=f"SEPA {_end_to_end(invoice, debit)}",
        ),
        by=by,
        creditor=creditor,
        adjust_debits=False,
    )
    debit.status, debit.payment_id = DebitStatus.COLLECTED, payment.id
    session.flush()
    # Only now, the debit out of flight: the announced debits of the invoice never take more than is owed.
    fit_pending_debits(session, invoice, reason=AFTER_PAYMENT, creditor=creditor)


def settle_due_debits(portal: Portal, *, on: date | None = None, limit: int = 500) -> int:
    """The settlement step the billing worker runs periodically: every debit sent to the bank whose collection
    date has come is recorded as collected (a payment at its collection date, billing.invoice.paid.v1).
    Workers running it at once share the debits (SKIP LOCKED); returns how many it collected."""
    day = on or today()
    creditor = NoticeCreditor.from_settings(portal.settings)
    with portal.uow() as tx:
        due = list(
            tx.session.scalars(
                select(SepaDebit)
                .where(SepaDebit.status == DebitStatus.SENT, SepaDebit.collection_date <= day)
                .order_by(SepaDebit.collection_date, SepaDebit.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        for debit in due:
            _collect(tx.session, debit, by=SEPA_PAYER, creditor=creditor)
        tx.commit()
    if due:
        log.info("sepa debits collected", extra={"count": len(due)})
    return len(due)


def collect_debit(portal: Portal, debit_id: str, *, by: str) -> SepaDebit:
    """Staff « Marquer comme encaissé »: the bank confirmed the debit, on or after its collection date.
    Raises LookupError or DebitNotCollectable."""
    with portal.uow() as tx:
        debit = tx.session.scalars(select(SepaDebit).where(SepaDebit.id == debit_id).with_for_update()).first()
        if debit is None:
            raise LookupError(debit_id)
        check_collectable(debit.status, debit.collection_date, today())
        _collect(tx.session, debit, by=by, creditor=NoticeCreditor.from_settings(portal.settings))
        tx.commit()
    log.info("sepa debit collected by staff", extra={"debit_id": debit_id})
    return debit


def reject_debit(portal: Portal, debit_id: str, *, by: str) -> SepaDebit:
    """The bank returned a sent debit (R-transaction), before or after its collection: the invoice is owed again.
    Before, nothing had been paid: the debit simply stops being « en cours ». After, its payment is reversed and
    the account records the reject. Raises LookupError or DebitNotRejectable."""
    with portal.uow() as tx:
        session = tx.session
        debit = session.scalars(select(SepaDebit).where(SepaDebit.id == debit_id).with_for_update()).first()
        if debit is None:
            raise LookupError(debit_id)
        if debit.status not in REJECTABLE:
            raise DebitNotRejectable("Seul un prélèvement transmis à la banque peut être rejeté (une seule fois).")
        collected = debit.status == DebitStatus.COLLECTED
        debit.status = DebitStatus.REJECTED
        if collected:
            _reverse(session, debit, by=by)
        tx.commit()
    log.info("sepa debit rejected", extra={"debit_id": debit_id, "after_collection": collected})
    return debit


def _reverse(session: Session, debit: SepaDebit, *, by: str) -> None:
    """Undo a collected debit's payment: the invoice is owed again, the ledger records the reject."""
    invoice = session.scalars(select(Invoice).where(Invoice.id == debit.invoice_id).with_for_update()).one()
    payment = session.get(Payment, debit.payment_id)
    payment.reversed_on = today()
    invoice.amount_paid -= payment.applied_amount
    if invoice.status != InvoiceStatus.LITIGATION:
        invoice.status = settlement_status(invoice.amount_incl_tax, invoice.amount_paid)
    book(
        session,
        entry_row(
            member_id=invoice.member_id,
            kind=LedgerKind.SEPA_REJECTED,
            booked_on=today(),
            amount=payment.amount,
            applied=-payment.applied_amount,
            settles_invoice_id=invoice.id,
            payment_id=payment.id,
            label=f"Rejet du prélèvement : facture {invoice.number}",
            by=by,
        ),
    )
