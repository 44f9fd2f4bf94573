"""Workforce journeys in Chromium through the real gateway: hire, list, export, and the headcount declaration."""

from __future__ import annotations

import csv
import io
import re

import pytest

from portal_common import clock

from .test_journeys import assert_accessible, log_in

pytestmark = pytest.mark.browser


def open_campaign_as_staff(page, year: int) -> None:  # type: ignore[no-untyped-def]
    """Staff open a campaign whose entry window covers today (the stack runs on the real clock), unless another
    journey of this stack already opened it."""
    log_in(page, "secretariat@spsti-demo.fr")
    page.wait_for_url("**/gestion/accueil")
    if page.goto(f"/gestion/salaries/campagnes/{year}").status == 200:
        page.context.clear_cookies()
        return
    page.goto("/gestion/accueil")
    page.get_by_role("link", name="Déclarations des effectifs").click()
    page.wait_for_url("**/gestion/salaries/campagnes")
    assert_accessible(page)
    page.get_by_label("Année de la déclaration").fill(str(year))
    page.get_by_label("Ouverture de la saisie").fill(f"{year}-01-01")
    page.get_by_label("Fin de la saisie").fill(f"{year}-12-31")
    page.get_by_label("Date limite").fill(f"{year}-12-31")
    page.get_by_role("button", name="Ouvrir la campagne").click()
    page.wait_for_url(f"**/gestion/salaries/campagnes/{year}")
    assert f"Campagne {year} ouverte" in page.inner_text(".flash-success")
    assert_accessible(page)
    page.context.clear_cookies()


def test_a_member_hires_checks_the_list_exports_it_and_confirms_its_headcount_declaration(page):
    year = clock.today().year
    open_campaign_as_staff(page, year)

    log_in(page, "1000001")
    page.wait_for_url("**/accueil")
    page.goto("/salaries")
    page.get_by_role("link", name="Ajouter un salarié").click()
    page.wait_for_url("**/salaries/nouveau")
    assert_accessible(page)
    page.get_by_label("Nom d'usage").fill("Quintal-Lefèvre")
    page.get_by_label("Prénoms").fill("Amélie")
    page.get_by_label("Sexe").select_option("F")
    page.get_by_label("Date de naissance").fill("1985-08-14")
    page.get_by_label("Commune de naissance").fill("14168")
    page.get_by_label("N° de sécurité sociale (NIR ou NIA)").fill("2 85 08 14 168 025 23")
    page.get_by_label("Date d'embauche").fill(f"{year - 1}-09-01")
    page.get_by_label("Poste de travail").fill("Vendeuse")
    page.get_by_label("Contrat").select_option("CDI")
    page.get_by_role("button", name="Ajouter le salarié").click()
    page.wait_for_url("**/salaries")
    assert "Salarié Amélie QUINTAL-LEFÈVRE ajouté." in page.inner_text(".flash-success")

    page.get_by_label("Rechercher un salarié").fill("quintal-lefevre")
    page.get_by_role("button", name="Rechercher").click()
    row = page.get_by_role("row", name="QUINTAL-LEFÈVRE")
    assert "14/08/1985" in row.inner_text() and "Vendeuse" in row.inner_text()
    assert "2 85 08" not in page.inner_text("main")  # the NIR is not on the list
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exporter (CSV)").click()
    exported = download_info.value
    with open(exported.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read()), delimiter=";"))
    assert any("QUINTAL-LEFÈVRE" in cell for line in rows[1:] for cell in line)
    assert any("14/08/1985" in line for line in rows[1:])

    page.goto("/salaries")
    page.get_by_role("link", name="Déclarer vos effectifs").click()
    page.wait_for_url("**/salaries/declarations")
    assert_accessible(page)
    assert "À saisir" in page.get_by_role("row", name=str(year)).inner_text()
    page.get_by_role("link", name=f"Saisir votre déclaration {year}").click()
    page.wait_for_url(f"**/salaries/declarations/{year}")
    assert_accessible(page)
    prefilled = int(page.get_by_label("Salariés (hors multi-employeurs) en SI", exact=True).input_value())
    assert prefilled >= 1  # Amélie, present on 1 January, is counted
    page.get_by_label("Salariés (hors multi-employeurs) en SI", exact=True).fill(str(prefilled + 1))
    page.get_by_role("button", name="Confirmer la déclaration").click()
    assert "Justifiez l'écart" in page.inner_text("main")  # a difference needs its reason
    assert_accessible(page)
    page.get_by_label("Justification de l'écart en SI", exact=True).fill("Un saisonnier oublié dans la liste")
    page.get_by_role("button", name="Confirmer la déclaration").click()
    page.wait_for_url(f"**/salaries/declarations/{year}")
    assert f"Votre déclaration des effectifs {year} est confirmée." in page.inner_text(".flash-success")
    assert "Confirmée" in page.inner_text("main")
    assert page.get_by_role("button", name="Confirmer la déclaration").count() == 0  # read-only now
    assert_accessible(page)
    page.get_by_role("link", name="Imprimer votre déclaration").click()
    page.wait_for_url(f"**/salaries/declarations/{year}/impression")
    assert str(prefilled + 1) in page.inner_text("main")
    assert_accessible(page)
    follow_the_declaration_into_its_invoice(page, year)


def follow_the_declaration_into_its_invoice(page, year: int) -> None:  # type: ignore[no-untyped-def]
    """Billing's workers invoice the confirmed declaration; the member sees it, its schedule and its PDF."""
    number = None
    for _ in range(90):  # the event goes workforce → RabbitMQ → billing → RabbitMQ → workforce
        page.goto(f"/salaries/declarations/{year}")
        found = re.search(r"facture (\S+)\.", page.inner_text("main"))
        if found:
            number = found.group(1)
            break
        page.wait_for_timeout(1000)
    assert number, "the declaration was never invoiced"
    assert "Facturée" in page.inner_text("main")
    page.goto(f"/factures?annee={year}")
    row = page.get_by_role("row").filter(has_text=number)
    assert "Cotisation annuelle" in row.inner_text()
    assert_accessible(page)
    pdf = page.request.get(row.get_by_role("link", name=f"PDF de la facture {number}").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.body().startswith(b"%PDF")
    page.get_by_role("link", name="Voir mon échéancier").click()
    page.wait_for_url("**/factures/echeancier")
    assert number in page.inner_text("main")
    assert_accessible(page)


def test_a_member_moves_an_employee_to_a_new_post_records_the_exit_and_checks_the_list(page):
    from portal_common.validators import nir_key

    first13 = "1840375056012"
    log_in(page, "1000001")
    page.wait_for_url("**/accueil")
    page.goto("/salaries/nouveau")
    page.get_by_label("Nom d'usage").fill("Ventadour")
    page.get_by_label("Prénoms").fill("Gaspard")
    page.get_by_label("Sexe").select_option("M")
    page.get_by_label("Date de naissance").fill("1984-03-12")
    page.get_by_label("Commune de naissance").fill("75056")
    page.get_by_label("N° de sécurité sociale (NIR ou NIA)").fill(f"{first13}{nir_key(first13):02d}")
    page.get_by_label("Date d'embauche").fill("2024-09-02")
    page.get_by_label("Poste de travail").fill("Cariste")
    page.get_by_label("Contrat").select_option("CDI")
    page.get_by_role("button", name="Ajouter le salarié").click()
    page.wait_for_url("**/salaries")
    # Other journeys of the run hire into the same company: find him by name rather than by page.
    page.goto("/salaries?q=Ventadour")
    page.get_by_role("link", name="VENTADOUR", exact=True).click()
    page.wait_for_url("**/salaries/*")
    assert "1 84 03 ** *** *** " in page.inner_text("main")  # masked on the detail

    page.get_by_role("link", name="Nouveau poste").click()
    page.wait_for_url("**/nouveau-poste")
    assert_accessible(page)
    page.get_by_label("Poste de travail").fill("Chef d'équipe logistique")
    page.get_by_label("Occupé à partir du").fill("2025-02-03")
    page.get_by_role("button", name="Enregistrer le nouveau poste").click()
    assert "Le nouveau poste est enregistré." in page.inner_text(".flash-success")
    assert "Chef d'équipe logistique" in page.inner_text("main") and "03/02/2025" in page.inner_text("main")

    page.get_by_role("link", name="Sortir le salarié").click()
    page.wait_for_url("**/sortie")
    assert_accessible(page)
    page.get_by_role("button", name="Enregistrer la sortie").click()  # nothing filled: refused on the fields
    assert "La date de sortie est obligatoire (jj/mm/aaaa)." in page.inner_text("main")
    page.get_by_label("Date de sortie").fill("2025-06-30")
    page.get_by_label("Motif de sortie").select_option("demission")
    page.get_by_role("button", name="Enregistrer la sortie").click()
    assert "La sortie de Gaspard VENTADOUR est enregistrée." in page.inner_text(".flash-success")
    assert "Démission" in page.inner_text("main")

    page.goto("/salaries?status=left")
    assert "Sorti le 30/06/2025" in page.get_by_role("row", name="VENTADOUR").inner_text()
    page.goto("/salaries")
    page.get_by_role("link", name="Contrôler la liste").click()
    page.wait_for_url("**/salaries/controle")
    assert "Contrôler la liste" in page.inner_text("h1")
    assert "VENTADOUR" not in page.inner_text("main")  # a leaver with consistent dates is no anomaly
    assert_accessible(page)
