"""User journeys in Chromium through the real gateway, each page checked with axe-core."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from portal_stack.demo_data import DEMO_PASSWORD

pytestmark = pytest.mark.browser

axe = Axe()


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    results = axe.run(page)
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]
    assert violations == [], f"axe-core violations on {page.url}: {violations}"


def log_in(page, identifier: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/connexion")
    assert_accessible(page)
    page.get_by_label("N° adhérent ou adresse e-mail").fill(identifier)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_a_member_logs_in_and_sees_a_page_of_each_service_in_one_layout(page):
    log_in(page, "1000001")
    page.wait_for_url("**/accueil")
    expectations = {
        "/adherent": ("Mon entreprise", "73282932000074"[:3]),
        "/salaries": ("Mes salariés", "salariés"),
        "/rendez-vous": ("Mes rendez-vous", "À venir"),
        "/factures": ("Mes factures", "Cotisation annuelle"),
        "/compte": ("Mon compte", "Boulangerie Martin"),
    }
    for path, (heading, text) in expectations.items():
        page.goto(path)
        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert text in page.inner_text("main")
        # One layout everywhere: the current company in the header and the same navigation.
        assert "Boulangerie Martin" in page.inner_text("header")
        assert page.get_by_role("navigation", name="Navigation principale").is_visible()
        assert_accessible(page)


def test_french_formats_are_used_on_the_pages(page):
    log_in(page, "1000001")
    page.wait_for_url("**/accueil")
    page.goto("/adherent")
    assert "01/03/2015" in page.inner_text("main")  # adhesion date, dd/mm/yyyy
    page.goto("/factures")
    assert "\u00a0€" in page.inner_text("main") and "," in page.inner_text("main")


def test_an_accounting_firm_switches_between_its_client_companies(page):
    log_in(page, "cabinet@fiducia-expertise.fr")
    page.wait_for_url("**/changer-adherent")
    assert_accessible(page)
    page.get_by_role("button", name="Choisir Garage du Centre").click()
    page.wait_for_url("**/accueil")
    assert "Garage du Centre" in page.inner_text("header")
    page.goto("/changer-adherent")
    assert "Transports Keller" not in page.inner_text("main")  # not a client of this firm


def test_staff_register_a_member_and_the_other_services_learn_it_through_events(page):
    log_in(page, "secretariat@spsti-demo.fr")
    page.wait_for_url("**/gestion/accueil")
    page.goto("/gestion/adherents")
    assert_accessible(page)
    page.get_by_role("textbox", name="Raison sociale", exact=True).fill("Menuiserie Schneider")
    page.get_by_role("textbox", name="SIRET", exact=True).fill("35600000049837")
    page.get_by_role("textbox", name="Adresse", exact=True).fill("4 rue des Vosges")
    page.get_by_label("Code postal").fill("68200")
    page.get_by_label("Commune").fill("Mulhouse")
    page.get_by_label("Date d'adhésion").fill("2026-11-02")
    page.get_by_role("button", name="Enregistrer l'adhérent").click()
    assert "Menuiserie Schneider" in page.inner_text(".flash-success")
    # Identity learns the company from members' event: staff can then switch to it.
    for _ in range(50):
        page.goto("/changer-adherent?q=Menuiserie")
        if "Menuiserie Schneider" in page.inner_text("main"):
            break
        page.wait_for_timeout(200)
    page.get_by_role("button", name="Choisir Menuiserie Schneider").click()
    page.wait_for_url("**/accueil")
    assert "Menuiserie Schneider" in page.inner_text("header")


def test_a_form_error_is_shown_in_french_next_to_the_field(page):
    log_in(page, "secretariat@spsti-demo.fr")
    page.wait_for_url("**/gestion/accueil")
    page.goto("/gestion/adherents")
    page.get_by_role("textbox", name="Raison sociale", exact=True).fill("Entreprise sans SIRET valide")
    page.get_by_role("textbox", name="SIRET", exact=True).fill("12345678901234")
    page.get_by_role("button", name="Enregistrer l'adhérent").click()
    assert page.locator("#f-siret-error").inner_text() == "Le SIRET doit comporter 14 chiffres et être valide."
    assert_accessible(page)


def test_an_unknown_page_gets_the_french_404_page_and_logout_ends_the_session(page):
    log_in(page, "1000002")
    page.wait_for_url("**/accueil")
    response = page.goto("/page-qui-n-existe-pas")
    assert response.status == 404 and "introuvable" in page.inner_text("body").lower()
    page.goto("/adherent")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion")
    page.goto("/salaries")
    assert "/connexion?next=/salaries" in page.url


@pytest.mark.parametrize("service", ["identity", "members", "workforce", "scheduling", "billing"])
def test_the_interactive_api_docs_work_without_internet(page, service):
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(f"/api/{service}/docs")
    title = page.locator(".swagger-ui .info .title")
    title.wait_for(timeout=15000)
    assert f"{service.title()} API" in title.inner_text()
    assert failed == []
