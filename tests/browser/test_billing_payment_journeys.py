"""A member pays an invoice by card: the portal's page, the local provider's page, back to the portal, where
only the provider's signed notification (through the gateway's public route) has settled the invoice."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_journeys import assert_accessible, log_in

pytestmark = pytest.mark.browser


def test_a_member_pays_an_invoice_by_card_through_the_provider_and_sees_it_settled(page):
    log_in(page, "1000001")
    page.wait_for_url("**/accueil")
    page.goto("/factures")
    unpaid = page.locator("section", has=page.get_by_role("heading", name="Factures non réglées"))
    number = unpaid.locator("tbody tr").first.locator("td").first.inner_text()
    assert re.fullmatch(r"F\d{4}-\d{6}", number)
    unpaid.get_by_role("button", name=f"Payer par carte la facture {number}").click()
    page.wait_for_url(re.compile(r".*/paiement-carte/CB[0-9A-F]{20}$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Paiement par carte"
    assert "En attente de confirmation" in page.inner_text("main")
    assert_accessible(page)
    attempt_url = page.url

    page.get_by_role("link", name="Continuer vers le paiement sécurisé").click()
    page.wait_for_url(re.compile(r".*/payer\?.*"))
    assert "Paiement sécurisé (prestataire de test)" in page.inner_text("body")
    page.get_by_role("button", name="Payer", exact=True).click()
    page.wait_for_url(attempt_url)
    assert "Paiement reçu" in page.inner_text("main")

    page.goto("/factures")
    paid = page.locator("section", has=page.get_by_role("heading", name="Factures acquittées"))
    assert number in paid.inner_text()
    assert number not in unpaid.inner_text()
