"""Tables owned by the billing service: customer read model, tariffs, invoices, instalments, payments, numbering."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal_common.db import UTCDateTime, declarative_base
from portal_common.idempotency import idempotency_table
from portal_common.mail import mail_outbox_table
from portal_common.messaging.outbox import inbox_table, outbox_table

from .invoices.rules import amount_due

Base = declarative_base()
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
# SEPA pre-notifications leave with the transaction that planned the debit (docs/security.md MSG-07).
mail_outbox = mail_outbox_table(Base.metadata)
# Answers kept for retried API POSTs (Idempotency-Key) and page forms posted twice (portal_common.idempotency).
idempotency = idempotency_table(Base.metadata)

Money = Numeric(12, 2, asdecimal=True)
Rate = Numeric(5, 4, asdecimal=True)


class BillingCustomer(Base):
    """What billing knows of a member company, kept from members' events (never edited here)."""

    __tablename__ = "billing_customer"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_number: Mapped[str] = mapped_column(String(7))
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str] = mapped_column(String(14))
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    billing_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20))
    # SEPA mandate as members announce it (never the IBAN, read from members at batch time).
    mandate_reference: Mapped[str | None] = mapped_column(String(35))
    mandate_status: Mapped[str | None] = mapped_column(String(10))
    mandate_signed_on: Mapped[date | None] = mapped_column(Date)
    # Mandate events carry their own per-member version (signed and revoked share it).
    mandate_version: Mapped[int | None] = mapped_column(Integer)
    # The last situation change staff recorded at members (cessation, liquidation…).
    situation_kind: Mapped[str | None] = mapped_column(String(30))
    situation_effective_on: Mapped[date | None] = mapped_column(Date)
    situation_version: Mapped[int | None] = mapped_column(Integer)
    # The members aggregate's version: older or repeated snapshots are ignored.
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Invoice(Base):
    """An invoice or a credit note (kind "avoir", negative amounts).

    The database holds the invariants money depends on (docs/domain.md, « Invariants de facturation »): one
    live annual fee per member and period, a credit note never payable, an allocation never above the total.
    """

    __tablename__ = "invoice"
    __table_args__ = (
        Index("ix_invoice_member_issued", "member_id", "issued_on"),
        # At most one live annual fee (real or estimated) per member and year: a new one only once the
        # previous one is cancelled by a credit note (cancelled_by_id), in the same transaction.
        Index(
            "uq_invoice_live_annual",
            "member_id",
            "period",
            unique=True,
            postgresql_where=text("kind IN ('cotisation', 'facture_office') AND cancelled_by_id IS NULL"),
            sqlite_where=text("kind IN ('cotisation', 'facture_office') AND cancelled_by_id IS NULL"),
        ),
        CheckConstraint(
            "(kind = 'avoir') = (status = 'avoir')"
            " AND (kind <> 'avoir' OR (amount_incl_tax < 0 AND amount_paid <= 0 AND amount_paid >= amount_incl_tax))",
            name="credit_note_not_payable",
        ),
        CheckConstraint(
            "kind = 'avoir' OR (amount_incl_tax > 0 AND amount_paid >= 0 AND amount_paid <= amount_incl_tax)",
            name="allocation_within_total",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("billing_customer.member_id"))
    number: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(20))
    amount_excl_tax: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    vat_amount: Mapped[Decimal] = mapped_column(Money)
    amount_incl_tax: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)
    # The declaration an annual invoice bills (workforce's id), shown in its event.
    declaration_id: Mapped[str | None] = mapped_column(String(36))
    # What caused an automatic invoice ("declaration:<id>", "estimate:<member>:<year>"…): unique, so a
    # fact delivered twice, or to two workers at once, never bills twice.
    source_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    # The invoice a credit note corrects or cancels.
    corrects_invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoice.id"))
    # The credit note that cancelled this invoice in full (an annual fee then stops being live).
    cancelled_by_id: Mapped[str | None] = mapped_column(ForeignKey("invoice.id"))

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    instalments: Mapped[list[Instalment]] = relationship(
        back_populates="invoice", order_by="Instalment.position", cascade="all, delete-orphan"
    )

    # Optimistic locking: every ORM update checks and bumps the version (a stale write raises StaleDataError).
    __mapper_args__ = {"version_id_col": version}

    @property
    def amount_due(self) -> Decimal:
        """Reste à payer (negative on a credit note not yet set off)."""
        return amount_due(self.amount_incl_tax, self.amount_paid)


class InvoiceLine(Base):
    __tablename__ = "invoice_line"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    # Lines print in the order they were given.
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Money)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class InvoiceSequence(Base):
    """The last invoice number given in a year; its row lock serialises numbering across workers."""

    __tablename__ = "invoice_sequence"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class Instalment(Base):
    """One due date of an invoice's schedule (an annual fee is paid in 1 to 4 instalments)."""

    __tablename__ = "instalment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)

    invoice: Mapped[Invoice] = relationship(back_populates="instalments")


class Payment(Base):
    """Money received for an invoice; what exceeds the amount due stays with the company as a credit."""

    __tablename__ = "payment"
    __table_args__ = (
        Index("ix_payment_member_received", "member_id", "received_on"),
        CheckConstraint(
            "amount > 0 AND applied_amount >= 0 AND applied_amount <= amount", name="applied_within_amount"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoice.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("billing_customer.member_id"))
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    # The part that settled the invoice; amount - applied is the credit kept for the company.
    applied_amount: Mapped[Decimal] = mapped_column(Money)
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A SEPA debit the bank rejected (R-transaction): the payment no longer settles anything.
    reversed_on: Mapped[date | None] = mapped_column(Date)


class LedgerEntry(Base):
    """One entry of a member's account (compte adhérent): the single source of every figure billing shows.

    `amount` is signed (positive: the member owes more; negative: a credit); `applied_amount` is the part
    allocated to `settles_invoice_id` (an invoice's « déjà réglé » is the sum of what settles it).
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        Index("ix_ledger_entry_member_booked", "member_id", "booked_on"),
        # Partial: an invoice's own entry settles nothing (the January rush inserts thousands of those).
        Index("ix_ledger_entry_settles", "settles_invoice_id", postgresql_where=text("settles_invoice_id IS NOT NULL")),
        Index("ix_ledger_entry_document", "document_id"),
        CheckConstraint("settles_invoice_id IS NOT NULL OR applied_amount = 0", name="applied_needs_invoice"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("billing_customer.member_id"))
    kind: Mapped[str] = mapped_column(String(20))
    booked_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    applied_amount: Mapped[Decimal] = mapped_column(Money)
    # The invoice or credit note this entry records (kind invoice or credit note).
    document_id: Mapped[str | None] = mapped_column(ForeignKey("invoice.id"))
    settles_invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoice.id"))
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payment.id"))
    label: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReceivedDeclaration(Base):
    """A confirmed headcount declaration as billing received it: the campaign dashboard counts these, and
    a hire after `confirmed_on` is billed as a late hire."""

    __tablename__ = "received_declaration"
    __table_args__ = (
        Index("ix_received_declaration_member_year", "member_id", "year"),
        Index("ix_received_declaration_year", "year"),
    )

    declaration_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    # The day workforce confirmed it (Paris time), from the event's occurrence.
    confirmed_on: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The annual invoice issued for it; None when it owed nothing.
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoice.id"))
    # Employees it declares, all categories (the members' per-year history shows it).
    headcount: Mapped[int | None] = mapped_column(Integer)


class PendingHire(Base):
    """A hire of the current year at a company whose declaration of that year billing has not received yet:
    billed as a late hire when the declaration arrives (a hire after 1 January is not in its headcount)."""

    __tablename__ = "pending_hire"
    __table_args__ = (Index("ix_pending_hire_member_year", "member_id", "year"),)

    employee_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    year: Mapped[int] = mapped_column(Integer)
    hire_date: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(3))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Named on the late-hire line once billed.
    employee_name: Mapped[str | None] = mapped_column(String(120))


class ClosedCampaign(Base):
    """A declaration campaign workforce closed: when, and how many members were billed an estimate."""

    __tablename__ = "closed_campaign"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    campaign_id: Mapped[str] = mapped_column(String(36))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    undeclared_count: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TariffRow(Base):
    """The fees of one year, as staff configured them (see tariffs.rules.Tariff)."""

    __tablename__ = "tariff"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    per_capita_fee: Mapped[Decimal] = mapped_column(Money)
    national_average_cost: Mapped[Decimal] = mapped_column(Money)
    entry_fee: Mapped[Decimal] = mapped_column(Money)
    minimum_fee: Mapped[Decimal] = mapped_column(Money)
    late_hire_fee: Mapped[Decimal] = mapped_column(Money)
    no_show_fee: Mapped[Decimal] = mapped_column(Money)
    sepa_discount_rate: Mapped[Decimal] = mapped_column(Rate)
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    multi_employer_share: Mapped[Decimal] = mapped_column(Rate)
    estimate_uplift_rate: Mapped[Decimal] = mapped_column(Rate)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(100))
    # SQLAlchemy's version counter: the API's ETag and the page form's hidden version (a stale save is refused).
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class CardPayment(Base):
    """One card payment attempt: created when the portal sends the company to the provider, settled only by
    the provider's signed notification (never by the browser's return)."""

    __tablename__ = "card_payment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # What the provider echoes back in its notification.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoice.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("billing_customer.member_id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20))  # en_attente, payee, refusee
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    transaction_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payment.id"))


class SepaBatch(Base):
    """A pain.008 file handed to the bank: the debits it carries point to it. The file itself is kept sealed
    (it carries the IBANs read from members at export) so staff can download the same bytes again."""

    __tablename__ = "sepa_batch"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    collection_date: Mapped[date] = mapped_column(Date)
    transaction_count: Mapped[int] = mapped_column(Integer)
    control_sum: Mapped[Decimal] = mapped_column(Money)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The generated file, sealed (sepa/bank_files.py) with the key `document_key_id` names; None before 0007.
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_key_id: Mapped[str | None] = mapped_column(String(16))


class SepaDebit(Base):
    """One instalment to be debited under the company's mandate, pre-notified at least 14 days ahead.

    Its states (docs/domain.md « Prélèvement SEPA »), held by the database: pre-notified (in no file, no
    payment), sent (in a file, « en cours », no payment yet), collected (its payment recorded at the collection
    date), cancelled, or rejected (in a file; its payment, if it was collected, reversed)."""

    __tablename__ = "sepa_debit"
    __table_args__ = (
        Index("ix_sepa_debit_status_collection", "status", "collection_date"),
        CheckConstraint(
            "(status = 'prenotifie' AND batch_id IS NULL AND payment_id IS NULL AND amount > 0)"
            " OR (status = 'transmis' AND batch_id IS NOT NULL AND payment_id IS NULL AND amount > 0)"
            " OR (status = 'encaisse' AND batch_id IS NOT NULL AND payment_id IS NOT NULL AND amount > 0)"
            " OR (status = 'rejete' AND batch_id IS NOT NULL AND amount > 0)"
            " OR (status = 'annule' AND payment_id IS NULL AND amount >= 0)",
            name="debit_state",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instalment_id: Mapped[str] = mapped_column(ForeignKey("instalment.id"), unique=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoice.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("billing_customer.member_id"))
    mandate_reference: Mapped[str] = mapped_column(String(35))
    amount: Mapped[Decimal] = mapped_column(Money)
    collection_date: Mapped[date] = mapped_column(Date)
    sequence_type: Mapped[str | None] = mapped_column(String(4))  # FRST or RCUR, fixed when batched
    status: Mapped[str] = mapped_column(String(20))  # sepa.rules.DebitStatus
    prenotified_on: Mapped[date] = mapped_column(Date)
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("sepa_batch.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The payment the debit recorded once collected (reversed if the bank rejects it).
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payment.id"))


class AppointmentOutcome(Base):
    """The latest outcome of an appointment billing has applied (scheduling's missed and outcome-corrected
    events), with scheduling's version: an older or repeated event changes nothing, and the row is the lock two
    workers take before deciding on the appointment's no-show fee."""

    __tablename__ = "appointment_outcome"

    appointment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))  # portal_common.vocabulary.VisitOutcome
    version: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RefundBatch(Base):
    """A pain.001 file (SEPA credit transfers) refunding members' credit to their mandate's account: the
    transfers it carries point to it. Kept sealed like the pain.008 files (it carries the IBANs)."""

    __tablename__ = "refund_batch"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    execution_date: Mapped[date] = mapped_column(Date)
    transaction_count: Mapped[int] = mapped_column(Integer)
    control_sum: Mapped[Decimal] = mapped_column(Money)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    document: Mapped[bytes] = mapped_column(LargeBinary)
    document_key_id: Mapped[str] = mapped_column(String(16))


class RefundTransfer(Base):
    """A refund of a member's credit by SEPA credit transfer to its mandate's account, asked by staff.

    Its states (docs/domain.md « Remboursement par virement »), held by the database: to send (no file, no
    ledger entry: the credit is still the member's), sent (in a pain.001 file with its « remboursement » ledger
    entry), or cancelled (nothing left to refund, or no mandate any more, when the file was built). At most one
    waits per member."""

    __tablename__ = "refund_transfer"
    __table_args__ = (
        CheckConstraint(
            "(status = 'a_transmettre' AND batch_id IS NULL AND ledger_entry_id IS NULL AND amount > 0)"
            " OR (status = 'transmis' AND batch_id IS NOT NULL AND ledger_entry_id IS NOT NULL"
            " AND end_to_end_id IS NOT NULL AND amount > 0)"
            " OR (status = 'annule' AND batch_id IS NULL AND ledger_entry_id IS NULL)",
            name="transfer_state",
        ),
        Index(
            "uq_refund_transfer_one_waiting",
            "member_id",
            unique=True,
            postgresql_where=text("status = 'a_transmettre'"),
            sqlite_where=text("status = 'a_transmettre'"),
        ),
        Index("ix_refund_transfer_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("billing_customer.member_id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20))  # refunds.rules.TransferStatus
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Fixed when the file is built: the mandate it pays to (its reference, never the IBAN) and the file's id.
    mandate_reference: Mapped[str | None] = mapped_column(String(35))
    end_to_end_id: Mapped[str | None] = mapped_column(String(35), unique=True)
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("refund_batch.id"), index=True)
    ledger_entry_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_entry.id"), unique=True)
