"""Tables owned by the scheduling service: obligations, requests, slots, appointments, documents, directories."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, Index, Integer, LargeBinary, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from portal_common.db import UTCDateTime, declarative_base
from portal_common.idempotency import idempotency_table
from portal_common.mail import mail_outbox_table
from portal_common.messaging.outbox import inbox_table, outbox_table

Base = declarative_base()
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
mail_outbox = mail_outbox_table(Base.metadata)
# Answers kept for retried API POSTs (Idempotency-Key, 24 hours).
idempotency = idempotency_table(Base.metadata)


class MemberDirectoryEntry(Base):
    """A member company as members last told us (read model fed by members.member.registered.v1)."""

    __tablename__ = "member_directory"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_number: Mapped[str] = mapped_column(String(7))
    name: Mapped[str] = mapped_column(String(200))
    address_line1: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    # From members.member.updated.v1: where convocations are e-mailed, and the company's health centre.
    convocation_email: Mapped[str | None] = mapped_column(String(254), default=None)
    centre_name: Mapped[str | None] = mapped_column(String(200), default=None)
    centre_address: Mapped[str | None] = mapped_column(String(300), default=None)
    centre_phone: Mapped[str | None] = mapped_column(String(30), default=None)
    # The company's general e-mail: convocations go there when no convocation contact has an e-mail.
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    # Name of the convocation contact whose e-mail is `convocation_email` (the mail's greeting).
    convocation_contact: Mapped[str | None] = mapped_column(String(200), default=None)


class ConvocationAddress(Base):
    """A company's "adresse de convocation" (members.address.changed.v1, kind convocation), within its validity."""

    __tablename__ = "convocation_address"

    address_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200), default=None)
    postal_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)
    # The member record's version the event carried: an older event never overwrites a newer one.
    version: Mapped[int] = mapped_column(Integer)


class EmployeeDirectoryEntry(Base):
    """An employee as workforce last told us (read model fed by workforce.employee.hired.v1)."""

    __tablename__ = "employee_directory"

    employee_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    last_name: Mapped[str] = mapped_column(String(200))
    birth_name: Mapped[str] = mapped_column(String(200))
    first_names: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    monitoring_category: Mapped[str] = mapped_column(String(3))
    version: Mapped[int] = mapped_column(Integer)
    # What the obligation rules need (workforce.employee.hired/updated/exited.v1); null for older entries.
    hire_date: Mapped[date | None] = mapped_column(Date, default=None)
    contract: Mapped[str | None] = mapped_column(String(30), default=None)
    post: Mapped[str | None] = mapped_column(String(200), default=None)
    category_since: Mapped[date | None] = mapped_column(Date, default=None)
    # A visit is due before the post (night work…); the reason itself is not kept here.
    before_assignment: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    exit_date: Mapped[date | None] = mapped_column(Date, default=None)
    was_reinforced: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # workforce.employee.post_changed.v1: the day a worker moved from a SIR post to one out of SIR.
    sir_ended_on: Mapped[date | None] = mapped_column(Date, default=None)


class VisitObligation(Base):
    """A visit an employee is due (recomputed from the rules whenever the facts change)."""

    __tablename__ = "visit_obligation"
    # Staff's backlog is read by due date, the employer's by company.
    __table_args__ = (Index("ix_visit_obligation_member_id_due_on", "member_id", "due_on"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employee_id: Mapped[str] = mapped_column(String(36), index=True)
    member_id: Mapped[str] = mapped_column(String(36))
    rule: Mapped[str] = mapped_column(String(40))
    visit_type: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    before_post: Mapped[bool] = mapped_column(Boolean)


class VisitRequest(Base):
    """A visit the employer asked for; staff place it into a slot."""

    __tablename__ = "visit_request"
    # One request still to place per employee and visit type: identical requests (a double click, two people)
    # are one request, whatever the timing.
    __table_args__ = (
        Index(
            "uq_visit_request_open",
            "employee_id",
            "visit_type",
            unique=True,
            postgresql_where=text("status = 'demandee'"),
            sqlite_where=text("status = 'demandee'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    employee_id: Mapped[str] = mapped_column(String(36), index=True)
    visit_type: Mapped[str] = mapped_column(String(20))
    return_date: Mapped[date | None] = mapped_column(Date, default=None)
    due_by: Mapped[date | None] = mapped_column(Date, default=None)
    preferred_from: Mapped[date | None] = mapped_column(Date, default=None)
    preferred_to: Mapped[date | None] = mapped_column(Date, default=None)
    preferred_time: Mapped[str] = mapped_column(String(12))
    constraints: Mapped[str] = mapped_column(String(500))
    comment: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20))
    appointment_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # SQLAlchemy's version counter: each flushed change adds one, and a stale write raises StaleDataError.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Why the service closed it (the employee left, the employer cancelled its visit); none for a withdrawal.
    closed_reason: Mapped[str | None] = mapped_column(String(200), default=None)

    __mapper_args__ = {"version_id_col": version}


class Slot(Base):
    """Time a professional of a centre offers for visits; holds up to `capacity` appointments."""

    __tablename__ = "slot"
    # `booked` counts the appointments held (not cancelled); the database refuses one beyond the capacity.
    __table_args__ = (CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    centre_name: Mapped[str] = mapped_column(String(200))
    centre_address: Mapped[str] = mapped_column(String(300))
    professional_kind: Mapped[str] = mapped_column(String(30))
    professional_name: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A closed slot takes no more visits; the ones it holds stay (staff move or cancel them).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # SQLAlchemy's version counter (see VisitRequest): a move or a closure moves it on, so a move staff read
    # before another is refused. Taking or freeing a seat (a plain UPDATE of `booked`) leaves it.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Document(Base):
    """A PDF the employer may see: convocation, attestation de suivi, avis d'aptitude or d'inaptitude."""

    __tablename__ = "document"
    __table_args__ = (Index("ix_document_member_id_issued_on", "member_id", "issued_on"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    employee_id: Mapped[str] = mapped_column(String(36))
    appointment_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Appointment(Base):
    __tablename__ = "appointment"
    # The pages list one company's appointments by date.
    __table_args__ = (Index("ix_appointment_member_id_starts_at", "member_id", "starts_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    employee_id: Mapped[str] = mapped_column(String(36), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(Integer)
    visit_type: Mapped[str] = mapped_column(String(20))
    place_name: Mapped[str] = mapped_column(String(200))
    place_address: Mapped[str] = mapped_column(String(300))
    professional_kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # SQLAlchemy's version counter (see VisitRequest): the events, the iCalendar SEQUENCE and the mail key carry it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    slot_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    request_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # Who cancelled (CancelledBy), when and why (CancellationReason and free text): the other side reads it.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_by: Mapped[str | None] = mapped_column(String(20), default=None)
    cancellation_reason_code: Mapped[str | None] = mapped_column(String(30), default=None)
    cancellation_reason_text: Mapped[str | None] = mapped_column(String(500), default=None)

    __mapper_args__ = {"version_id_col": version}


class OutcomeCorrection(Base):
    """A recorded outcome staff corrected: who, when, from what to what and why (the audit trail)."""

    __tablename__ = "outcome_correction"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appointment_id: Mapped[str] = mapped_column(String(36), index=True)
    previous_status: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    corrected_by: Mapped[str] = mapped_column(String(200))
    # The name the history shows (the user id above is what the audit relies on); none before migration 0008.
    corrected_by_name: Mapped[str | None] = mapped_column(String(200))
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime())
