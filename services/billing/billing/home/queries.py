"""What billing shows on the home pages; every amount owed comes from the ledger's one function (account_of)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from portal_common.formats import date_fr, money_fr
from portal_common.service import portal

from ..campaign.queries import campaign_progress
from ..invoices.rules import InvoiceKind, InvoiceStatus
from ..ledger.queries import account_of
from ..models import Invoice

UNPAID = (InvoiceStatus.TO_PAY, InvoiceStatus.PARTLY_PAID)
CAMPAIGN_DASHBOARD = "/gestion/factures/campagne"


def company_todos(member_id: str, day: date) -> list[dict[str, str]]:
    session = portal().db.session
    unpaid = (Invoice.member_id == member_id, Invoice.kind != InvoiceKind.CREDIT_NOTE, Invoice.status.in_(UNPAID))
    rest = Invoice.amount_incl_tax - Invoice.amount_paid
    late = Invoice.due_on < day
    # One statement: each round trip costs « Accueil » a millisecond or more.
    count, owed, first_due, overdue, overdue_owed = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(rest), 0),
            func.min(Invoice.due_on),
            func.count().filter(late),
            func.coalesce(func.sum(rest).filter(late), 0),
        ).where(*unpaid)
    ).one()
    todos = []
    if overdue:
        todos.append(
            {
                "label": f"{overdue} facture{'s' if overdue > 1 else ''} en retard de paiement",
                "href": "/factures#non-reglees",
                "detail": f"{money_fr(Decimal(overdue_owed))} à régler",
                "tone": "danger",
                "badge": "En retard",
            }
        )
    if count > overdue:
        todos.append(
            {
                "label": f"{count - overdue} facture{'s' if count - overdue > 1 else ''} à payer",
                "href": "/factures#non-reglees",
                "detail": f"{money_fr(Decimal(owed) - Decimal(overdue_owed))}, première échéance le "
                f"{date_fr(max(first_due, day))}",
                "tone": "warning",
                "badge": "À payer",
            }
        )
    return todos


def company_summary(member_id: str) -> list[tuple[str, str]]:
    account = account_of(member_id)
    return [(account.label, money_fr(abs(account.balance))), ("Reste à payer sur vos factures", money_fr(account.due))]


def staff_queues(day: date) -> list[dict[str, object]]:
    progress = campaign_progress(day.year)
    return [
        {"count": progress.received, "label": f"Déclarations {day.year} reçues", "href": CAMPAIGN_DASHBOARD},
        {"count": progress.invoiced, "label": f"Déclarations {day.year} facturées", "href": CAMPAIGN_DASHBOARD},
        {"count": progress.estimated, "label": f"Factures d'office {day.year}", "href": CAMPAIGN_DASHBOARD},
        {
            "count": progress.pending,
            "label": "Adhérents sans déclaration ni facture d'office",
            "href": CAMPAIGN_DASHBOARD,
        },
    ]
