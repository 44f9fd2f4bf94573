"""Tables owned by the workforce service, and its read model of member companies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, LargeBinary, String, UniqueConstraint, false, text, true
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


class Employee(Base):
    """An employee of one member company. The NIR is stored encrypted, with its mask and a keyed hash."""

    __tablename__ = "employee"
    __table_args__ = (
        # The list's count and its letters, then its page in the default order (initial, then name), each read from
        # an index alone (index-only scans; hire and exit dates included for the present/left filter). The narrow
        # one is there for the count: the planner prefers reading the whole table to the wider index.
        Index("ix_employee_member_initial", "member_id", "initial", postgresql_include=["hire_date", "exit_date"]),
        Index(
            "ix_employee_member_name",
            "member_id",
            "initial",
            "search_text",
            "id",
            postgresql_include=["hire_date", "exit_date"],
        ),
        Index("ix_employee_member_nir_hash", "member_id", "nir_hash"),
        # « Accueil » counts a company's present employees by category: read from this index alone (no table
        # row), a company of 10,000 employees costs a few milliseconds (workforce/home/queries.headcount).
        Index(
            "ix_employee_member_category",
            "member_id",
            "base_category",
            "birth_date",
            postgresql_include=["hire_date", "exit_date"],
        ),
        # One present employee per company and NIR, held by the database under concurrent hires (the use case
        # also refuses an exit date still to come; an index cannot read today's date).
        Index(
            "uq_employee_present_nir",
            "member_id",
            "nir_hash",
            unique=True,
            postgresql_where=text("exit_date IS NULL"),
            sqlite_where=text("exit_date IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_name: Mapped[str] = mapped_column(String(100))
    first_names: Mapped[str] = mapped_column(String(150))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    # Place of birth: the INSEE commune code, or the country for someone born abroad (exactly one of the
    # two for every hire since 0005; both NULL for employees listed before, until their record is corrected).
    birth_commune: Mapped[str | None] = mapped_column(String(5))
    birth_country: Mapped[str | None] = mapped_column(String(100))
    nir_masked: Mapped[str] = mapped_column(String(21))
    nir_hash: Mapped[str] = mapped_column(String(64))
    # AES-GCM with its key id (employees/nir_vault.py); NULL only for rows written before encryption existed.
    nir_encrypted: Mapped[str | None] = mapped_column(String(120))
    # False when the NIR disagrees with the sex, birth year/month or place of birth (a warning, kept for the
    # list check).
    nir_consistent: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    hire_date: Mapped[date] = mapped_column(Date)
    post: Mapped[str] = mapped_column(String(200))
    post_since: Mapped[date | None] = mapped_column(Date)
    pcs_code: Mapped[str | None] = mapped_column(String(4))
    contract: Mapped[str] = mapped_column(String(30))
    multi_employer: Mapped[bool] = mapped_column(Boolean, default=False)
    # Determinant codes (employees/rules/categories.py), comma-separated in list order: work conditions, never health data.
    determinants: Mapped[str] = mapped_column(String(400), default="", server_default="")
    sir_justification: Mapped[str | None] = mapped_column(String(500))
    adapted_undisclosed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The category without the age rule (a MonitoringCategory), so lists filter right as minors come of age.
    base_category: Mapped[str] = mapped_column(String(3), default="SI", server_default="SI")
    # The full category at the last write (what events carried).
    monitoring_category: Mapped[str] = mapped_column(String(3))
    category_reviewed_on: Mapped[date | None] = mapped_column(Date)
    convocation_constraints: Mapped[str | None] = mapped_column(String(500))
    comment: Mapped[str | None] = mapped_column(String(500))
    # The SIRET of the establishment where the employee works (DSN S21.G00.40.019), 14 digits; NULL when not known
    # (employees/rules/workplace.py).
    workplace_siret: Mapped[str | None] = mapped_column(String(14))
    exit_date: Mapped[date | None] = mapped_column(Date)
    exit_reason: Mapped[str | None] = mapped_column(String(30))
    # Derived from the names by the domain, so filtering works the same on PostgreSQL and SQLite.
    initial: Mapped[str] = mapped_column(String(1))
    search_text: Mapped[str] = mapped_column(String(400))
    # The optimistic lock: SQLAlchemy raises it at each write and refuses one based on a stale read.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}

    @property
    def determinant_codes(self) -> tuple[str, ...]:
        return tuple(code for code in self.determinants.split(",") if code)


class EmployeeHistory(Base):
    """What happened to an employee: hire, correction, new post, exit (never the NIR)."""

    __tablename__ = "employee_history"
    __table_args__ = (
        Index("ix_employee_history_employee", "employee_id", "recorded_at"),
        # One exit per employment (two tabs, a retried call): the second one cannot be written.
        Index(
            "uq_employee_history_one_exit",
            "employee_id",
            unique=True,
            postgresql_where=text("kind = 'exited'"),
            sqlite_where=text("kind = 'exited'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employee_id: Mapped[str] = mapped_column(String(36))
    member_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))  # HistoryKind (employees/rules/codes.py)
    effective_on: Mapped[date] = mapped_column(Date)
    post: Mapped[str] = mapped_column(String(200))
    pcs_code: Mapped[str | None] = mapped_column(String(4))
    determinants: Mapped[str] = mapped_column(String(400))
    monitoring_category: Mapped[str] = mapped_column(String(3))
    exit_reason: Mapped[str | None] = mapped_column(String(30))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NirReveal(Base):
    """One NIR shown in clear to a staff user: who, which employee, why, when (never the number itself).

    It is the audit trail of docs/security.md DP-02 and what the daily cap per staff user counts."""

    __tablename__ = "nir_reveal"
    __table_args__ = (Index("ix_nir_reveal_user_day", "revealed_by", "revealed_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employee_id: Mapped[str] = mapped_column(String(36))
    member_id: Mapped[str] = mapped_column(String(36))
    revealed_by: Mapped[str] = mapped_column(String(200))  # the staff user's id
    revealed_by_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    revealed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberDirectoryEntry(Base):
    """What workforce knows of a member company, kept from members.member.registered/updated.v1 and
    members.situation.changed.v1 (who gets the campaign e-mail, whether the company ceased)."""

    __tablename__ = "member_directory"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_number: Mapped[str] = mapped_column(String(7))
    name: Mapped[str] = mapped_column(String(200))
    # The establishment the company's DSN must declare (SIREN + NIC); NULL for entries kept before 0009.
    siret: Mapped[str | None] = mapped_column(String(14))
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    # The last situation that ends the activity (cessation, no more employees…), and from when.
    ceased_kind: Mapped[str | None] = mapped_column(String(30))
    ceased_on: Mapped[date | None] = mapped_column(Date)
    situation_version: Mapped[int | None] = mapped_column(Integer)


class MemberDeclarationContact(Base):
    """One address the declaration campaign e-mail goes to, for one company: each declaration contact's
    (portal_common.declarants), replaced by every member snapshot; stored lower-case so none is mailed twice."""

    __tablename__ = "member_declaration_contact"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), primary_key=True)


class DeclarationCampaign(Base):
    """The annual headcount declaration of one year: its entry window and deadline, open then closed."""

    __tablename__ = "declaration_campaign"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # CampaignStatus (declarations/rules.py)
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HeadcountDeclaration(Base):
    """One company's declaration of a campaign: draft, confirmed, then invoiced by billing.

    `version` is the optimistic lock (ETag / If-Match, the form's hidden field), raised by SQLAlchemy at each write. Headcounts exclude the
    multi-employer workers, counted apart; `expected_*` is the employee list as at 1 January at the last save.
    """

    __tablename__ = "headcount_declaration"
    __table_args__ = (
        UniqueConstraint("campaign_id", "member_id"),
        Index("ix_headcount_declaration_member", "member_id", "year"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(36))
    member_id: Mapped[str] = mapped_column(String(36))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # DeclarationStatus (declarations/rules.py)
    si: Mapped[int] = mapped_column(Integer)
    sia: Mapped[int] = mapped_column(Integer)
    sir: Mapped[int] = mapped_column(Integer)
    multi_si: Mapped[int] = mapped_column(Integer)
    multi_sia: Mapped[int] = mapped_column(Integer)
    multi_sir: Mapped[int] = mapped_column(Integer)
    expected_si: Mapped[int] = mapped_column(Integer)
    expected_sia: Mapped[int] = mapped_column(Integer)
    expected_sir: Mapped[int] = mapped_column(Integer)
    expected_multi_si: Mapped[int] = mapped_column(Integer)
    expected_multi_sia: Mapped[int] = mapped_column(Integer)
    expected_multi_sir: Mapped[int] = mapped_column(Integer)
    justification_si: Mapped[str | None] = mapped_column(String(500))
    justification_sia: Mapped[str | None] = mapped_column(String(500))
    justification_sir: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invoice_id: Mapped[str | None] = mapped_column(String(36))
    invoice_number: Mapped[str | None] = mapped_column(String(20))
    invoiced_on: Mapped[date | None] = mapped_column(Date)

    __mapper_args__ = {"version_id_col": version}


# --- staged employee imports ---------------------------------------------------------------------------
# The uploaded file is kept only sealed (AES-GCM, NirVault.seal): it holds NIRs. The checked lines keep what the
# preview shows, with the NIR column left out: its mask only, never the number.


class EmployeeImport(Base):
    __tablename__ = "employee_import"
    __table_args__ = (
        Index("ix_employee_import_member", "member_id", "created_at"),
        Index("ix_employee_import_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))  # ImportStatus (imports/rules.py)
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
    # A DSN import's row: what it does (dsn.rules.Action values, comma-separated) and its file and line there
    # (`line` is then the row's rank: several files share line numbers). NULL for a CSV/XLSX row.
    action: Mapped[str | None] = mapped_column(String(60))
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_line: Mapped[int | None] = mapped_column(Integer)
