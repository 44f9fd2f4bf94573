"""Second-factor, API-token and security-log reading rules, without Flask nor a database."""

from datetime import UTC, date, datetime, timedelta

import pyotp
import pytest

from identity.api_tokens import rules as token_rules
from identity.mfa import rules as mfa
from identity.security_log.rules import day_bounds, kind_label, parse_filters

NOW = datetime(2026, 11, 30, 9, 0, 15, tzinfo=UTC)


def code_at(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


def test_a_code_of_the_current_or_an_adjacent_step_is_accepted_once():
    secret = mfa.new_secret()
    step = mfa.accepted_step(secret, code_at(secret, NOW), NOW, last_step=0)
    assert step == mfa.step_of(NOW)
    assert mfa.accepted_step(secret, code_at(secret, NOW), NOW, last_step=step) is None  # replay
    assert mfa.accepted_step(secret, code_at(secret, NOW - timedelta(seconds=30)), NOW, 0) == step - 1
    assert mfa.accepted_step(secret, code_at(secret, NOW + timedelta(seconds=30)), NOW, step) == step + 1


def test_an_old_a_malformed_or_another_secrets_code_is_refused():
    secret = mfa.new_secret()
    assert mfa.accepted_step(secret, code_at(secret, NOW - timedelta(minutes=2)), NOW, 0) is None
    assert mfa.accepted_step(secret, "12a456", NOW, 0) is None
    assert mfa.accepted_step(secret, code_at(mfa.new_secret(), NOW), NOW, 0) in (None, mfa.step_of(NOW))


def test_ten_distinct_recovery_codes_are_made_readable_and_recognised():
    codes = mfa.new_recovery_codes()
    assert len(codes) == 10 == len(set(codes))
    for code in codes:
        assert len(code) == 11 and code[5] == "-"
        assert mfa.looks_like_recovery_code(mfa.normalise_code(code.upper()))
        assert not set(code) & set("01ilo")
    assert not mfa.looks_like_recovery_code("123456")


def test_the_qr_code_is_inline_svg_and_the_uri_names_the_portal():
    secret = mfa.new_secret()
    uri = mfa.provisioning_uri(secret, "chef@boulangerie.fr")
    assert uri.startswith("otpauth://totp/") and secret in uri and "issuer=Espace" in uri
    svg = mfa.qr_svg(uri)
    assert svg.startswith('<svg role="img" aria-label=') and "http" not in svg.split("xmlns")[0]
    assert mfa.grouped("ABCDEFGH") == "ABCD EFGH"


@pytest.mark.parametrize(
    "is_staff, is_delegate, enforced, expected",
    [(True, False, True, True), (False, True, True, True), (False, False, True, False), (True, True, False, False)],
)
def test_staff_and_accounting_firms_must_enrol_unless_the_setting_turns_it_off(
    is_staff, is_delegate, enforced, expected
):
    assert mfa.mandatory(is_staff=is_staff, is_delegate=is_delegate, enforced=enforced) is expected


def test_a_login_waits_for_the_code_or_for_a_mandatory_enrolment():
    assert mfa.stage_after_password(has_factor=True, must_enrol=False) == mfa.Stage.WAITING_CODE
    assert mfa.stage_after_password(has_factor=False, must_enrol=True) == mfa.Stage.WAITING_ENROLMENT
    assert mfa.stage_after_password(has_factor=False, must_enrol=False) == mfa.Stage.FULL


def test_a_step_up_is_fresh_for_five_minutes_only():
    assert mfa.step_up_fresh(NOW - timedelta(minutes=4, seconds=59), NOW)
    assert not mfa.step_up_fresh(NOW - timedelta(minutes=5), NOW)
    assert not mfa.step_up_fresh(None, NOW)
    assert not mfa.step_up_fresh(NOW + timedelta(minutes=1), NOW)


def test_tokens_carry_256_random_bits_behind_a_recognisable_prefix():
    token, hint = token_rules.new_token()
    assert token.startswith("spsti_pat_") and len(token) == len("spsti_pat_") + 43
    assert token[len("spsti_pat_") :].startswith(hint)
    assert token_rules.token_hash(token) != token and len(token_rules.token_hash(token)) == 64
    assert token_rules.bearer_token(f"Bearer {token}") == token
    assert token_rules.bearer_token(f"bearer  {token} ") == token
    assert token_rules.bearer_token(f"Basic {token}") is None
    assert token_rules.bearer_token("Bearer spsti_pat_court") is None


@pytest.mark.parametrize(
    "scopes, method, uri, allowed",
    [
        ({"employees:read"}, "GET", "/api/workforce/employees?page=2", True),
        ({"employees:read"}, "GET", "/api/workforce/employees/42/history", True),
        ({"employees:read"}, "POST", "/api/workforce/employees", False),
        ({"employees:write"}, "POST", "/api/workforce/employees", True),
        # Payroll software sends the month's DSN and follows it (POST, then the status resource, then apply).
        ({"employees:write"}, "POST", "/api/workforce/dsn-imports", True),
        ({"employees:write"}, "GET", "/api/workforce/dsn-imports/42", True),
        ({"employees:write"}, "POST", "/api/workforce/dsn-imports/42/apply", True),
        ({"employees:read"}, "POST", "/api/workforce/dsn-imports", False),
        ({"employees:write"}, "POST", "/api/workforce/dsn-importsX", False),
        ({"employees:read"}, "GET", "/api/workforce/employeesX", False),
        ({"employees:read"}, "GET", "/api/billing/invoices", False),
        ({"invoices:read"}, "GET", "/api/billing/invoices/7", True),
        ({"invoices:read"}, "POST", "/api/billing/invoices/7/payments", False),
        ({"employees:read"}, "GET", "/api/workforce/employees/../../billing/invoices", False),
        ({"employees:read"}, "GET", "/api/workforce/employees/%2e%2e/x", False),
        ({"employees:read"}, "GET", "/api/workforce/employees//x", False),
        ({"employees:read"}, "GET", "/salaries", False),
        ({"invoices:read"}, "GET", "/api/identity/me", True),
        (set(), "GET", "/api/workforce/employees", False),
    ],
)
def test_a_token_opens_only_the_api_paths_and_methods_of_its_scopes(scopes, method, uri, allowed):
    assert token_rules.allows(frozenset(scopes), method, uri) is allowed


def test_scopes_map_to_the_member_roles_the_services_check():
    assert token_rules.roles_for(frozenset({"employees:read", "invoices:read"})) == {"read"}
    assert token_rules.roles_for(frozenset({"employees:write"})) == {"declaration"}
    assert token_rules.scope_problem([]) and token_rules.scope_problem(["admin"])
    assert token_rules.scope_problem(["employees:read"]) is None
    assert token_rules.name_problem(" ") and token_rules.name_problem("x" * 101)


def test_security_log_filters_are_read_leniently_with_french_messages():
    filters = parse_filters(
        {"type": "login", "resultat": "failure", "du": "2026-11-01", "au": "2026-11-30", "page": "3"}
    )
    assert (filters.kind, filters.outcome, filters.start, filters.end, filters.page) == (
        "login",
        "failure",
        date(2026, 11, 1),
        date(2026, 11, 30),
        3,
    )
    assert filters.offset == 100 and filters.query(4)["page"] == "4" and filters.query(4)["type"] == "login"
    odd = parse_filters({"type": "<script>", "resultat": "x", "du": "31/02", "page": "-4"})
    assert (odd.kind, odd.outcome, odd.page) == (None, None, 1) and "JJ/MM/AAAA" in odd.errors["du"]
    assert "suivre" in parse_filters({"du": "2026-11-30", "au": "2026-11-01"}).errors["au"]
    assert kind_label("login") == "Connexion par mot de passe" and kind_label("other") == "other"


def test_days_are_french_civil_days():
    low, high = day_bounds(date(2026, 7, 1), date(2026, 7, 1))
    assert low == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert high == datetime(2026, 7, 1, 22, 0, tzinfo=UTC)
