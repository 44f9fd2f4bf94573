"""Use cases of SEPA direct debit: plan and pre-notify the debits, then build the pain.008 batch.

The IBAN never rests in billing's database nor in any event: the batch reads each debtor's bank details
from members when the file is built (clients.fetch_mandate), and the file is handed to staff, not stored.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date

import requests
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow
from portal_common.mail import Mail
from portal_common.service import Portal

from ...customers.rules import MandateStatus
from ...invoices.rules import OPEN_STATUSES, ZERO, InvoiceKind, InvoiceStatus, settlement_status
from ...ledger.rules import LedgerKind
from ...ledger.use_cases import book, entry_row
from ...models import BillingCustomer, Instalment, Invoice, Payment, SepaBatch, SepaDebit
from ...payments.rules import PaymentInput, PaymentMethod
from ...payments.use_cases import apply_payment
from ..clients import MandateDetails, fetch_mandate
from ..rules import (
    Creditor,
    DebitLine,
    DebitNotRejectable,
    DebitStatus,
    NoticeCreditor,
    Prenotification,
    SepaBatchError,
    collection_date,
    may_debit,
    pain008,
    sequence_type,
)

log = logging.getLogger(__name__)

# Who recorded a debit's payment: the bank file, never a person.
SEPA_PAYER = "prelevement-sepa"
# Planning debits is one job at a time (advisory lock key; see invoices.use_cases.locks for the others).
PLANNING_LOCK = 7303


def _planned_total(session: Session, invoice_id: str) -> object:
    return (
        session.scalar(
            select(func.coalesce(func.sum(SepaDebit.amount), 0)).where(
                SepaDebit.invoice_id == invoice_id, SepaDebit.status != DebitStatus.CANCELLED
            )
        )
        or ZERO
    )


def plan_debits(portal: Portal, *, on: date | None = None) -> list[SepaDebit]:
    """Plan a debit for every open instalment of companies with an active mandate, each pre-notified by e-mail
    (RUM, ICS, amount, date) at least the notice before it; the mail leaves only if the plan commits.

    Running it again plans nothing twice (one debit per instalment, one mail per debit key).
    """
    settings = portal.settings
    notified_on = on or today()
    planned: list[SepaDebit] = []
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
            remaining = invoice.amount_due - _planned_total(session, invoice.id)
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
            count = len(invoice.instalments)
            notice = Prenotification(
                invoice_number=invoice.number,
                mandate_reference=debit.mandate_reference,
                creditor_identifier=settings.creditor_identifier,
                creditor_name=settings.issuer_name,
                amount=amount,
                collection_date=debit.collection_date,
                instalment=f"{instalment.position}/{count}",
            )
            tx.mail(
                Mail(
                    to=customer.billing_email,
                    subject=notice.subject(),
                    body=notice.body(),
                    key=f"sepa-prenotification:{debit.id}",
                )
            )
            planned.append(debit)
        tx.commit()
    log.info("sepa debits planned", extra={"count": len(planned)})
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
    RCUR after, each recorded as the invoice's payment at its collection date (billing.invoice.paid.v1).
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
                        .where(SepaDebit.mandate_reference == reference, SepaDebit.status == DebitStatus.SENT)
                    )
                    or 0
                )
            invoice = session.scalars(select(Invoice).where(Invoice.id == debit.invoice_id).with_for_update()).one()
            if invoice.status not in OPEN_STATUSES or invoice.amount_due <= ZERO:
                # Paid meanwhile (card, transfer) or in litigation: never debit what is not owed.
                debit.status = DebitStatus.CANCELLED
                continue
            debit.amount = min(debit.amount, invoice.amount_due)
            debit.sequence_type = sequence_type(sent_per_mandate[reference])
            sent_per_mandate[reference] += 1
            customer = session.get(BillingCustomer, debit.member_id)
            end_to_end = f"{invoice.number}-{debit.id[:8]}"
            lines.append(
                DebitLine(
                    end_to_end_id=end_to_end,
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
            batch.transaction_count += 1
            batch.control_sum += debit.amount
            # Settled at the collection date; a bank reject (R-transaction) is then recorded by staff.
            debit.payment_id = apply_payment(
                session,
                invoice,
                PaymentInput(
                    method=PaymentMethod.SEPA_DEBIT,
                    amount=debit.amount,
                    received_on=debit.collection_date,
                    reference=f"SEPA {end_to_end}",
                ),
                by=SEPA_PAYER,
                creditor=NoticeCreditor.from_settings(portal.settings),
            ).id
        if not lines:
            session.delete(batch)
            tx.commit()  # keeps the cancellations of debits no longer owed
            raise SepaBatchError("Aucun prélèvement pré-notifié n'est à transmettre à cette date.")
        document = pain008(_creditor(portal), batch.message_id, lines)
        tx.commit()
    log.info("sepa batch created", extra={"batch_id": batch.id, "count": batch.transaction_count})
    return batch, document


def reject_debit(portal: Portal, debit_id: str, *, by: str) -> SepaDebit:
    """The bank returned a sent debit (R-transaction): its payment is reversed, the invoice is owed again, and
    the account records the reject. Raises LookupError or DebitNotRejectable."""
    with portal.uow() as tx:
        session = tx.session
        debit = session.scalars(select(SepaDebit).where(SepaDebit.id == debit_id).with_for_update()).first()
        if debit is None:
            raise LookupError(debit_id)
        if debit.status != DebitStatus.SENT or debit.payment_id is None:
            raise DebitNotRejectable("Seul un prélèvement transmis à la banque peut être rejeté (une seule fois).")
        invoice = session.scalars(select(Invoice).where(Invoice.id == debit.invoice_id).with_for_update()).one()
        payment = session.get(Payment, debit.payment_id)
        payment.reversed_on = today()
        invoice.amount_paid -= payment.applied_amount
        if invoice.status != InvoiceStatus.LITIGATION:
            invoice.status = settlement_status(invoice.amount_incl_tax, invoice.amount_paid)
        debit.status = DebitStatus.REJECTED
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
        tx.commit()
    log.info("sepa debit rejected", extra={"debit_id": debit_id})
    return debit
