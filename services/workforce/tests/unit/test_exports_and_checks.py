"""The export files read back, and the anomalies of 'Contrôler la liste'."""

import csv
import io
from datetime import date

from openpyxl import load_workbook

from workforce.reports.checks import Checked, check_list
from workforce.reports.exports import COLUMNS, row_of, to_csv, to_xlsx

EMPLOYEE = {
    "last_name": "DUPONT",
    "birth_name": "MARTIN",
    "first_names": "Élodie",
    "sex": "F",
    "birth_date": date(1985, 8, 14),
    "birth_commune": "2A004",
    "birth_country": None,
    "nir_masked": "2 85 08 ** *** *** 38",
    "hire_date": date(2024, 3, 1),
    "post": '=HYPERLINK("x")',
    "pcs_code": "552a",
    "contract": "interim",
    "category_label": "SIH",
    "multi_employer": True,
    "exit_date": None,
    "exit_reason": None,
}


def test_the_csv_is_for_french_excel_utf8_bom_semicolons_and_french_dates():
    body = to_csv([row_of(EMPLOYEE)])
    assert body.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(COLUMNS)
    line = dict(zip(rows[0], rows[1]))  # by column name: other columns may be added
    assert [
        line[name]
        for name in (
            "Nom d'usage",
            "Nom de naissance",
            "Prénoms",
            "Sexe",
            "Date de naissance",
            "Code commune de naissance",
            "Pays de naissance",
            "N° de sécurité sociale (masqué)",
            "Date d'embauche",
        )
    ] == ["DUPONT", "MARTIN", "Élodie", "F", "14/08/1985", "2A004", "", "2 85 08 ** *** *** 38", "01/03/2024"]
    assert line["Poste de travail"] == '\'=HYPERLINK("x")'  # never a formula
    assert [line[name] for name in ("Contrat", "Catégorie de suivi", "Salarié multi-employeurs", "Date de sortie")] == [
        "Intérim",
        "SIH",
        "Oui",
        "",
    ]


def test_the_xlsx_keeps_real_dates_shown_dd_mm_yyyy():
    sheet = load_workbook(io.BytesIO(to_xlsx([row_of(EMPLOYEE)]))).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert header == COLUMNS
    assert row[0] == "DUPONT" and row[4].date() == date(1985, 8, 14)
    assert sheet.cell(row=2, column=5).number_format == "DD/MM/YYYY"
    line = dict(zip(header, row))
    # The commune of birth; no country (an empty cell reads back as None).
    assert (line["Code commune de naissance"], line["Pays de naissance"]) == ("2A004", None)
    assert line["Poste de travail"] == '\'=HYPERLINK("x")'


def checked(id_, **overrides):
    values = dict(
        id=id_,
        name=f"NOM {id_}",
        birth_date=date(1980, 1, 1),
        hire_date=date(2020, 1, 1),
        exit_date=None,
        nir_missing=False,
        nir_problem=None,
        nir_consistent=True,
        nir_hash=f"hash-{id_}",
        folded_name=f"nom {id_}",
        post="Cariste",
        determinants=(),
        stored_category="SI",
        reviewed=True,
    )
    values.update(overrides)
    return Checked(**values)


TODAY = date(2026, 1, 15)


def kinds(anomalies):
    return sorted((a.kind, a.employee_id) for a in anomalies)


def test_a_clean_list_has_no_anomaly():
    assert check_list([checked("a"), checked("b")], TODAY) == []


def test_each_anomaly_is_found_and_links_to_its_fix():
    employees = [
        checked("key", nir_problem="La clé du numéro de sécurité sociale est incorrecte : vérifiez le numéro."),
        checked("odd", nir_consistent=False),
        checked("d1", nir_hash="same"),
        checked("d2", nir_hash="same"),
        checked("n1", folded_name="martin marie"),
        checked("n2", folded_name="martin marie"),
        checked("nonir", nir_missing=True),
        checked("early", exit_date=date(2019, 12, 31)),
        checked("young", birth_date=date(2006, 6, 1), hire_date=date(2021, 5, 31)),
        checked("cariste", determinants=("autorisation_conduite",), stored_category="SIR"),
        checked("legacy", reviewed=False),
        checked("noplace", birth_place_missing=True),
    ]
    found = check_list(employees, TODAY)
    assert kinds(found) == sorted(
        [
            ("nir_invalid", "key"),
            ("nir_inconsistent", "odd"),
            ("duplicate", "d1"),
            ("duplicate", "d2"),
            ("duplicate", "n1"),
            ("duplicate", "n2"),
            ("missing", "nonir"),
            ("exit_before_hire", "early"),
            ("under_15", "young"),
            ("sir_2025", "cariste"),
            ("no_review", "legacy"),
            ("missing", "noplace"),
        ]
    )
    links = {(a.kind, a.employee_id): a.fix_path for a in found}
    assert links[("nir_invalid", "key")] == "/salaries/key/modifier"
    assert links[("duplicate", "d1")] == "/salaries/d1"
    assert links[("sir_2025", "cariste")] == "/salaries/cariste/modifier"
    [no_place] = [a for a in found if a.employee_id == "noplace"]
    assert no_place.detail.startswith("Lieu de naissance manquant")
    assert no_place.fix_path == "/salaries/noplace/modifier" and no_place.fix_label == "Corriger la fiche"


def test_leavers_are_not_reported_as_duplicates_or_for_their_nir():
    employees = [
        checked("d1", nir_hash="same", exit_date=date(2025, 1, 1)),
        checked("d2", nir_hash="same"),
        checked("gone", nir_missing=True, exit_date=date(2025, 1, 1)),
    ]
    assert check_list(employees, TODAY) == []
