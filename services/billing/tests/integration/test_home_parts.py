"""Billing's parts of the home pages (portal_common.web.home): unpaid and overdue invoices with the balance from the
ledger, one company's only; staff's campaign invoicing counts."""

from datetime import date
from decimal import Decimal
from html import unescape

import pytest

from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from portal_common.clock import today
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

NNBSP, NBSP = "\u202f", "\u00a0"


def issue(service, member_id, *, due_on, paid="0.00", kind="cotisation"):
    return issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind=kind,
            issued_on=date(2026, 2, 15),
            due_on=due_on,
            lines=(LineInput("Cotisation annuelle", Decimal("12"), Decimal("97.35")),),
            amount_paid=Decimal(paid),
        ),
    )


def test_the_company_part_names_overdue_and_unpaid_invoices_with_the_ledger_s_balance(service, customers):
    member_a, member_b = customers
    issue(service, member_a, due_on=date(2026, 3, 17))  # overdue whatever today is (the stack runs on the real clock)
    issue(service, member_a, due_on=date(today().year + 1, 3, 17), paid="401.84", kind="embauche")
    issue(service, member_a, due_on=date(2026, 3, 17), paid="1401.84", kind="absence")  # settled
    issue(service, member_b, due_on=date(2026, 3, 17))
    client = service.client()
    reader = make_principal(member_id=member_a, roles=("billing",))
    part = unescape(client.get("/accueil/fragments/billing", headers=service.headers(reader)).text)
    assert '<a href="/factures#non-reglees">1 facture en retard de paiement</a>' in part
    assert f"1{NNBSP}401,84{NBSP}€ à régler" in part
    assert '<a href="/factures#non-reglees">1 facture à payer</a>' in part and f"1{NNBSP}000,00{NBSP}€" in part
    assert f"<dt>Solde restant dû</dt><dd>2{NNBSP}401,84{NBSP}€</dd>" in part
    other = unescape(
        client.get(
            "/accueil/fragments/billing", headers=service.headers(make_principal(member_id=member_b, roles=("read",)))
        ).text
    )
    assert f"<dt>Solde restant dû</dt><dd>1{NNBSP}401,84{NBSP}€</dd>" in other
    declarer = make_principal(member_id=member_a, roles=("declaration",))
    assert client.get("/accueil/fragments/billing", headers=service.headers(declarer)).status_code == 403


def test_the_staff_part_counts_the_campaign_s_declarations_and_estimates(service, customers):
    staff = make_principal(staff_roles=("billing",))
    client = service.client()
    part = unescape(client.get("/gestion/accueil/fragments/billing", headers=service.headers(staff)).text)
    year = today().year
    assert f'<a href="/gestion/factures/campagne">Déclarations {year} reçues</a>' in part
    assert (
        f'<span class="queue-count">0</span><a href="/gestion/factures/campagne">Factures d\'office {year}</a>' in part
    )
    assert '<span class="queue-count">2</span><a href="/gestion/factures/campagne">Adhérents sans' in part
    member = make_principal(member_id=customers[0], roles=("admin",))
    assert client.get("/gestion/accueil/fragments/billing", headers=service.headers(member)).status_code == 403
