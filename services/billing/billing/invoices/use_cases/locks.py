"""The advisory locks that order automatic billing (PostgreSQL; SQLite serialises writers anyway).

Lock order everywhere: the company's hires, then the campaign year, then (at numbering) the invoice sequence.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

# Estimates and declarations of one year are serialised against each other (never declarations among
# themselves): a declaration either comes before the closing, which then bills no estimate, or after it,
# and then cancels the estimate.
ESTIMATES_LOCK = 7301
# A company's declaration and its hires are serialised against each other, so a hire is never kept
# waiting for a declaration that was just received (nor billed twice): see fees.use_cases.invoice_late_hires.
MEMBER_HIRES_LOCK = 7302


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def hold_campaign_year(session: Session, year: int, *, exclusive: bool) -> None:
    if not _postgres(session):
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(text(f"SELECT {function}(:kind, :year)"), {"kind": ESTIMATES_LOCK, "year": year})


def hold_campaign_years(session: Session, years: Iterable[int]) -> None:
    """hold_campaign_year(shared) for several years in one statement."""
    if not _postgres(session):
        return
    session.execute(
        text("SELECT count(pg_advisory_xact_lock_shared(:estimates, year)) FROM unnest(CAST(:years AS int[])) AS year"),
        {"estimates": ESTIMATES_LOCK, "years": list(years)},
    )


def hold_member_hires(session: Session, member_id: str) -> None:
    hold_members_hires(session, [member_id])


def hold_members_hires(session: Session, member_ids: Iterable[str]) -> None:
    """hold_member_hires for several companies in one statement, taken in a fixed order (no deadlock between
    two workers holding batches of the same companies)."""
    if not _postgres(session):
        return
    session.execute(
        text(
            "SELECT count(pg_advisory_xact_lock(:hires, key)) FROM "
            "(SELECT DISTINCT hashtext(member) AS key FROM unnest(CAST(:members AS text[])) AS member ORDER BY 1) AS keys"
        ),
        {"hires": MEMBER_HIRES_LOCK, "members": sorted(set(member_ids))},
    )


def hold_for_declaration(session: Session, member_id: str, year: int) -> None:
    """Both locks a declaration takes, in one round trip: its company's hires, then its year (shared)."""
    if not _postgres(session):
        return
    session.execute(
        text(
            "SELECT pg_advisory_xact_lock(:hires, hashtext(:member)), pg_advisory_xact_lock_shared(:estimates, :year)"
        ),
        {"hires": MEMBER_HIRES_LOCK, "member": member_id, "estimates": ESTIMATES_LOCK, "year": year},
    )
