"""The DSN import in Chromium through the real gateway: an accounting firm imports its client's monthly DSN,
the workforce worker reads it, the firm reads the French preview, applies it and sees the result; a DSN of
another company is listed line by line and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from bench.dsn_factory import dsn_bytes, people

from .test_journeys import assert_accessible, log_in

pytestmark = pytest.mark.browser

GARAGE_SIRET = "40483304800022"  # the demo's Garage du Centre (1000002), a client of the firm


def upload_dsn(page, name: str, content: bytes) -> None:  # type: ignore[no-untyped-def]
    page.goto("/salaries")
    page.get_by_role("link", name="Importer la DSN").click()
    page.wait_for_url("**/salaries/dsn")
    assert_accessible(page)
    page.locator("#f-files").set_input_files(files=[{"name": name, "mimeType": "text/plain", "buffer": content}])
    page.get_by_role("button", name="Lire la DSN").click()
    page.wait_for_url("**/salaries/dsn/*")


def test_an_accounting_firm_imports_its_clients_dsn_reads_the_preview_and_applies_it(page):
    staff = people(2, first=7100)
    staff[1].end, staff[1].end_reason = date(2026, 3, 27), "059"
    log_in(page, "cabinet@fiducia-expertise.fr")
    page.wait_for_url("**/changer-adherent")
    page.get_by_role("button", name="Choisir Garage du Centre").click()
    page.wait_for_url("**/accueil")

    upload_dsn(page, "dsn_garage_2026_03.txt", dsn_bytes(GARAGE_SIRET[:9], GARAGE_SIRET[9:], date(2026, 3, 1), staff))
    # The worker reads it; the status page refreshes itself until the preview is ready.
    page.get_by_role("heading", name="Importer la DSN : aperçu").wait_for(timeout=30_000)
    main = page.inner_text("main")
    assert "Embauche : 2" in main and "Sortie : 1" in main and "Lignes en erreur : 0" in main
    assert "dsn_garage_2026_03.txt, ligne" in main
    assert staff[0].nir not in page.content() and staff[0].nir[:13] not in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Appliquer ces changements").click()
    page.get_by_text("La DSN est appliquée : 2 salariés mis à jour dans la liste.").wait_for(timeout=30_000)
    assert_accessible(page)
    page.get_by_role("link", name="Voir la liste des salariés").click()
    page.get_by_label("Rechercher un salarié").fill(staff[0].first_names)
    page.get_by_role("button", name="Rechercher").click()
    assert staff[0].family_name in page.inner_text("main")

    other = dsn_bytes("732829320", "00074", date(2026, 3, 1), people(1, first=7200))
    upload_dsn(page, "dsn_autre.txt", other)
    page.get_by_role("heading", name="Importer la DSN : aperçu").wait_for(timeout=30_000)
    main = page.inner_text("main")
    assert "Lignes en erreur : 1" in main and "Cette DSN est celle d'une autre entreprise (SIREN 732829320)" in main
    assert "dsn_autre.txt, ligne 17" in main
    page.get_by_role("button", name="Appliquer ces changements").click()
    assert "1 ligne en erreur : corrigez la DSN dans le logiciel de paie" in page.inner_text("main")
    assert_accessible(page)
