"""Registration rules, without any database."""

from datetime import date

import pytest

from members.registration.rules import Registration, RegistrationRejected, check_registration, next_member_number


def registration(**overrides):
    values = dict(
        name=" Boulangerie Martin ",
        siret="732 829 320 00074",
        naf_code="10.71c",
        address_line1="1 rue A",
        address_line2="",
        postal_code="68100",
        city="Mulhouse",
        email=None,
        phone=None,
        billing_email=None,
        adhesion_date=date(2024, 1, 1),
    )
    values.update(overrides)
    return Registration(**values)


def test_a_valid_registration_is_normalised():
    reg = check_registration(registration(), siret_taken=False)
    assert (reg.name, reg.siret, reg.naf_code, reg.city, reg.address_line2) == (
        "Boulangerie Martin",
        "73282932000074",
        "10.71C",
        "MULHOUSE",
        None,
    )


def test_la_poste_establishments_pass_the_siret_check():
    assert check_registration(registration(siret="35600000049837"), siret_taken=False).siret == "35600000049837"


def test_every_invalid_field_is_reported_in_french_at_once():
    with pytest.raises(RegistrationRejected) as caught:
        check_registration(
            registration(name=" ", siret="73282932000075", postal_code="6810", naf_code="4776"), siret_taken=False
        )
    assert set(caught.value.errors) == {"name", "siret", "postal_code", "naf_code"}
    assert caught.value.errors["siret"] == "Le SIRET doit comporter 14 chiffres et être valide."


def test_a_siret_already_registered_is_refused():
    with pytest.raises(RegistrationRejected) as caught:
        check_registration(registration(), siret_taken=True)
    assert "existe déjà" in caught.value.errors["siret"]


def test_member_numbers_have_seven_digits_and_follow_the_highest():
    assert next_member_number(None) == "1000001"
    assert next_member_number("1000041") == "1000042"


def test_a_missing_adhesion_date_is_reported_with_the_other_errors():
    with pytest.raises(RegistrationRejected) as caught:
        check_registration(registration(adhesion_date=None, siret="1"), siret_taken=False)
    assert {"adhesion_date", "siret"} <= set(caught.value.errors)
