"""Tables owned by the workforce service, and its read model of member companies."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal_common.db import UTCDateTime, declarative_base
from portal_common.messaging.outbox import inbox_table, outbox_table

Base = declarative_base()
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Employee(Base):
    """An employee of one member company. The NIR itself is never stored: only its mask and keyed hash."""

    __tablename__ = "employee"
    __table_args__ = (
        Index("ix_employee_member_initial", "member_id", "initial"),
        Index("ix_employee_member_nir_hash", "member_id", "nir_hash"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_name: Mapped[str] = mapped_column(String(100))
    first_names: Mapped[str] = mapped_column(String(150))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    nir_masked: Mapped[str] = mapped_column(String(21))
    nir_hash: Mapped[str] = mapped_column(String(64))
    hire_date: Mapped[date] = mapped_column(Date)
    post: Mapped[str] = mapped_column(String(200))
    pcs_code: Mapped[str | None] = mapped_column(String(4))
    contract: Mapped[str] = mapped_column(String(30))
    multi_employer: Mapped[bool] = mapped_column(Boolean, default=False)
    monitoring_category: Mapped[str] = mapped_column(String(3))
    exit_date: Mapped[date | None] = mapped_column(Date)
    # Derived from the names by the domain, so filtering works the same on PostgreSQL and SQLite.
    initial: Mapped[str] = mapped_column(String(1))
    search_text: Mapped[str] = mapped_column(String(400))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberDirectoryEntry(Base):
    """What workforce knows of a member company, kept from members.member.registered.v1."""

    __tablename__ = "member_directory"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_number: Mapped[str] = mapped_column(String(7))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
