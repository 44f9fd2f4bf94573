"""The signed identity from the gateway, and the access rules built on it."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal_common import passport
from portal_common.access import member, member_or_staff, staff
from portal_common.roles import EMPLOYEE_KEEPERS, EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE, STAFF_ROLES
from portal_common.testing import make_principal

# One key pair per signer, as a deployment has: identity and two services.
PRIVATE = {name: passport.new_signing_key() for name in ("identity", "billing", "members")}
KEYS = passport.parse_public_keys(",".join(f"{n}:{passport.public_key_of(k)}" for n, k in PRIVATE.items()))


def signer(name: str, key_of: str | None = None) -> passport.Signer:
    return passport.Signer(name, passport.parse_signing_key(PRIVATE[key_of or name]))


def service_principal(name: str) -> passport.Principal:
    return passport.Principal(user_id=f"service:{name}", display_name=name, session_ref=f"service:{name}")


def test_a_passport_round_trips_and_a_tampered_or_expired_one_is_worthless():
    principal = make_principal(member_id="m-1", roles=("admin",))
    token = signer("identity").sign(principal, now=1000)
    assert passport.verify(token, KEYS, now=1010) == principal
    name, payload, signature = token.split(".")
    assert passport.verify(f"{name}.{payload}x.{signature}", KEYS, now=1010) is None
    # Another signature: its first character changed (never the same one it replaces, as a fixed « AA » once was).
    forged = ("B" if signature[0] == "A" else "A") + signature[1:]
    assert passport.verify(f"{name}.{payload}.{forged}", KEYS, now=1010) is None
    assert passport.verify(token, KEYS, now=1000 + passport.LIFETIME_SECONDS + 1) is None
    assert passport.verify("garbage", KEYS) is None and passport.verify(None, KEYS) is None
    assert passport.verify("a.b.c", KEYS) is None and passport.verify("identity.e30.!!", KEYS) is None


@settings(max_examples=300, deadline=None)
@given(
    token=st.one_of(
        st.text(max_size=200),
        st.lists(st.text(max_size=60), min_size=3, max_size=3).map(".".join),
        st.tuples(st.sampled_from(["identity", "billing"]), st.text(max_size=80), st.text(max_size=90)).map(".".join),
    )
)
def test_whatever_a_client_puts_in_the_header_is_refused_without_an_error(token):
    assert passport.verify(token, KEYS) is None


@pytest.mark.parametrize("claims", [b"not json", b"[1, 2]", b'"text"', b'{"exp": 2000000000}', b'{"user_id": "u"}'])
def test_a_well_signed_passport_with_unusable_claims_is_refused(claims):
    payload = passport._b64(claims)
    key = passport.parse_signing_key(PRIVATE["identity"])
    token = f"identity.{payload}.{passport._b64(key.sign(f'identity.{payload}'.encode()))}"
    assert passport.verify(token, KEYS) is None


def test_unknown_roles_in_a_passport_are_dropped():
    principal = make_principal(member_id="m-1", roles=("admin", "superuser"), staff_roles=("root",))
    verified = passport.verify(signer("identity").sign(principal), KEYS)
    assert verified.roles == frozenset({"admin"}) and verified.staff_roles == frozenset()


@settings(max_examples=40, deadline=None)
@given(
    forger=st.sampled_from(["billing", "members"]),
    claimed=st.sampled_from(["identity", "billing", "members", "workforce"]),
    staff_roles=st.lists(st.sampled_from(sorted(STAFF_ROLES)), max_size=2),
    kind=st.sampled_from(["user", "service"]),
)
def test_a_service_holding_only_the_public_keys_and_its_own_key_cannot_forge_a_passport_the_others_accept(
    forger, claimed, staff_roles, kind
):
    """docs/security.md KEY-01, AZ-06: neither a user's passport nor another service's, whatever it names as signer."""
    principal = (
        make_principal(member_id="m-1", roles=("admin",), staff_roles=tuple(staff_roles))
        if kind == "user"
        else service_principal("members" if forger == "billing" else "billing")
    )
    # Signing with its own key while claiming any signer name, bypassing Signer's own refusal.
    claims = principal.to_claims() | {"exp": 2_000_000_000}
    payload = passport._b64(json.dumps(claims, separators=(",", ":")).encode())
    own_key = passport.parse_signing_key(PRIVATE[forger])
    forged = f"{claimed}.{payload}.{passport._b64(own_key.sign(f'{claimed}.{payload}'.encode()))}"
    assert passport.verify(forged, KEYS) is None
    # The honest way refuses too, before anything is sent.
    with pytest.raises(passport.PassportKeyError):
        signer(forger).sign(principal)
    # Only what it may sign for passes: its own service passport.
    assert passport.verify(signer(forger).sign(service_principal(forger)), KEYS) == service_principal(forger)


def test_a_user_passport_opens_only_with_identitys_key_and_a_service_passport_only_with_its_own():
    user = make_principal(member_id="m-1", roles=("admin",))
    assert passport.verify(signer("identity").sign(user), KEYS) == user
    assert passport.verify(signer("identity", key_of="billing").sign(user), KEYS) is None
    assert passport.verify(signer("billing", key_of="members").sign(service_principal("billing")), KEYS) is None
    assert passport.verify(signer("identity").sign(service_principal("identity")), KEYS) is not None
    unknown = passport.Signer("payments", passport.parse_signing_key(passport.new_signing_key()))
    assert passport.verify(unknown.sign(service_principal("payments")), KEYS) is None


def test_a_signer_may_hold_two_public_keys_while_its_key_is_rotated():
    new_key = passport.new_signing_key()
    both = passport.parse_public_keys(
        f"identity:{passport.public_key_of(PRIVATE['identity'])},identity:{passport.public_key_of(new_key)}"
    )
    user = make_principal()
    for key in (PRIVATE["identity"], new_key):
        assert passport.verify(passport.Signer("identity", passport.parse_signing_key(key)).sign(user), both) == user


def test_passport_key_settings_are_checked_without_showing_a_private_key():
    with pytest.raises(passport.PassportKeyError, match="identity is missing"):
        passport.parse_public_keys(f"billing:{passport.public_key_of(PRIVATE['billing'])}")
    with pytest.raises(passport.PassportKeyError, match="name:base64"):
        passport.parse_public_keys("no-colon-here")
    with pytest.raises(passport.PassportKeyError) as refused:
        passport.parse_signing_key("c2hvcnQ")
    assert "c2hvcnQ" not in str(refused.value)


def test_member_rules_need_a_current_company_and_a_matching_role():
    billing_user = make_principal(member_id="m-1", roles=("billing",))
    assert member("billing").check(billing_user) is None
    assert member("declaration").check(billing_user) == 403
    assert member("declaration").check(make_principal(member_id="m-1", roles=("admin",))) is None
    assert member(*EVERY_MEMBER_ROLE).check(make_principal(member_id=None)) == 403
    assert member(*EVERY_MEMBER_ROLE).check(None) == 401


def test_staff_rules_only_admit_the_named_staff_roles():
    secretary = make_principal(staff_roles=("secretariat",))
    assert staff(*EVERY_STAFF_ROLE).check(secretary) is None
    assert staff("billing").check(secretary) == 403
    assert staff(*EVERY_STAFF_ROLE).check(make_principal(member_id="m-1", roles=("admin",))) == 403
    assert member_or_staff(EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE).check(secretary) is None
    assert member_or_staff(EVERY_MEMBER_ROLE, ("billing",)).check(secretary) == 403


def test_a_rule_names_its_roles_and_only_known_ones():
    for missing in (lambda: member(), lambda: staff(), lambda: member_or_staff((), ("billing",))):
        with pytest.raises(ValueError, match="name the"):
            missing()
    with pytest.raises(ValueError, match="unknown member roles"):
        member("comptable")
    assert member("read").name == "member(admin,read)"  # the administrator holds every member role


def test_an_accounting_firm_reaches_what_its_delegated_roles_reach_and_never_an_administrators_route():
    firm = make_principal(member_id="m-1", roles=("declaration", "billing"), grants=("delegate",))
    assert member(*EMPLOYEE_KEEPERS).check(firm) is None
    assert member("admin").check(firm) == 403
    assert staff(*EVERY_STAFF_ROLE).check(firm) == 403


def test_staff_who_chose_a_company_read_it_as_lecture_does_and_change_nothing():
    on_company = make_principal(member_id="m-1", staff_roles=("secretariat",))
    assert member(*EVERY_MEMBER_ROLE).check(on_company) is None
    assert member(*EMPLOYEE_KEEPERS).check(on_company) == 403
    assert member("admin").check(on_company) == 403
    assert member(*EVERY_MEMBER_ROLE).check(make_principal(staff_roles=("secretariat",))) == 403


def test_internal_service_routes_only_admit_service_passports():
    from portal_common.access import SERVICE
    from portal_common.http import service_headers

    token = service_headers(signer("billing"))[passport.HEADER]
    assert SERVICE.check(passport.verify(token, KEYS)) is None
    assert SERVICE.check(make_principal(staff_roles=("administration",))) == 403
    assert SERVICE.check(None) == 401
