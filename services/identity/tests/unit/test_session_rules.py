"""Session lifetime and redirect rules, without any database."""

from datetime import UTC, datetime, timedelta

import pytest

from identity.email_change.rules import email_change_errors
from identity.login.rules import looks_like_member_number
from identity.sessions.rules import SessionPolicy, needs_touch
from portal_common.redirects import safe_path

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
POLICY = SessionPolicy(idle=timedelta(minutes=30), staff_idle=timedelta(minutes=15), absolute=timedelta(hours=12))


def alive(last_seen_minutes_ago, *, staff=False, expires_in=timedelta(hours=1), revoked=False):
    return POLICY.is_alive(
        now=NOW,
        last_seen_at=NOW - timedelta(minutes=last_seen_minutes_ago),
        expires_at=NOW + expires_in,
        is_staff=staff,
        revoked=revoked,
    )


def test_a_member_session_survives_29_minutes_idle_but_not_30():
    assert alive(29) and not alive(30)


def test_a_staff_session_dies_after_15_minutes_idle():
    assert alive(14, staff=True) and not alive(15, staff=True)


def test_a_session_past_its_absolute_lifetime_is_dead_even_when_active():
    assert not alive(0, expires_in=timedelta(0))


def test_a_revoked_session_is_dead():
    assert not alive(0, revoked=True)


def test_last_seen_is_refreshed_at_most_once_a_minute():
    assert not needs_touch(NOW, NOW - timedelta(seconds=59))
    assert needs_touch(NOW, NOW - timedelta(seconds=60))


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil", "", None, "/connexion", "/internal/session"]
)
def test_redirects_after_login_never_leave_the_portal(target):
    assert safe_path(target) == "/"


def test_a_local_path_with_its_query_is_kept_after_login():
    assert safe_path("/salaries?lettre=B") == "/salaries?lettre=B"


def test_member_numbers_are_seven_digits():
    assert looks_like_member_number("1000001") and not looks_like_member_number("100001")
    assert not looks_like_member_number("a@b.fr")


def test_an_e_mail_change_wants_a_valid_new_address_typed_twice_and_different_from_the_current_one():
    assert email_change_errors("chef@boulangerie.fr", "Paul@Nouvelle.fr", " paul@nouvelle.fr") == {}
    assert "valide" in email_change_errors("chef@boulangerie.fr", "paul@", "paul@")["new_email"]
    assert (
        "différentes" in email_change_errors("chef@boulangerie.fr", "paul@nouvelle.fr", "paul@autre.fr")["confirmation"]
    )
    assert (
        "déjà" in email_change_errors("chef@boulangerie.fr", "CHEF@boulangerie.fr", "chef@boulangerie.fr")["new_email"]
    )


def test_the_page_to_return_to_after_login_loses_a_query_string_carrying_a_nir():
    assert safe_path("/salaries?q=185%2008%2014%20168%20025") == "/"  # encoded spaces: refused outright
    assert safe_path("/salaries?q=1850814168025") == "/salaries"
    assert safe_path("/salaries?q=MARTIN") == "/salaries?q=MARTIN"
