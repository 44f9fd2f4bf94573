"""docs/security.md KEY-02 (docs/decisions/0024-keys-by-purpose.md): one ring per purpose, a legacy key kept read-only, CSRF tokens naming
their key (rotation = new key first, the old one kept as long as a session lives)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal_common.config import BaseSettings
from portal_common.keyring import Rotation, derived_ring, new_key_setting, parse_key_ring, with_legacy
from portal_common.web import csrf

OLD, NEW = new_key_setting("c1"), new_key_setting("c2")


class ExampleSettings(BaseSettings):
    service = "example"


@given(binding=st.text(min_size=1, max_size=80))
def test_a_csrf_token_from_the_old_key_passes_while_the_old_key_is_kept_and_new_tokens_use_the_new_one(binding):
    old_ring, rotated, new_only = parse_key_ring(OLD), parse_key_ring(f"{NEW},{OLD}"), parse_key_ring(NEW)
    issued_before = csrf._token(old_ring, binding)
    assert issued_before.startswith("c1.") and csrf._token_is_valid(rotated, binding, issued_before)
    assert csrf._token(rotated, binding).startswith("c2.")
    assert not csrf._token_is_valid(new_only, binding, issued_before)  # once the old key is removed
    assert not csrf._token_is_valid(rotated, binding + "x", issued_before)
    assert not csrf._token_is_valid(rotated, binding, issued_before.split(".", 1)[1])  # no key id, no pass


def test_the_csrf_ring_is_its_own_setting_and_falls_back_on_a_key_derived_from_the_internal_key():
    internal = "k" * 40
    configured = ExampleSettings.from_env({"PORTAL_INTERNAL_KEY": internal, "PORTAL_CSRF_KEYS": NEW})
    assert configured.csrf_ring.current_id == "c2" and configured.csrf_ring.keys == parse_key_ring(NEW).keys
    unset = ExampleSettings.from_env({"PORTAL_INTERNAL_KEY": internal})
    assert unset.csrf_ring.keys == derived_ring(internal, "portal|csrf|v1", "d1").keys


def test_a_configured_ring_keeps_the_legacy_key_read_only_and_its_own_key_first():
    legacy = derived_ring("k" * 40, "purpose|v1", "d1")
    ring = with_legacy(parse_key_ring(NEW), legacy)
    assert ring.current_id == "c2" and list(ring.keys) == ["c2", "d1"] and ring.key("d1") == legacy.current
    assert with_legacy(None, legacy) is legacy
    same_id = parse_key_ring(new_key_setting("d1"))
    assert with_legacy(same_id, legacy).keys == same_id.keys  # a configured key wins over the legacy one


def test_a_rotation_counts_add_up_and_print_in_french():
    total = Rotation(3, 2, 0) + Rotation(1, 0, 1)
    assert total == Rotation(4, 2, 1)
    assert total.summary("IBAN", "k2") == (
        "Valeurs chiffrées (IBAN) : 4 examinée(s), 2 rechiffrée(s) avec la clé k2, 1 illisible(s)."
    )


@pytest.mark.parametrize("raw", ["c1", "c1:", "c1:c2hvcnQ", "bad id!:" + NEW.split(":")[1]])
def test_a_bad_csrf_ring_setting_is_refused_without_showing_the_key(raw):
    from portal_common.config import SettingsError

    with pytest.raises(SettingsError, match="PORTAL_CSRF_KEYS is invalid:") as refused:
        ExampleSettings.from_env({"PORTAL_INTERNAL_KEY": "k" * 40, "PORTAL_CSRF_KEYS": raw})
    assert "c2hvcnQ" not in str(refused.value)
