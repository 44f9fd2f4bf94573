"""The signed identity from the gateway, and the access rules built on it."""

from portal_common import passport
from portal_common.access import member, member_or_staff, staff
from portal_common.testing import make_principal

KEY = "k" * 40


def test_a_passport_round_trips_and_a_tampered_or_expired_one_is_worthless():
    principal = make_principal(member_id="m-1", roles=("admin",))
    token = passport.sign(principal, KEY, now=1000)
    assert passport.verify(token, KEY, now=1010) == principal
    payload, signature = token.split(".")
    assert passport.verify(f"{payload}x.{signature}", KEY, now=1010) is None
    assert passport.verify(token, "other" + KEY, now=1010) is None
    assert passport.verify(token, KEY, now=1000 + passport.LIFETIME_SECONDS + 1) is None
    assert passport.verify("garbage", KEY) is None and passport.verify(None, KEY) is None


def test_unknown_roles_in_a_passport_are_dropped():
    principal = make_principal(member_id="m-1", roles=("admin", "superuser"), staff_roles=("root",))
    verified = passport.verify(passport.sign(principal, KEY), KEY)
    assert verified.roles == frozenset({"admin"}) and verified.staff_roles == frozenset()


def test_member_rules_need_a_current_company_and_a_matching_role():
    billing_user = make_principal(member_id="m-1", roles=("billing",))
    assert member("billing").check(billing_user) is None
    assert member("declaration").check(billing_user) == 403
    assert member("declaration").check(make_principal(member_id="m-1", roles=("admin",))) is None
    assert member().check(make_principal(member_id=None)) == 403
    assert member().check(None) == 401


def test_staff_rules_only_admit_the_named_staff_roles():
    secretary = make_principal(staff_roles=("secretariat",))
    assert staff().check(secretary) is None
    assert staff("billing").check(secretary) == 403
    assert staff().check(make_principal(member_id="m-1", roles=("admin",))) == 403
    assert member_or_staff().check(secretary) is None


def test_internal_service_routes_only_admit_service_passports():
    from portal_common.access import SERVICE
    from portal_common.http import service_headers

    token = service_headers("billing", KEY)[passport.HEADER]
    assert SERVICE.check(passport.verify(token, KEY)) is None
    assert SERVICE.check(make_principal(staff_roles=("administration",))) == 403
    assert SERVICE.check(None) == 401
