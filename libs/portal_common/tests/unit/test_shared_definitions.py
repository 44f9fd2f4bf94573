"""Concepts defined once in the shared library: key rings, event types, roles, the French calendar day."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from portal_common import clock
from portal_common.keyring import KeyRingError, new_key_setting, parse_key_ring
from portal_common.messaging.catalogue import event_types
from portal_common.messaging.event_types import EventType
from portal_common.passport import Principal
from portal_common.roles import MEMBER_ROLE_LABELS, MEMBER_ROLES, MemberRole

KEY = bytes(range(32))


@pytest.mark.parametrize(
    "encoded",
    [
        base64.b64encode(KEY).decode(),
        base64.urlsafe_b64encode(KEY).decode(),
        base64.urlsafe_b64encode(KEY).decode().rstrip("="),
    ],
)
def test_a_key_ring_reads_standard_and_url_safe_base64_padded_or_not(encoded):
    ring = parse_key_ring(f"k2:{encoded},k1:{base64.b64encode(bytes(32)).decode()}")
    assert ring.current_id == "k2" and ring.current == KEY and ring.key("k1") == bytes(32)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "k1",
        "k1:not base64!",
        "k1:" + base64.b64encode(b"short").decode(),
        "bad id:" + base64.b64encode(KEY).decode(),
        f"k1:{base64.b64encode(KEY).decode()},k1:{base64.b64encode(KEY).decode()}",
    ],
)
def test_a_key_ring_refuses_settings_it_cannot_use_without_showing_the_key(raw):
    with pytest.raises(KeyRingError) as refused:
        parse_key_ring(raw)
    assert base64.b64encode(KEY).decode() not in str(refused.value)


def test_a_fresh_key_setting_parses_into_a_ring_of_one():
    assert parse_key_ring(new_key_setting("n1")).current_id == "n1"


def test_the_event_type_enumeration_is_the_catalogue():
    assert sorted(EventType) == event_types()


def test_member_roles_have_one_label_each_and_admin_holds_them_all():
    assert set(MEMBER_ROLE_LABELS) == set(MemberRole) == MEMBER_ROLES
    admin = Principal(
        user_id="u", display_name="A", session_ref="s", member_id="m", roles=frozenset({MemberRole.ADMIN})
    )
    assert all(admin.has_member_role(role) for role in MemberRole)


def test_today_is_the_french_calendar_day(monkeypatch):
    # 23:30 UTC on 31 December is already 1 January in Paris.
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert clock.today().isoformat() == "2027-01-01"
