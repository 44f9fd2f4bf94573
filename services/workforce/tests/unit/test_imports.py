"""Reading, mapping and checking an employee import file (plain Python, no database)."""

import io
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from portal_common.keyring import new_key_setting as new_encryption_key
from portal_common.keyring import parse_key_ring as parse_encryption_keys
from workforce.employees.nir_vault import NirVault, NirVaultError
from workforce.imports import rules as imports
from workforce.imports.rules import ImportRejected, Known
from workforce.reports import exports

TODAY = date(2026, 11, 30)
HEADER = (
    "Nom d'usage;Nom de naissance;Prénoms;Sexe;Date de naissance;N° de sécurité sociale;Date d'embauche;"
    "Poste de travail;Code PCS-ESE;Contrat;Salarié multi-employeurs;Commune de naissance;Pays de naissance"
)
DUPONT = "Dupont;Martin;Marie Claire;F;14/08/1955;2 55 08 14 168 025 38;01/03/2024;Vendeuse;552a;CDI;oui;14118;"
LEFEVRE = "Lefèvre;;Élodie;Femme;01/10/1995;295109912611193;01/03/2024;Boulangère;;cdd;non;;Maroc"


def blind(nir: str) -> str:
    return "hash-" + nir


def table_of(text: str, encoding: str = "utf-8"):
    return imports.read_table("salaries.csv", text.encode(encoding))[1]


def check(text: str, known=(), encoding: str = "utf-8"):
    table = table_of(text, encoding)
    return imports.check_table(table, imports.guess_mapping(table.header), known, today=TODAY, blind_index=blind)


def test_a_french_excel_csv_in_windows_1252_with_semicolons_is_read_and_its_columns_guessed():
    table = table_of("\r\n".join([HEADER, DUPONT, ";;;;;;;;;;", LEFEVRE]) + "\r\n", "cp1252")
    assert table.header[2] == "Prénoms" and table.rows[1][0] == "Lefèvre"
    assert table.line_numbers == [2, 4]  # the blank line is skipped, the numbers stay those of the file
    assert imports.guess_mapping(table.header) == {
        "last_name": 0,
        "birth_name": 1,
        "first_names": 2,
        "sex": 3,
        "birth_date": 4,
        "nir": 5,
        "hire_date": 6,
        "post": 7,
        "pcs_code": 8,
        "contract": 9,
        "multi_employer": 10,
        "birth_commune": 11,
        "birth_country": 12,
    }


def test_a_utf8_csv_with_bom_and_commas_is_read_the_same():
    text = "\ufeff" + "\n".join(line.replace(";", ",") for line in (HEADER, DUPONT, LEFEVRE))
    kind, table = imports.read_table("export.csv", text.encode("utf-8"))
    assert kind == "csv" and table.header[0] == "Nom d'usage" and table.rows[0][2] == "Marie Claire"


def test_our_own_export_is_recognised_column_by_column():
    header = table_of(exports.to_csv([["x"] * len(exports.COLUMNS)]).decode("utf-8-sig")).header
    mapping = imports.guess_mapping(header)
    assert {name: header[column] for name, column in mapping.items()} == {
        "last_name": "Nom d'usage",
        "birth_name": "Nom de naissance",
        "first_names": "Prénoms",
        "sex": "Sexe",
        "birth_date": "Date de naissance",
        "birth_commune": "Code commune de naissance",
        "birth_country": "Pays de naissance",
        "nir": "N° de sécurité sociale (masqué)",
        "hire_date": "Date d'embauche",
        "post": "Poste de travail",
        "pcs_code": "Code PCS-ESE",
        "contract": "Contrat",
        "multi_employer": "Salarié multi-employeurs",
    }


def test_an_xlsx_workbook_with_date_and_number_cells_is_read():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Nom",
            "Prénom",
            "Sexe",
            "Né(e) le",
            "NIR",
            "Date d'entrée",
            "Emploi",
            "Type de contrat",
            "Code INSEE commune de naissance",
        ]
    )
    sheet.append(
        [
            "Bernard",
            "Luc",
            "M",
            datetime(1986, 2, 10),
            "186022A21532523",
            datetime(2024, 3, 1),
            "Livreur",
            "Intérim",
            "2a004",
        ]
    )
    sheet.append(
        ["Dupont", "Marie", "F", datetime(1955, 8, 14), 255081416802538, "01/03/2024", "Vendeuse", "CDI", 14118]
    )
    out = io.BytesIO()
    workbook.save(out)
    kind, table = imports.read_table("salaries.xlsx", out.getvalue())
    assert kind == "xlsx" and table.rows[0][3] == "1986-02-10" and table.rows[1][4] == "255081416802538"
    rows = imports.check_table(table, imports.guess_mapping(table.header), [], today=TODAY, blind_index=blind)
    assert [row.errors for row in rows] == [{}, {}]
    assert rows[0].command.contract == "interim" and rows[0].command.birth_date == date(1986, 2, 10)
    assert rows[1].command.nir == "255081416802538" and rows[1].command.last_name == "DUPONT"
    assert (rows[0].command.birth_commune, rows[1].command.birth_commune) == ("2A004", "14118")
    assert rows[0].warnings == rows[1].warnings == []


@pytest.mark.parametrize(
    "name, raw, message",
    [
        ("vide.csv", b"  \n", "Le fichier est vide."),
        ("entete.csv", HEADER.encode(), "Le fichier ne contient aucun salarié sous sa ligne d'en-tête."),
        ("ancien.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 50, "L'ancien format Excel (.xls) n'est pas lu"),
        ("casse.xlsx", b"PK\x03\x04" + b"\x00" * 50, "Le classeur Excel est illisible"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_french_message(name, raw, message):
    with pytest.raises(ImportRejected) as refused:
        imports.read_table(name, raw)
    assert refused.value.errors["file"].startswith(message)


def test_the_column_choice_needs_every_mandatory_field_and_each_column_once():
    errors = imports.check_mapping({"last_name": 0, "first_names": 0, "sex": 2}, width=3)
    assert errors["first_names"] == "Cette colonne est déjà choisie pour « Nom d'usage »."
    assert errors["nir"] == "Choisissez la colonne « N° de sécurité sociale » : ce champ est obligatoire."
    assert "birth_name" not in errors and "sex" not in errors
    assert imports.check_mapping({"last_name": 7}, width=3)["last_name"] == "Colonne inconnue."


def test_each_row_goes_through_the_hire_form_rules_with_its_errors_per_field():
    bad = "Durand;;;X;31/02/1980;255081416802539;01/03/2024;;55a;CDX;peut-être;1411;"
    young = "Petit;;Léa;F;01/01/2015;255081416802538;01/03/2024;Vendeuse;;CDI;non;14118;"
    ok, wrong, minor = check("\n".join([HEADER, LEFEVRE, bad, young]))
    assert ok.errors == {} and ok.command.contract == "CDD" and ok.command.sex == "F"
    assert wrong.line == 3 and wrong.command is None
    assert wrong.errors == {
        "first_names": "Le prénom est obligatoire.",
        "sex": "Le sexe doit être F (femme) ou M (homme).",
        "birth_date": "Date de naissance illisible : écrivez-la jj/mm/aaaa, par exemple 22/03/1970.",
        "nir": "La clé du numéro de sécurité sociale est incorrecte : vérifiez le numéro.",
        "post": "Le poste de travail est obligatoire.",
        "pcs_code": "Le code PCS-ESE doit comporter 3 chiffres et une lettre, par exemple 552a.",
        "contract": "Type de contrat inconnu.",
        "multi_employer": "Répondez « oui » ou « non ».",
        "birth_commune": "Le code INSEE de la commune de naissance comporte 5 caractères, par exemple 14118 (Caen) "
        "ou 2A004 (Ajaccio).",
    }
    assert minor.errors == {"hire_date": "Le salarié doit avoir au moins 15 ans à l'embauche."}


def test_the_column_choice_needs_a_column_for_the_commune_or_the_country_of_birth():
    mapping = {
        "last_name": 0,
        "first_names": 1,
        "sex": 2,
        "birth_date": 3,
        "nir": 4,
        "hire_date": 5,
        "post": 6,
        "contract": 7,
    }
    assert imports.check_mapping(mapping, width=9) == {
        "birth_commune": "Choisissez la colonne « Code commune de naissance » ou « Pays de naissance » : le lieu de "
        "naissance est obligatoire."
    }
    assert imports.check_mapping(dict(mapping, birth_country=8), width=9) == {}
    assert imports.check_mapping(dict(mapping, birth_commune=8), width=9) == {}


def test_a_row_without_a_place_of_birth_or_with_a_commune_the_nir_contradicts_is_reported():
    missing, abroad = check("\n".join([HEADER, DUPONT.replace(";14118;", ";;"), LEFEVRE.replace(";;Maroc", ";14118;")]))
    assert missing.command is None and list(missing.errors) == ["birth_commune"]
    assert abroad.errors == {} and abroad.warnings == [
        "Le numéro de sécurité sociale indique une naissance à l'étranger, mais une commune de naissance en France "
        "est déclarée."
    ]


def test_a_nir_disagreeing_with_the_sex_is_a_warning_not_an_error():
    [row] = check("\n".join([HEADER, DUPONT.replace(";F;", ";M;")]))
    assert row.errors == {} and row.command is not None
    assert row.warnings == ["Le premier chiffre du numéro de sécurité sociale ne correspond pas au sexe déclaré."]


def test_the_same_nir_twice_in_the_file_or_on_a_present_employee_is_an_error():
    second = DUPONT.replace("Marie Claire", "Marie")
    first, again, other = check(
        "\n".join([HEADER, DUPONT, second, LEFEVRE]),
        known=[
            Known(
                "LEFÈVRE Élodie",
                blind("295109912611193"),
                imports.name_key("LEFÈVRE", "Élodie"),
                date(1995, 10, 1),
                present=True,
            )
        ],
    )
    assert first.errors == {}
    assert again.errors == {"nir": "Ce numéro de sécurité sociale figure déjà ligne 2 du fichier."}
    assert again.command is None
    assert other.errors == {
        "nir": "Un salarié présent dans l'entreprise porte déjà ce numéro de sécurité sociale (LEFÈVRE Élodie)."
    }


def test_a_leaver_with_the_same_nir_or_someone_with_the_same_name_and_birth_date_is_a_probable_duplicate():
    homonym = "Dupont;Martin;Marie Claire;F;14/08/1955;1 55 08 14 168 025 88;01/03/2024;Vendeuse;552a;CDI;oui;14118;"
    leaver = Known("LEFÈVRE Élodie", blind("295109912611193"), "lefevre elodie", date(1995, 10, 1), present=False)
    first, twin, returning = check("\n".join([HEADER, DUPONT, homonym, LEFEVRE]), known=[leaver])
    assert first.duplicates == [] and twin.errors == {} and returning.errors == {}
    assert twin.duplicates == ["Même nom de naissance, prénoms et date de naissance que la ligne 2 du fichier."]
    assert returning.duplicates == [
        "Même numéro de sécurité sociale qu'un salarié sorti (LEFÈVRE Élodie) : s'agit-il d'une réembauche ?"
    ]


def test_dates_are_read_in_french_and_iso_forms_and_impossible_dates_are_not():
    assert imports.parse_date("22/03/1970") == date(1970, 3, 22)
    assert imports.parse_date("2.3.1970") == date(1970, 3, 2)
    assert imports.parse_date("22-03-70") == date(1970, 3, 22)
    assert imports.parse_date("1970-03-22") == date(1970, 3, 22)
    assert imports.parse_date("31/02/2020") is None and imports.parse_date("22 mars 1970") is None


def test_determinants_are_read_by_code_or_label_and_unknown_ones_reported():
    header = HEADER + ";Déterminants"
    line = DUPONT + ";amiante, Travail de nuit"
    [row] = check("\n".join([header, line]))
    assert row.command.determinants == ("amiante", "travail_nuit")
    [unknown] = check("\n".join([header, DUPONT + ";amiante|bruit"]))
    assert unknown.errors == {"determinants": "Déterminant inconnu : bruit."}


def test_anything_shaped_like_a_nir_is_masked_before_being_shown():
    assert imports.scrub_nir("salaries 2 55 08 14 168 025 38.csv") == "salaries 2 55 08 ** *** *** 38.csv"
    assert imports.scrub_nir("255081416802538;186022A21532523") == "2 55 08 ** *** *** 38;1 86 02 ** *** *** 23"
    assert imports.scrub_nir("Vendeuse 552a, 01/03/2024") == "Vendeuse 552a, 01/03/2024"


def test_a_sealed_file_opens_only_with_its_context_and_key():
    vault = NirVault(parse_encryption_keys(new_encryption_key("k1")), "hash-key-" + "z" * 32)
    sealed = vault.seal(b"255081416802538", "import-1")
    assert b"255081416802538" not in sealed and sealed.startswith(b"k1:")
    assert vault.unseal(sealed, "import-1") == b"255081416802538"
    with pytest.raises(NirVaultError):
        vault.unseal(sealed, "import-2")


def test_a_nir_in_a_column_chosen_for_another_field_is_refused_so_it_is_never_written_in_clear():
    table = table_of("\n".join([HEADER + ";Commentaire", DUPONT + ";255081416802538"]))
    guessed = imports.guess_mapping(table.header)
    [row] = imports.check_table(table, guessed, [], today=TODAY, blind_index=blind)
    assert row.errors == {"comment": imports.NIR_ELSEWHERE} and row.command is None
    swapped = dict(guessed, last_name=guessed["nir"], nir=guessed["last_name"])
    [wrong] = imports.check_table(table, swapped, [], today=TODAY, blind_index=blind)
    assert wrong.errors["last_name"] == imports.NIR_ELSEWHERE


def test_a_file_longer_than_the_limit_is_refused_rather_than_cut(monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nom", "Prénom"])
    for index in range(5):
        sheet.append([f"Nom{index}", "Luc"])
        sheet.append([None, None])  # blank lines do not count
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(ImportRejected) as refused:
        imports.read_table("long.xlsx", out.getvalue())
    assert refused.value.errors["file"].startswith("Le fichier dépasse 3 lignes")
    kind, table = imports.read_table("court.csv", "Nom;Prénom\nA;B\n\nC;D\nE;F\n".encode())
    assert table.line_numbers == [2, 4, 5]


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=2000), xlsx=st.booleans())
def test_any_bytes_are_read_or_refused_with_a_french_message_never_a_crash(raw, xlsx):
    content = b"PK\x03\x04" + raw if xlsx else raw
    try:
        kind, table = imports.read_table("fichier", content)
    except ImportRejected as refused:
        assert set(refused.errors) == {"file"}
    else:
        assert kind == ("xlsx" if xlsx else "csv") and table.rows
        mapping = imports.guess_mapping(table.header)
        imports.check_table(table, mapping, [], today=TODAY, blind_index=blind)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list(';,"\n\r\t x0123456789/-ÉéAB')), max_size=400))
def test_any_csv_text_is_read_and_checked_without_a_crash(text):
    try:
        kind, table = imports.read_table("f.csv", (HEADER + "\n" + text).encode("utf-8"))
    except ImportRejected as refused:
        assert set(refused.errors) == {"file"}
        return
    rows = imports.check_table(table, imports.guess_mapping(table.header), [], today=TODAY, blind_index=blind)
    assert len(rows) == len(table.rows)
    assert all(row.command is None or not row.errors for row in rows)
