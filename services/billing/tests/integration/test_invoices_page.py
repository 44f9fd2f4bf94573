"""The "Mes factures" page: French wording and formats, unpaid first, one company only."""

from datetime import date
from decimal import Decimal

import pytest

from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

NNBSP, NBSP = "\u202f", "\u00a0"


def issue(
    service,
    member_id,
    *,
    issued_on=date(2026, 2, 15),
    paid="0.00",
    kind="cotisation",
    unit_price="97.35",
    period=None,
):
    return issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind=kind,
            issued_on=issued_on,
            due_on=date(issued_on.year, 3, 17),
            lines=(LineInput("Cotisation annuelle", Decimal("12"), Decimal(unit_price)),),
            amount_paid=Decimal(paid),
            period=period,
        ),
    )


def test_the_invoices_page_lists_unpaid_invoices_first_in_french_formats(service, customers):
    member_a, member_b = customers
    unpaid = issue(service, member_a)
    partial = issue(service, member_a, paid="401.84", kind="embauche")
    settled = issue(service, member_a, paid="1401.84", kind="absence")
    foreign = issue(service, member_b)
    reader = make_principal(member_id=member_a, roles=("billing",))
    page = service.client().get("/factures", headers=service.headers(reader))
    assert page.status_code == 200
    html = page.text
    assert "<h1>Mes factures</h1>" in html
    assert f"1{NNBSP}401,84{NBSP}€" in html and f"1{NNBSP}000,00{NBSP}€" in html
    assert "15/02/2026" in html and "17/03/2026" in html
    # Unpaid section first, with the remaining total; the settled invoice only under "acquittées".
    unpaid_part, paid_part = html.split("Factures acquittées et avoirs</h2>")
    assert unpaid_part.index("Factures non réglées") < unpaid_part.index(unpaid.number)
    assert partial.number in unpaid_part and settled.number not in unpaid_part and settled.number in paid_part
    assert f'Total restant à payer en 2026</th><td class="number"><strong>2{NNBSP}401,84{NBSP}€' in unpaid_part
    # The account's figure, the same as « Mon échéancier »'s last line.
    assert f"Solde restant dû : 2{NNBSP}401,84{NBSP}€" in html
    assert '<th scope="col">Période</th>' in html
    # « Historique des cotisations »: one row for 2026, amounts from the ledger (no declaration here).
    history = html.split('id="historique"')[1]
    assert f"4{NNBSP}205,52{NBSP}€" in history and f"1{NNBSP}803,68{NBSP}€" in history and "—" in history
    assert "Partiellement payée" in unpaid_part and "Acquittée" in paid_part and "À payer" in unpaid_part
    assert "Embauche après déclaration" in html and "Absence non excusée" in html
    assert foreign.number not in html
    assert '<th scope="col" class="number">Reste à payer</th>' in html and "<caption>" in html


def test_the_year_selector_shows_one_year_and_defaults_to_the_latest_invoiced(service, customers):
    member_a, _ = customers
    old = issue(service, member_a, issued_on=date(2025, 2, 14))
    new = issue(service, member_a, issued_on=date(2026, 2, 15))
    reader = make_principal(member_id=member_a, roles=("read",))
    client, headers = service.client(), service.headers(reader)
    latest = client.get("/factures", headers=headers).text
    assert new.number in latest and old.number not in latest
    assert '<option value="2026" selected>2026</option>' in latest and '<option value="2025">2025</option>' in latest
    previous = client.get("/factures?annee=2025", headers=headers).text
    assert old.number in previous and new.number not in previous
    empty = client.get("/factures?annee=2024", headers=headers).text
    assert "Aucune facture." in empty and "Total restant à payer" not in empty


def test_the_history_links_each_period_to_its_invoices_whatever_year_they_were_issued_in(service, customers):
    member_a, _ = customers
    # Billed for 2027 in January 2028 (a declaration of 2027 confirmed late, after the turn of the year).
    late = issue(service, member_a, issued_on=date(2028, 1, 20), period="2027")
    this_year = issue(service, member_a, issued_on=date(2028, 2, 15), period="2028")
    reader = make_principal(member_id=member_a, roles=("read",))
    client, headers = service.client(), service.headers(reader)
    history = client.get("/factures", headers=headers).text.split('id="historique"')[1]
    assert '<a href="/factures?periode=2027">2027</a>' in history
    period = client.get("/factures?periode=2027", headers=headers).text
    assert late.number in period and this_year.number not in period
    assert (
        "Factures non réglées pour la période 2027" in period and "Total restant à payer pour la période 2027" in period
    )
    # A period the company has no invoice for is no filter: the page shows the latest year as usual.
    unknown = client.get("/factures?periode=<script>", headers=headers).text
    assert this_year.number in unknown and "<script>" not in unknown


def test_the_invoices_page_is_for_billing_readers_and_staff_with_a_current_company(service, customers):
    member_a, _ = customers
    issue(service, member_a)
    client = service.client()
    declarant = make_principal(member_id=member_a, roles=("declaration",))
    assert client.get("/factures", headers=service.headers(declarant)).status_code == 403
    staff_without_company = make_principal(staff_roles=("secretariat",))
    chooser = client.get("/factures", headers=service.headers(staff_without_company))
    assert (chooser.status_code, chooser.headers["Location"]) == (302, "/changer-adherent")
    staff_on_a = make_principal(staff_roles=("billing",), member_id=member_a)
    assert "F2026-000001" in client.get("/factures", headers=service.headers(staff_on_a)).text
    anonymous = client.get("/factures")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/connexion")
