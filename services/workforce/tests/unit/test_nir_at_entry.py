"""The NIR against the sex, birth year and month and place of birth typed beside it, refused at entry (no I/O)."""

from datetime import date

import pytest

from portal_common.validators import nir_key
from workforce.employees.rules import HireCommand, HireRejected, check_hire, check_nir_agreement, nir_contradictions

TODAY = date(2025, 6, 2)


def nir(first13: str) -> str:
    return f"{first13}{nir_key(first13):02d}"


def contradictions(number, sex="F", born=date(1985, 8, 14), commune="68224", country=None):
    return nir_contradictions(nir(number), sex, born, commune, country)


@pytest.mark.parametrize(
    "number, sex",
    [("2850868224123", "F"), ("1850868224123", "M"), ("8850868224123", "F"), ("7850868224123", "M")],
)
def test_a_nir_whose_first_digit_gives_the_sex_typed_is_accepted_temporary_numbers_included(number, sex):
    assert contradictions(number, sex=sex) == {}


@pytest.mark.parametrize("number, sex", [("2850868224123", "M"), ("1850868224123", "F"), ("8850868224123", "M")])
def test_a_nir_contradicting_the_sex_is_refused_next_to_the_sex(number, sex):
    assert set(contradictions(number, sex=sex)) == {"sex"}
    assert "Corrigez le sexe ou le numéro" in contradictions(number, sex=sex)["sex"]


def test_a_nir_of_another_birth_year_or_month_is_refused_next_to_the_birth_date():
    assert "naissance en 86" in contradictions("2860868224123")["birth_date"]
    assert "le mois 09" in contradictions("2850968224123")["birth_date"]


@pytest.mark.parametrize("month", ["20", "31", "42", "99"])
def test_insee_unknown_months_agree_with_any_birth_date(month):
    assert contradictions(f"285{month}68224123") == {}


@pytest.mark.parametrize("month", ["00", "13", "19", "43", "98"])
def test_a_month_that_exists_nowhere_is_refused_next_to_the_nir(month):
    assert "n'existe pas" in contradictions(f"285{month}68224123")["nir"]


@pytest.mark.parametrize(
    "number, commune",
    [
        ("2850868224123", "68224"),
        ("285082A004123", "2A004"),
        ("2850820004123", "2B033"),  # born in Corsica before 1976: the NIR kept 20
        ("2850897411123", "97411"),
    ],
)
def test_a_commune_in_the_nirs_department_is_accepted(number, commune):
    assert contradictions(number, commune=commune) == {}


@pytest.mark.parametrize(
    "number, commune, department",
    [("2850868224123", "14118", "68"), ("2850897411123", "97209", "974"), ("285082A004123", "2B033", "2A")],
)
def test_a_commune_outside_the_nirs_department_is_refused_next_to_the_commune(number, commune, department):
    message = contradictions(number, commune=commune)["birth_commune"]
    assert f"le département {department} " in message and commune in message


def test_born_abroad_the_place_must_be_a_country_and_its_insee_code_the_nirs():
    assert contradictions("2850899350123", commune=None, country="99350") == {}
    assert contradictions("2850899350123", commune=None, country="Maroc") == {}  # a name is not matched
    assert "pays 99350" in contradictions("2850899350123", commune=None, country="99352")["birth_country"]
    assert "naissance à l'étranger" in contradictions("2850899350123", commune="68224")["birth_commune"]


def test_a_french_department_with_a_foreign_country_is_refused_except_before_independence():
    assert "naissance en France" in contradictions("2850868224123", commune=None, country="99350")["birth_country"]
    # Born in Algeria before 1962: the NIR kept department 91-94.
    assert contradictions("2550891001123", born=date(1955, 8, 14), commune=None, country="99352") == {}
    assert contradictions("2550891001123", born=date(1955, 8, 14), commune=None, country="Algérie") == {}
    assert "birth_country" in contradictions("2550891001123", born=date(1955, 8, 14), commune=None, country="99350")


def test_a_hire_gets_every_contradiction_at_once():
    command = HireCommand(
        last_name="Keller",
        first_names="Anne",
        sex="M",
        birth_date=date(1986, 9, 14),
        nir=nir("2850868224123"),
        hire_date=date(2024, 3, 1),
        post="Vendeuse",
        contract="CDI",
        birth_commune="14118",
    )
    with pytest.raises(HireRejected) as refused:
        check_nir_agreement(check_hire(command, today=TODAY))
    assert set(refused.value.errors) == {"sex", "birth_date", "birth_commune"}
