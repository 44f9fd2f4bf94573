"""Workforce journeys in Chromium through the real gateway: importing employees (a small file done in the request,
a big one by the workforce worker), the headcount chart, and the multi-employer list with its export."""

from __future__ import annotations

import csv
import io

import pytest

from portal_common.validators import nir_key

from .test_journeys import assert_accessible, log_in

pytestmark = pytest.mark.browser

NARROW_NBSP = "\u202f"  # the thousands separator of the pages
HEADER = (
    "Nom d'usage;Nom de naissance;Prénoms;Sexe;Date de naissance;N° de sécurité sociale;Date d'embauche;"
    "Poste de travail;Code PCS-ESE;Contrat;Salarié multi-employeurs;Code commune de naissance"
)


def nir(sex: int, year: int, month: int, commune: int, order: int) -> str:
    first13 = f"{sex}{year % 100:02d}{month:02d}75{commune:03d}{order:03d}"
    return f"{first13}{nir_key(first13):02d}"


def upload(page, name: str, content: bytes) -> None:  # type: ignore[no-untyped-def]
    page.goto("/salaries")
    page.get_by_role("link", name="Importer des salariés").click()
    page.wait_for_url("**/salaries/import")
    assert_accessible(page)
    page.get_by_label("Fichier (.csv ou .xlsx").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_role("button", name="Lire le fichier").click()
    page.wait_for_url("**/salaries/import/*")


def test_a_member_imports_a_file_checks_the_preview_and_finds_the_employees_in_the_list(page):
    lines = [
        HEADER,
        f"Xénakis;Vidal;Ophélie;F;03/04/1979;{nir(2, 1979, 4, 931, 901)};01/03/2024;Caissière;552a;CDI;oui;75931",
        f"Yamani;;Noé;M;12/12/1990;{nir(1, 1990, 12, 931, 902)};02/09/2024;Magasinier;;CDD;non;75931",
    ]
    log_in(page, "1000001")
    page.wait_for_url("**/accueil")
    upload(page, "nouveaux.csv", "\r\n".join(lines).encode("cp1252"))
    assert page.get_by_role("heading", level=1).inner_text() == "Importer des salariés : colonnes"
    assert page.get_by_label("N° de sécurité sociale").input_value() == "5"  # guessed from the header
    assert page.get_by_label("Nom de naissance").input_value() == "1"
    assert "Ophélie" in page.inner_text("main")  # a Windows-1252 file read right
    assert nir(2, 1979, 4, 931, 901) not in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Vérifier toutes les lignes").click()
    page.get_by_role("button", name="Confirmer l'ajout de 2 salariés").wait_for()
    assert "0 ligne en erreur" in page.inner_text("main")
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer l'ajout de 2 salariés").click()
    assert "2 salariés ajoutés à la liste." in page.inner_text("main")
    assert_accessible(page)
    page.get_by_role("link", name="Voir la liste des salariés").click()
    page.get_by_label("Rechercher un salarié").fill("ophelie")
    page.get_by_role("button", name="Rechercher").click()
    row = page.get_by_role("row", name="XÉNAKIS")
    assert "XÉNAKIS née VIDAL" in row.inner_text() and "03/04/1979" in row.inner_text()

    page.goto("/salaries")
    page.get_by_role("link", name="Effectif par catégorie").click()
    page.wait_for_url("**/salaries/effectifs")
    chart = page.get_by_role("img", name="Effectif par catégorie de suivi (graphique en barres)")
    assert chart.is_visible()
    assert page.get_by_role("row", name="Total").is_visible()
    assert_accessible(page)

    page.goto("/salaries")
    page.get_by_role("link", name="Salariés multi-employeurs").click()
    page.wait_for_url("**/salaries/multi-employeurs")
    assert "XÉNAKIS née VIDAL" in page.inner_text("main") and "YAMANI" not in page.inner_text("main")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exporter (CSV)").click()
    with open(download_info.value.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read()), delimiter=";"))
    assert [row[0] for row in rows[1:] if row[0] == "XÉNAKIS"] == ["XÉNAKIS"]
    multi = rows[0].index("Salarié multi-employeurs")
    assert all(row[multi] == "Oui" for row in rows[1:])


def test_a_big_file_is_checked_and_written_by_the_worker_while_the_page_shows_its_progress(page):
    count = 1500  # above what is done in the request: the workforce worker process does it
    lines = [HEADER]
    for index in range(count):
        number = nir(1 + index % 2, 1975, 8, 940 + index // 999, index % 999 + 1)
        lines.append(
            f"Lot{index:04d};;Prénom;{'MF'[index % 2]};14/08/1975;{number};01/03/2024;Préparateur;;CDI;non;"
            f"75{940 + index // 999:03d}"
        )
    confirm = f"Confirmer l'ajout de 1{NARROW_NBSP}500 salariés"
    log_in(page, "1000001")
    page.wait_for_url("**/accueil")
    upload(page, "gros.csv", "\n".join(lines).encode("utf-8"))
    page.get_by_role("button", name="Vérifier toutes les lignes").click()
    # The progress page (unless the worker was already through, then the preview).
    assert page.locator("progress").count() == 1 or page.get_by_role("button", name=confirm).count() == 1
    # The page refreshes itself until the worker is done, then shows the preview.
    page.get_by_role("button", name=confirm).wait_for(timeout=120_000)
    assert_accessible(page)
    page.get_by_role("button", name=confirm).click()
    page.get_by_text(f"1{NARROW_NBSP}500 salariés ajoutés à la liste.").wait_for(timeout=180_000)
    assert_accessible(page)
    page.goto("/salaries?q=lot0")
    assert "1000 salariés" in page.inner_text("main")
