"""Tables owned by the billing service: the customer read model, invoices and their numbering."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal_common.db import UTCDateTime, declarative_base
from portal_common.messaging.outbox import inbox_table, outbox_table

from .domain import amount_due

Base = declarative_base()
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)

Money = Numeric(12, 2, asdecimal=True)


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
    # The members aggregate's version: older or repeated snapshots are ignored.
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Invoice(Base):
    """An invoice or a credit note (kind "avoir", negative amounts)."""

    __tablename__ = "invoice"
    __table_args__ = (Index("ix_invoice_member_issued", "member_id", "issued_on"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("billing_customer.member_id"))
    number: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(20))
    amount_excl_tax: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4, asdecimal=True))
    vat_amount: Mapped[Decimal] = mapped_column(Money)
    amount_incl_tax: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan")

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
