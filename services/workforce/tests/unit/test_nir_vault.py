"""The NIR at rest: AES-GCM with key id, rotation, and the blind index."""

import pytest

from portal_common.keyring import new_key_setting as new_encryption_key
from portal_common.keyring import parse_key_ring as parse_encryption_keys
from workforce.employees.nir_vault import NirVault, NirVaultError

EMPLOYEE = "3d0f5c52-8f0e-4a57-9a3c-1c2b3d4e5f60"
OTHER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
NIR = "255081416802538"


def vault(setting: str, hash_key: str = "h" * 40) -> NirVault:
    return NirVault(parse_encryption_keys(setting), hash_key)


def test_a_nir_round_trips_and_is_never_stored_in_clear():
    v = vault(new_encryption_key("k1"))
    sealed = v.encrypt("2 55 08 14 168 025 38", EMPLOYEE)
    assert sealed.startswith("k1:") and NIR not in sealed and len(sealed) <= 120
    assert v.decrypt(sealed, EMPLOYEE) == NIR
    assert v.encrypt(NIR, EMPLOYEE) != sealed  # a fresh nonce each time


def test_a_ciphertext_copied_to_another_employee_does_not_decrypt():
    v = vault(new_encryption_key())
    with pytest.raises(NirVaultError):
        v.decrypt(v.encrypt(NIR, EMPLOYEE), OTHER)


def test_keys_rotate_old_values_still_decrypt_new_ones_use_the_first_key():
    old_setting = new_encryption_key("k1")
    sealed_before = vault(old_setting).encrypt(NIR, EMPLOYEE)
    rotated = vault(f"{new_encryption_key('k2')},{old_setting}")
    assert rotated.decrypt(sealed_before, EMPLOYEE) == NIR
    assert rotated.needs_rotation(sealed_before)
    assert rotated.encrypt(NIR, EMPLOYEE).startswith("k2:")
    with pytest.raises(NirVaultError, match="unknown NIR key id"):
        vault(new_encryption_key("k3")).decrypt(sealed_before, EMPLOYEE)


@pytest.mark.parametrize(
    "setting", ["", "k1", "k1:c2hvcnQ", "bad id:" + "A" * 43, "k1:" + "A" * 43 + ",k1:" + "B" * 43]
)
def test_unusable_key_settings_are_refused(setting):
    with pytest.raises(ValueError):
        parse_encryption_keys(setting)


def test_the_blind_index_is_stable_keyed_and_ignores_spacing():
    first = vault(new_encryption_key()).blind_index(NIR)
    assert first == vault(new_encryption_key()).blind_index("2 55 08 14 168 025 38")  # independent of the AES key
    assert first != vault(new_encryption_key(), "j" * 40).blind_index(NIR)
    assert NIR not in first and len(first) == 64
