"""Estimated invoices ("factures d'office") for members who did not declare before the campaign closed, and
what the staff dashboard shows of a campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..invoices.annual import Declaration, DeclarationInvalid, annual_lines
from ..invoices.rules import LineInput
from ..tariffs.rules import Tariff


@dataclass(frozen=True)
class Undeclared:
    """A member without a confirmed declaration at closing, with its current headcount per category."""

    member_id: str
    headcount: dict[str, int]
    multi_employer: dict[str, int]


@dataclass(frozen=True)
class CampaignClosed:
    campaign_id: str
    year: int
    closed_at: datetime
    undeclared: tuple[Undeclared, ...]

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> CampaignClosed:
        """workforce.campaign.closed.v1; raises DeclarationInvalid (or KeyError…) on unusable counts."""
        year = int(data["year"])
        members = []
        for entry in data["undeclared"]:
            # The headcount rules are those of a declaration: whole numbers from 0, per category.
            counted = Declaration.from_event(
                {
                    "declaration_id": "estimate",
                    "member_id": entry["member_id"],
                    "year": year,
                    "headcount": entry["headcount"],
                    "multi_employer": entry.get("multi_employer") or {},
                    "version": 1,
                }
            )
            members.append(Undeclared(entry["member_id"], counted.headcount, counted.multi_employer))
        closed_at = datetime.fromisoformat(str(data["closed_at"]).replace("Z", "+00:00"))
        if closed_at.tzinfo is None:
            raise DeclarationInvalid("closed_at needs a time zone")
        return cls(campaign_id=data["campaign_id"], year=year, closed_at=closed_at, undeclared=tuple(members))


def estimate_key(member_id: str, year: int) -> str:
    """The source key of a member's estimated invoice of a year: one at most, whatever the deliveries."""
    return f"estimate:{member_id}:{year}"


CANCELLATION_PREFIX = "cancel:"


def cancellation_key(invoice_id: str) -> str:
    """The source key of the credit note cancelling an estimated invoice."""
    return f"{CANCELLATION_PREFIX}{invoice_id}"


def estimate_lines(
    tariff: Tariff, year: int, member: Undeclared, *, new_member: bool, sepa_debit: bool
) -> tuple[LineInput, ...]:
    """The annual fee on the last known headcount, plus the tariff's uplift (estimate_uplift_rate).

    With no employee known, the minimum fee applies, uplifted like any estimate.
    """
    basis = Declaration(
        declaration_id="estimate",
        member_id=member.member_id,
        year=year,
        headcount=member.headcount,
        multi_employer=member.multi_employer,
        version=1,
    )
    return annual_lines(
        tariff, basis, new_member=new_member, sepa_debit=sepa_debit, uplift_rate=tariff.estimate_uplift_rate
    )


@dataclass(frozen=True)
class CampaignProgress:
    """Where billing stands on one year's declaration campaign (live: read at each request)."""

    year: int
    received: int  # confirmed declarations billing received
    invoiced: int  # of which an annual invoice was issued
    not_invoiced: int  # received but nothing owed (or not yet invoiced)
    pending: int  # active member companies with neither a declaration nor an estimate yet
    estimated: int  # estimated invoices issued at the campaign's closing
    estimates_cancelled: int  # of which cancelled by a credit note once the real declaration came
    invoiced_amount_incl_tax: Decimal  # annual invoices of the year, TTC
    closed_at: datetime | None
