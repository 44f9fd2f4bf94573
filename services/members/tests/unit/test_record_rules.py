"""Rules of the company record: SIRET, VAT, NAF, phones, postal codes, staff-only fields; no database."""

from datetime import date

import pytest

from members.record.fields import normalise_phone, phone_fr
from members.record.naf import naf_label
from members.record.rules import RecordRejected, check_record_change

CURRENT = {
    "name": "Boulangerie Martin",
    "siret": "73282932000074",
    "member_number": "1000001",
    "adhesion_date": "2015-03-01",
    "status": "active",
    "naf_code": "10.71C",
    "vat_number": None,
    "activity": None,
    "phone": None,
    "mobile": None,
    "fax": None,
    "email": None,
    "billing_email": None,
}


def rejected(proposed, by_staff=False):
    with pytest.raises(RecordRejected) as caught:
        check_record_change(CURRENT, proposed, by_staff=by_staff)
    return caught.value.errors


@pytest.mark.parametrize("siret", ["73282932000074", "35600000009075", "35600000049837"])
def test_the_valid_siret_vectors_of_the_domain_brief_are_accepted(siret):
    changed = check_record_change(CURRENT, {"siret": siret}, by_staff=True)
    assert changed == ({} if siret == CURRENT["siret"] else {"siret": siret})


@pytest.mark.parametrize("siret", ["73282932000075", "35600000049838", "35600000000014", "35600000000048", "1234"])
def test_the_invalid_siret_vectors_are_refused_in_french(siret):
    assert rejected({"siret": siret}, by_staff=True) == {"siret": "Le SIRET doit comporter 14 chiffres et être valide."}


def test_the_vat_number_derived_from_the_siren_passes_and_a_wrong_key_fails():
    assert check_record_change(CURRENT, {"vat_number": "FR 44 732829320"}, by_staff=False) == {
        "vat_number": "FR44732829320"
    }
    assert rejected({"vat_number": "FR45732829320"}) == {"vat_number": "La clé du numéro de TVA est incorrecte."}
    assert "SIREN" in rejected({"vat_number": "FR44404833048"})["vat_number"]
    assert "forme" in rejected({"vat_number": "FR4473282932"})["vat_number"]


def test_a_new_style_vat_key_with_letters_is_accepted_on_its_form():
    assert check_record_change(CURRENT, {"vat_number": "FRXA732829320"}, by_staff=False) == {
        "vat_number": "FRXA732829320"
    }


def test_the_naf_code_must_exist_in_the_shipped_rev2_reference_and_has_its_label():
    assert naf_label("47.76Z").startswith("Commerce de détail de fleurs")
    assert naf_label("10.71C") == "Boulangerie et boulangerie-pâtisserie"
    assert check_record_change(CURRENT, {"naf_code": "4776z"}, by_staff=False) == {"naf_code": "47.76Z"}
    assert "n'existe pas" in rejected({"naf_code": "47.76Y"})["naf_code"]


def test_phones_are_stored_e164_and_shown_french_style():
    assert normalise_phone("03 89 12 34 56") == "+33389123456"
    assert normalise_phone("+33 6 12 34 56 78") == "+33612345678"
    assert phone_fr("+33389123456") == "03 89 12 34 56"
    assert phone_fr("+41 22 123 45 67").startswith("+41")
    assert "téléphone" in rejected({"phone": "12345"})["phone"]


def test_a_member_cannot_change_the_fields_reserved_to_staff():
    errors = rejected(
        {"name": "Autre nom", "siret": "35600000009075", "member_number": "1234567", "phone": "0389123456"}
    )
    assert set(errors) == {"name", "siret", "member_number"}
    assert "service" in errors["name"]
    # Sending the unchanged value back is not a change.
    assert check_record_change(CURRENT, {"name": "Boulangerie Martin"}, by_staff=False) == {}


def test_staff_change_identity_fields_and_bad_emails_or_unknown_fields_are_reported():
    changed = check_record_change(
        CURRENT, {"name": " Martin & Fils ", "adhesion_date": date(2016, 1, 1)}, by_staff=True
    )
    assert changed == {"name": "Martin & Fils", "adhesion_date": date(2016, 1, 1)}
    errors = rejected({"email": "pas-un-mail", "colour": "bleu"})
    assert set(errors) == {"email", "colour"}
