"""Tables of staged employee imports (same metadata as models.py; kept apart to keep that file small).

The uploaded file is kept only sealed (AES-GCM, nir_vault.seal): it holds NIRs. The checked lines keep
what the preview shows, with the NIR column left out: its mask only, never the number.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal_common.db import UTCDateTime

from .models import Base

# mapping: columns to choose; queued: waiting for the check; checking: being checked; ready: preview shown;
# confirmed: waiting to be written; importing: being written; done: written; failed: could not be written (nothing was);
# cancelled: dropped by the user.
IMPORT_STATUSES = ("mapping", "queued", "checking", "ready", "confirmed", "importing", "done", "failed",
                   "cancelled")


class EmployeeImport(Base):
    __tablename__ = "employee_import"
    __table_args__ = (Index("ix_employee_import_member", "member_id", "created_at"),
                      Index("ix_employee_import_status", "status"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(4))
    # JSON {header, rows, line_numbers} of the file's text cells, sealed with the NIR key (never in clear).
    content_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    header: Mapped[list[str]] = mapped_column(JSON)  # the column names, NIR-shaped text masked
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)  # field → column index
    total_rows: Mapped[int] = mapped_column(Integer)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    error_rows: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_rows: Mapped[int] = mapped_column(Integer, default=0)
    imported_rows: Mapped[int] = mapped_column(Integer, default=0)
    failure: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(200))
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EmployeeImportRow(Base):
    """One checked line of a staged import, as the preview shows it (the NIR only masked)."""

    __tablename__ = "employee_import_row"

    import_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    nir_masked: Mapped[str | None] = mapped_column(String(21))
    values: Mapped[dict[str, str]] = mapped_column(JSON)  # mapped cells without the NIR
    errors: Mapped[dict[str, str]] = mapped_column(JSON)
    warnings: Mapped[list[str]] = mapped_column(JSON)
    duplicates: Mapped[list[str]] = mapped_column(JSON)
    has_problem: Mapped[bool] = mapped_column(Boolean)  # an error, a probable duplicate or a NIR warning
