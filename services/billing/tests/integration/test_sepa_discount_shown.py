"""The SEPA opt-in page (members) shows the discount rate and what it saves on the company's next instalment,
as billing computes it (its tariff's rate, its rounding), asked over HTTP through billing's internal route."""

from decimal import Decimal

import pytest

from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from billing.tariffs.rules import sepa_saving
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

NBSP, NNBSP = "\u00a0", "\u202f"


def opt_in_page(members, member_id) -> str:
    admin = members.headers(make_principal(member_id=member_id, roles=("admin",), grants=("step_up",)))
    answer = members.client().get("/adherent/prelevement", headers=admin)
    assert answer.status_code == 200
    return answer.text


def test_the_opt_in_page_shows_the_tariff_s_discount_rate_and_what_it_saves_on_the_next_instalment(
    service, customers, tariff_2026, members, billing_http, register_at_members
):
    member_a, _ = customers
    register_at_members(member_a)
    page = opt_in_page(members, member_a)
    # No instalment to come yet: the rate alone.
    assert "donne droit à une remise de <strong>1,5 %</strong> (tarif 2026)" in page
    assert "Sur votre prochaine échéance" not in page

    invoice = issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_a,
            kind="cotisation",
            period="2026",
            lines=(LineInput("Cotisation annuelle 2026", Decimal("12"), Decimal("97.35")),),
        ),
    )
    first = invoice.instalments[0]
    saving = sepa_saving(first.amount, Decimal("0.015"))
    assert saving == Decimal("10.51")  # 1,5 % of 700,92 €, to the cent
    page = opt_in_page(members, member_a)
    assert (
        f"Sur votre prochaine échéance de 700,92{NBSP}€ ({first.due_on:%d/%m/%Y}), elle représente "
        f"<strong>10,51{NBSP}€</strong> d'économie." in page
    )


def test_billing_s_internal_discount_route_needs_a_service_passport(service, customers, tariff_2026):
    member_a, _ = customers
    client = service.client()
    assert client.get(f"/internal/members/{member_a}/sepa-discount").status_code in (401, 403)
    member = service.headers(make_principal(member_id=member_a, roles=("admin",)))
    assert client.get(f"/internal/members/{member_a}/sepa-discount", headers=member).status_code == 403
