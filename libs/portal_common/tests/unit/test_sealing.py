import pytest
from cryptography.exceptions import InvalidTag

from portal_common.sealing import NONCE_BYTES, derive_key, seal, unseal

KEY = derive_key("k" * 40, "test|v1")


def test_a_sealed_value_opens_with_its_key_and_context_only():
    sealed = seal(KEY, b"FR7630006000011234567890189", b"member-1")
    assert b"FR76" not in sealed and len(sealed) == NONCE_BYTES + 27 + 16
    assert unseal(KEY, sealed, b"member-1") == b"FR7630006000011234567890189"
    with pytest.raises(InvalidTag):
        unseal(KEY, sealed, b"member-2")
    with pytest.raises(InvalidTag):
        unseal(derive_key("k" * 40, "other|v1"), sealed, b"member-1")


def test_each_sealing_draws_a_new_nonce():
    assert seal(KEY, b"same", b"c") != seal(KEY, b"same", b"c")


def test_a_derived_key_is_32_bytes_and_depends_on_secret_and_purpose():
    assert len(KEY) == 32
    assert derive_key("k" * 40, "test|v1") == KEY
    assert derive_key("x" * 40, "test|v1") != KEY
