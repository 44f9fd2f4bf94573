"""Demo customers and invoices: idempotent, through the same use cases as real billing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from portal_common.service import Portal

from .customers.rules import ACTIVE_MEMBER, CustomerSnapshot
from .customers.use_cases import seed_customer
from .invoices.rules import IssueCommand, LineInput
from .invoices.use_cases.issue import issue_invoice
from .models import Invoice, TariffRow
from .tariffs.rules import Tariff
from .tariffs.use_cases import save_tariff

# Fees of the demo service, inside the legal bands (92,40–138,60 € in 2025, 92,80–139,20 € in 2026).
DEMO_TARIFFS = tuple(
    Tariff(
        year=year,
        per_capita_fee=Decimal(fee),
        national_average_cost=None,
        entry_fee=Decimal("30.00"),
        minimum_fee=Decimal("80.00"),
        late_hire_fee=Decimal(fee),
        no_show_fee=Decimal("50.00"),
    )
    for year, fee in ((2025, "110.47"), (2026, "112.00"))
)


def _date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _customer(member: dict[str, Any]) -> CustomerSnapshot:
    return CustomerSnapshot(
        member_id=member["id"],
        member_number=member["member_number"],
        name=member["name"],
        siret=member["siret"],
        address_line1=member["address_line1"],
        address_line2=member.get("address_line2"),
        postal_code=member["postal_code"],
        city=member["city"],
        billing_email=member.get("billing_email"),
        status=member.get("status", ACTIVE_MEMBER),
        version=int(member.get("version", 1)),
    )


def _command(invoice: dict[str, Any]) -> IssueCommand:
    return IssueCommand(
        member_id=invoice["member_id"],
        kind=invoice["kind"],
        issued_on=_date(invoice.get("issued_on")),
        due_on=_date(invoice.get("due_on")),
        period=invoice.get("period"),
        lines=tuple(
            LineInput(
                label=line["label"],
                quantity=Decimal(str(line["quantity"])),
                unit_price=Decimal(str(line["unit_price"])),
            )
            for line in invoice["lines"]
        ),
        vat_rate=Decimal(str(invoice.get("vat_rate", "0.20"))),
        amount_paid=Decimal(str(invoice.get("amount_paid", "0.00"))),
    )


def load(portal: Portal, dataset: dict[str, Any]) -> None:
    # Tariffs first, so declarations confirmed in the demo are invoiced; staff edits are never overwritten.
    for tariff in DEMO_TARIFFS:
        with portal.db.session_factory() as session:
            configured = session.get(TariffRow, tariff.year) is not None
        if not configured:
            save_tariff(portal, tariff, by="demo")
    # The read model normally fills from members' events; seeding it lets invoices be issued at once.
    # A later event of the same version is then a no-op in the handler.
    for member in dataset.get("members", []):
        seed_customer(portal, _customer(member))
    # Issued in date order so that numbers follow dates within each year.
    for invoice in sorted(dataset.get("invoices", []), key=lambda item: str(item.get("issued_on") or "")):
        with portal.db.session_factory() as session:
            exists = session.get(Invoice, invoice["id"]) is not None
        if not exists:
            # The number's year follows issued_on, so past years' demo invoices read naturally.
            issue_invoice(portal, _command(invoice), invoice_id=invoice["id"])
