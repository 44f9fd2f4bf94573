"""Tables owned by the members service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal_common.db import UTCDateTime, declarative_base
from portal_common.idempotency import idempotency_table
from portal_common.mail import mail_outbox_table
from portal_common.messaging.outbox import inbox_table, outbox_table
from portal_common.vocabulary import MemberStatus

Base = declarative_base()
outbox = outbox_table(Base.metadata)
# E-mails queued in the same commit as what they announce (a change request decided).
mail_outbox = mail_outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
# Answers kept for retried API POSTs (Idempotency-Key, 24 hours).
idempotency = idempotency_table(Base.metadata)


class Member(Base):
    __tablename__ = "member"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_number: Mapped[str] = mapped_column(String(7), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    naf_code: Mapped[str | None] = mapped_column(String(6))
    naf_version: Mapped[str | None] = mapped_column(String(10))
    vat_number: Mapped[str | None] = mapped_column(String(13))
    activity: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=MemberStatus.ACTIVE)
    # The current main address, kept here for the events; every address (with dates) is in `address`.
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, like mobile and fax
    mobile: Mapped[str | None] = mapped_column(String(20))
    fax: Mapped[str | None] = mapped_column(String(20))
    billing_email: Mapped[str | None] = mapped_column(String(254))
    adhesion_date: Mapped[date] = mapped_column(Date)
    situation: Mapped[str | None] = mapped_column(String(30))
    situation_date: Mapped[date | None] = mapped_column(Date)
    employees_followed: Mapped[int] = mapped_column(Integer, default=0)
    # SQLAlchemy's version counter: 1 at registration, one more at each UPDATE of the row through the ORM (the
    # events carry it; a stale write raises StaleDataError). The headcount's set-based update leaves it alone.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The n° télédéclarant: encrypted (for the welcome letter) and as a keyed digest (published to identity).
    declarant_code_encrypted: Mapped[str | None] = mapped_column(Text)
    declarant_code_digest: Mapped[str | None] = mapped_column(String(64))

    __mapper_args__ = {"version_id_col": version}


class Address(Base):
    __tablename__ = "address"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # SQLAlchemy's version counter: the ETag of the API and the hidden version of the edit form (a stale save
    # is refused, docs/architecture.md "Concurrency and retries").
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Contact(Base):
    __tablename__ = "contact"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    function: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    mobile: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The edit form's hidden version (and the API's ETag where there is one), as Address's.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ChangeRequest(Base):
    """One change to a company's data, pending or decided: also the company's audit trail."""

    __tablename__ = "change_request"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # record, address, contact, situation, mandate
    action: Mapped[str] = mapped_column(String(10))  # create, update, delete
    target_id: Mapped[str | None] = mapped_column(String(36))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending, approved, rejected, applied
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_by_name: Mapped[str] = mapped_column(String(200))
    requested_by_staff: Mapped[bool] = mapped_column(default=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(String(500))


class SepaMandate(Base):
    __tablename__ = "sepa_mandate"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    reference: Mapped[str] = mapped_column(String(35), unique=True)  # RUM
    iban_encrypted: Mapped[str] = mapped_column(Text)  # "<key id>:<base64 nonce+ciphertext>", AES-GCM
    iban_masked: Mapped[str] = mapped_column(String(40))  # country and last four characters only
    bic: Mapped[str | None] = mapped_column(String(11))
    holder: Mapped[str] = mapped_column(String(140))
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(10))  # pending, active, rejected, revoked
    signed_on: Mapped[date] = mapped_column(Date)
    signed_by: Mapped[str] = mapped_column(String(100))
    revoked_on: Mapped[date | None] = mapped_column(Date)
    # The sequence of the company's mandate events (billing keeps the latest), not a row version.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Centre(Base):
    """A centre of the service, where the companies' employees are seen."""

    __tablename__ = "centre"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The edit form's hidden version (and the API's ETag where there is one), as Address's.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class HealthTeam(Base):
    """The centre and the people of the service assigned to a company (by staff)."""

    __tablename__ = "health_team"

    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), primary_key=True)
    centre_id: Mapped[str | None] = mapped_column(ForeignKey("centre.id"), index=True)
    doctor: Mapped[str | None] = mapped_column(String(200))
    secretary: Mapped[str | None] = mapped_column(String(200))
    secretary_phone: Mapped[str | None] = mapped_column(String(20))
    secretary_email: Mapped[str | None] = mapped_column(String(254))
    preventer: Mapped[str | None] = mapped_column(String(200))
    preventer_email: Mapped[str | None] = mapped_column(String(254))
    nurse: Mapped[str | None] = mapped_column(String(200))
    updated_by_name: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The edit form's hidden version (and the API's ETag where there is one), as Address's.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Document(Base):
    """One entry of a company's documents space: produced by another service (a link to its owner, learnt
    from its event) or uploaded by the company (the file under the data directory, never the web root)."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("source", "source_id", name="uq_document_source_source_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # billing, scheduling, upload
    source_id: Mapped[str] = mapped_column(String(36))  # the owner's id (the document's own for uploads)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    download_path: Mapped[str | None] = mapped_column(String(200))  # served by the owner
    filename: Mapped[str | None] = mapped_column(String(200))  # uploads only
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    uploaded_by: Mapped[str | None] = mapped_column(String(100))
    uploaded_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Scheduling's documents: the appointment they belong to (a cancelled one's convocation shows as cancelled).
    appointment_id: Mapped[str | None] = mapped_column(String(36), index=True)


class AppointmentCancellation(Base):
    """An appointment scheduling cancelled, learnt from its event: its convocation in the documents space reads
    « Annulée ». Kept apart from the documents so that the order the two events arrive in does not matter."""

    __tablename__ = "appointment_cancellation"

    appointment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    cancelled_on: Mapped[date] = mapped_column(Date)


class ConvocationReplacement(Base):
    """A convocation scheduling replaced by a new one when it moved the visit, learnt from its event: it reads
    « Remplacée ». Keyed by scheduling's document id and kept apart, like cancellations, whatever the order."""

    __tablename__ = "convocation_replacement"

    document_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    replaced_on: Mapped[date] = mapped_column(Date)
