"""Tables owned by the identity service."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal_common.db import UTCDateTime, declarative_base
from portal_common.messaging.outbox import inbox_table, outbox_table

Base = declarative_base()
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The company's main account also logs in with the 7-digit member number (seed portals do).
    login_member_number: Mapped[str | None] = mapped_column(String(7), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    staff_roles: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def staff_role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.staff_roles.split(",") if r)


class MemberLink(Base):
    """A user's access to one member company, with the roles granted on it."""

    __tablename__ = "member_link"

    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    roles: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="member")  # member | delegate (accounting firm)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class Session(Base):
    """Server-side session; only a hash of the cookie value is stored."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    current_member_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str | None] = mapped_column(String(200))


class MemberDirectoryEntry(Base):
    """What identity knows of member companies, learnt from members' events."""

    __tablename__ = "member_directory"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_number: Mapped[str] = mapped_column(String(7), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
