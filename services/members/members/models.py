"""Tables owned by the members service."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal_common.db import UTCDateTime, declarative_base
from portal_common.messaging.outbox import inbox_table, outbox_table

Base = declarative_base()
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Member(Base):
    __tablename__ = "member"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_number: Mapped[str] = mapped_column(String(7), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    naf_code: Mapped[str | None] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(20), default="active")
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    billing_email: Mapped[str | None] = mapped_column(String(254))
    adhesion_date: Mapped[date] = mapped_column(Date)
    employees_followed: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
