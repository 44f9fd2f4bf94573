"""Members in Chromium through the real gateway: an address change requested, approved by staff, then applied."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_journeys import assert_accessible, log_in
from tests.browser.test_scheduling_journeys import log_out, pass_second_factor

pytestmark = pytest.mark.browser

NEW_LINE = "8 rue du Rhin"


def log_in_staff(page) -> None:  # type: ignore[no-untyped-def]
    log_in(page, "secretariat@spsti-demo.fr")
    page.wait_for_url(re.compile(r".*/(gestion/accueil|double-authentification.*)$"))
    if "double-authentification" in page.url:
        pass_second_factor(page)
    page.wait_for_url("**/gestion/accueil")


def test_a_member_edits_an_address_staff_approve_it_and_the_member_sees_it_applied(page):
    log_in(page, "1000003")
    page.wait_for_url("**/accueil")
    page.goto("/adherent/adresses")
    assert_accessible(page)
    page.get_by_role("link", name="Modifier Adresse principale").click()
    page.get_by_role("textbox", name="Adresse", exact=True).fill(NEW_LINE)
    page.get_by_role("button", name="Envoyer la demande").click()
    assert "transmise au service" in page.inner_text(".flash-info")
    page.goto("/adherent")
    main = page.inner_text("main")
    assert "Modifications en attente de validation" in main and NEW_LINE in main
    assert_accessible(page)
    log_out(page)

    log_in_staff(page)
    page.goto("/gestion/adherents/demandes")
    assert_accessible(page)
    record = page.get_by_role("link", name="Transports Keller SAS").first.get_attribute("href")
    page.get_by_role("button", name=re.compile(r"^Valider la demande de Transports Keller SAS")).first.click()
    assert "la modification est appliquée" in page.inner_text(".flash-success")
    # The staff side of the record: health team, welcome letter, centres; every page accessible.
    page.goto(record)
    main = page.inner_text("main")
    assert "Centre de santé au travail de Mulhouse" in main and "Lettre de bienvenue" in main
    assert_accessible(page)
    for path in (f"{record}/equipe", "/gestion/adherents/centres", f"{record}/documents"):
        page.goto(path)
        assert_accessible(page)
    log_out(page)

    log_in(page, "1000003")
    page.wait_for_url("**/accueil")
    page.goto("/adherent")
    main = page.inner_text("main")
    assert NEW_LINE in main and "Modifications en attente" not in main
    page.goto("/adherent/adresses")
    assert NEW_LINE in page.inner_text("table")


def test_the_documents_space_and_the_establishments_list_are_reachable_and_accessible(page):
    log_in(page, "1000003")
    page.wait_for_url("**/accueil")
    page.get_by_role("link", name="Mes documents").click()
    page.wait_for_url("**/adherent/documents")
    assert page.get_by_role("heading", level=1).inner_text() == "Mes documents"
    for _ in range(50):  # learnt from billing's events by the members worker
        if "Facture F" in page.inner_text("main"):
            break
        page.wait_for_timeout(200)
        page.reload()
    link = page.get_by_role("link", name=re.compile(r"^Facture F")).first
    assert re.fullmatch(r"/factures/[0-9a-f-]{36}/pdf", link.get_attribute("href"))
    assert_accessible(page)
    page.goto("/adherent/etablissements")
    assert "Transports Keller SAS" in page.inner_text("main")
    assert_accessible(page)
