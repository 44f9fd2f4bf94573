"""Hiring rules, NIR masking and the list's name rules, without any database."""

from datetime import date

import pytest

from workforce.employees.rules import (
    HireCommand,
    HireRejected,
    add_years,
    check_hire,
    display_name,
    fold,
    initial_of,
    is_present,
    mask_nir,
    search_text,
)

TODAY = date(2025, 6, 2)


def command(**overrides):
    values = dict(
        last_name=" dupont ",
        birth_name="Martin",
        first_names=" Marie   Claire ",
        sex="F",
        birth_date=date(1955, 8, 14),
        nir="2 55 08 14 168 025 38",
        hire_date=date(2024, 3, 1),
        post=" Vendeuse ",
        pcs_code="552A",
        contract="CDI",
        multi_employer=False,
        birth_commune="14118",
    )
    values.update(overrides)
    return HireCommand(**values)


def test_a_valid_hire_is_normalised():
    hire = check_hire(command(), today=TODAY)
    assert (hire.last_name, hire.birth_name, hire.first_names, hire.nir, hire.post, hire.pcs_code) == (
        "DUPONT",
        "MARTIN",
        "Marie Claire",
        "255081416802538",
        "Vendeuse",
        "552a",
    )


def test_the_birth_name_defaults_to_the_name_in_use():
    assert check_hire(command(birth_name="  "), today=TODAY).birth_name == "DUPONT"


@pytest.mark.parametrize("nir", ["255081416802538", "186022A21532523", "295109912611193", "186022a21532523"])
def test_valid_nirs_are_accepted_including_corsica(nir):
    assert check_hire(command(nir=nir), today=TODAY).nir == nir.upper()


@pytest.mark.parametrize("nir", ["255081416802539", "295109912611199", "186022A21532524", "186022B21532523"])
def test_a_nir_with_a_wrong_key_is_refused_in_french(nir):
    with pytest.raises(HireRejected) as caught:
        check_hire(command(nir=nir), today=TODAY)
    assert caught.value.errors == {"nir": "La clé du numéro de sécurité sociale est incorrecte : vérifiez le numéro."}


def test_a_nir_of_the_wrong_length_is_refused_in_french():
    with pytest.raises(HireRejected) as caught:
        check_hire(command(nir="25508141680253"), today=TODAY)
    assert "15 caractères" in caught.value.errors["nir"]


def test_the_nir_never_appears_in_the_command_or_the_rejection_text():
    assert "255081416802538" not in repr(command(nir="255081416802538"))
    with pytest.raises(HireRejected) as caught:
        check_hire(command(nir="255081416802539", last_name=""), today=TODAY)
    assert "25508141680253" not in str(caught.value)


def test_a_birth_date_in_the_future_is_refused():
    with pytest.raises(HireRejected) as caught:
        check_hire(command(birth_date=date(2025, 6, 3), hire_date=date(2045, 1, 1)), today=TODAY)
    assert caught.value.errors["birth_date"] == "La date de naissance ne peut pas être dans le futur."
    assert "à plus de 12 mois" in caught.value.errors["hire_date"]  # 2045: a probable typo too


def test_an_employee_must_be_15_at_hiring():
    with pytest.raises(HireRejected) as caught:
        check_hire(command(birth_date=date(2010, 3, 2), nir="295109912611193", hire_date=date(2025, 3, 1)), today=TODAY)
    assert caught.value.errors == {"hire_date": "Le salarié doit avoir au moins 15 ans à l'embauche."}
    # On the 15th birthday itself the hire is allowed.
    assert check_hire(command(birth_date=date(2010, 3, 1), hire_date=date(2025, 3, 1)), today=TODAY)


def test_someone_born_on_29_february_turns_15_on_1_march_in_a_common_year():
    assert add_years(date(2008, 2, 29), 15) == date(2023, 3, 1)
    assert add_years(date(2008, 2, 28), 15) == date(2023, 2, 28)


def test_every_invalid_field_is_reported_in_french_at_once():
    with pytest.raises(HireRejected) as caught:
        check_hire(
            command(
                last_name=" ",
                first_names="",
                sex="X",
                contract="freelance",
                determinants=("radon",),
                pcs_code="55D2",
                post=" ",
                birth_date=None,
                hire_date=None,
            ),
            today=TODAY,
        )
    errors = caught.value.errors
    assert set(errors) == {
        "last_name",
        "first_names",
        "sex",
        "contract",
        "determinants",
        "pcs_code",
        "post",
        "birth_date",
        "hire_date",
    }
    assert errors["contract"] == "Type de contrat inconnu."
    assert errors["birth_date"] == "La date de naissance est obligatoire (jj/mm/aaaa)."


def test_overlong_names_are_refused_before_reaching_the_database():
    with pytest.raises(HireRejected) as caught:
        check_hire(
            command(last_name="A" * 101, birth_name="B" * 101, first_names="C" * 151, post="D" * 201), today=TODAY
        )
    assert set(caught.value.errors) == {"last_name", "birth_name", "first_names", "post"}


def test_the_masked_nir_keeps_sex_birth_year_month_and_key():
    assert mask_nir("255081416802538") == "2 55 08 ** *** *** 38"
    assert mask_nir("186022A21532523") == "1 86 02 ** *** *** 23"


def test_search_is_accent_and_case_insensitive():
    assert fold("Élodie LŒUILLET") == "elodie loeuillet"
    assert "elodie" in search_text("LEFÈVRE", "LEFÈVRE", "Élodie")
    assert search_text("LEFÈVRE", "LEFÈVRE", "Élodie") == "lefevre elodie"
    assert fold("Lé\x00a") == "lea"  # PostgreSQL text cannot hold NUL bytes


def test_employees_are_filed_under_the_unaccented_initial_of_their_name():
    assert initial_of("ÉTIENNE") == "E"
    assert initial_of("'T HOOFT") == "T"
    assert initial_of("") == "#"


def test_the_shown_name_says_nee_or_ne_when_the_birth_name_differs():
    assert display_name("DUPONT", "MARTIN", "F") == "DUPONT née MARTIN"
    assert display_name("DUPONT", "MARTIN", "M") == "DUPONT né MARTIN"
    assert display_name("DUPONT", "DUPONT", "F") == "DUPONT"


def test_an_employee_is_present_up_to_the_exit_date():
    assert is_present(None, TODAY)
    assert is_present(TODAY, TODAY)
    assert not is_present(date(2025, 6, 1), TODAY)
