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


def test_internal_service_routes_only_admit_service_passports():
    from portal_common.access import SERVICE
    from portal_common.http import service_headers

    token = service_headers("billing", KEY)[passport.HEADER]
    assert SERVICE.check(passport.verify(token, KEY)) is None
    assert SERVICE.check(make_principal(staff_roles=("administration",))) == 403
    assert SERVICE.check(None) == 401
