"""SEPA mandate rules and the IBAN encryption; no database."""

import base64
from datetime import date

import pytest
from cryptography.exceptions import InvalidTag

from members.sepa.cipher import FieldCipher, cipher_from_settings
from members.sepa.rules import MandateRejected, check_mandate, mandate_reference

VALID = {
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "holder": "Boulangerie Martin",
    "email": "compta@example.fr",
    "consent": True,
}


def test_a_valid_french_iban_is_compacted_and_its_bic_derived():
    mandate = check_mandate(VALID)
    assert mandate["iban"] == "FR7630006000011234567890189"
    assert mandate["bic"] == "AGRIFRPPXXX"


def test_the_rosettacode_iban_vector_is_valid():
    assert check_mandate(dict(VALID, iban="GB82 WEST 1234 5698 7654 32"))["iban"] == "GB82WEST12345698765432"


def test_a_wrong_rib_key_is_refused_even_when_the_iban_checksum_is_right():
    # Same account, RIB key 88 instead of 89, IBAN check digits recomputed (06): only the BBAN check catches it.
    with pytest.raises(MandateRejected) as caught:
        check_mandate(dict(VALID, iban="FR0630006000011234567890188"))
    assert "clé RIB" in caught.value.errors["iban"]


def test_a_wrong_iban_checksum_and_missing_fields_are_all_reported_without_quoting_the_iban():
    with pytest.raises(MandateRejected) as caught:
        check_mandate({"iban": "FR7630006000011234567890188", "holder": "", "email": "x", "bic": "ZZ"})
    assert set(caught.value.errors) == {"iban", "holder", "email", "bic", "consent"}
    assert "30006" not in " ".join(caught.value.errors.values())


def test_the_mandate_reference_is_unique_per_sequence_and_at_most_35_characters():
    rum = mandate_reference("1000001", date(2026, 3, 1), 1)
    assert rum == "ADH1000001-20260301-01" and len(rum) <= 35
    assert mandate_reference("1000001", date(2026, 3, 1), 2) != rum


def test_the_iban_is_sealed_with_aes_gcm_bound_to_its_company_and_readable_after_key_rotation():
    old = base64.b64encode(b"o" * 32).decode()
    new = base64.b64encode(b"n" * 32).decode()
    sealed = cipher_from_settings(f"k1:{old}", "x" * 40).encrypt("FR7630006000011234567890189", context="m1")
    assert sealed.startswith("k1:") and "30006" not in sealed
    rotated = cipher_from_settings(f"k2:{new},k1:{old}", "x" * 40)
    assert rotated.decrypt(sealed, context="m1") == "FR7630006000011234567890189"
    assert rotated.encrypt("FR76", context="m1").startswith("k2:")
    with pytest.raises(InvalidTag):
        rotated.decrypt(sealed, context="another company")


def test_without_configured_keys_one_is_derived_from_the_internal_key():
    cipher = cipher_from_settings("", "y" * 40)
    assert cipher.decrypt(cipher.encrypt("secret", context="m"), context="m") == "secret"
    with pytest.raises(ValueError):
        FieldCipher({"k": b"short"}, "k")
