"""Deny by default: every route of every service declares, beside the view, who may call it
(docs/security.md AZ-01). The persona × role matrix through the gateway is tests/integration/test_access_matrix.py.
"""

from __future__ import annotations

import importlib
from collections import Counter

from portal_common.access import AUTHENTICATED, INTERNAL, PUBLIC, SERVICE, Rule, rule_for
from portal_common.roles import EMPLOYEE_READERS, MemberRole, StaffRole
from portal_common.testing import make_principal
from portal_common.web.home import MEMBER_HOME_PARTS, STAFF_HOME_PARTS
from portal_common.web.navigation import ACCOUNT_MENU, NAVIGATION

SERVICE_NAMES = ("identity", "members", "workforce", "scheduling", "billing")
SHARED_RULES = (PUBLIC, INTERNAL, AUTHENTICATED, SERVICE)
MEMBER_A = "a8d5c0a2-4a1e-4c55-9b7e-1f2e3d4c5b6a"
# One principal per role held alone (and staff who chose a company): what the rules are asked about below.
ONE_ROLE = (
    {f"member:{role}": make_principal(member_id=MEMBER_A, roles=(role,)) for role in MemberRole}
    | {f"staff:{role}": make_principal(staff_roles=(role,)) for role in StaffRole}
    | {f"staff:{role} on a company": make_principal(member_id=MEMBER_A, staff_roles=(role,)) for role in StaffRole}
)


def declared_routes(app) -> list[tuple[str, str, Rule | None]]:  # type: ignore[no-untyped-def]
    """(method, path, rule) for every method of every route of the app's URL map."""
    return [
        (method, url_rule.rule, rule_for(app, url_rule.endpoint, method))
        for url_rule in app.url_map.iter_rules()
        for method in sorted(url_rule.methods or ())
    ]


def test_every_route_of_the_five_services_declares_who_may_call_it(services):
    missing, audiences = [], Counter()
    checked = 0
    for name in SERVICE_NAMES:
        for method, path, rule in declared_routes(services[name].app):
            checked += 1
            if rule is None:
                missing.append(f"{name}: {method} {path}")
                continue
            audiences[rule.name] += 1
    print(
        f"\naccess rules: {checked} route methods of {len(SERVICE_NAMES)} services checked, {len(audiences)} audiences"
    )
    for audience, count in audiences.most_common():
        print(f"  {count:4}  {audience}")
    assert missing == []
    assert checked > 250  # the walk really covered the five URL maps


def test_every_rule_is_a_shared_one_or_names_its_roles(services):
    """No "any role" shorthand: a route open to signed-in users says so (AUTHENTICATED), others name roles."""
    vague = []
    for name in SERVICE_NAMES:
        for method, path, rule in declared_routes(services[name].app):
            if rule is None or any(rule is shared for shared in SHARED_RULES):
                continue
            if not rule.needs_identity or not (rule.member_roles or rule.staff_roles):
                vague.append(f"{name}: {method} {path} [{rule.name}]")
    assert vague == []


def test_a_request_without_identity_only_reaches_public_and_internal_routes(services):
    reached = []
    for name in SERVICE_NAMES:
        app = services[name].app
        client = app.test_client()
        for url_rule in app.url_map.iter_rules():
            if "GET" not in (url_rule.methods or ()) or url_rule.arguments:
                continue
            rule = rule_for(app, url_rule.endpoint, "GET")
            status = client.get(url_rule.rule).status_code
            if rule.needs_identity and status not in (302, 401):
                reached.append(f"{name}: {url_rule.rule} answered {status}")
    assert reached == []


def test_a_route_without_a_rule_is_refused(services):
    from flask import Flask

    from portal_common.access import init_access

    app = Flask(__name__)
    init_access(app, services["members"].portal.settings.passport_keys)
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert app.test_client().get("/forgotten").status_code == 403


def test_a_billing_only_user_is_refused_mes_salaries_and_every_page_under_it(services):
    """Testers found Facturation alone opening « Mes salariés » (200): employees are for EMPLOYEE_READERS only."""
    workforce = services["workforce"]
    billing_only = make_principal(member_id=MEMBER_A, roles=(MemberRole.BILLING,))
    reader = make_principal(member_id=MEMBER_A, roles=(MemberRole.READ,))
    client = workforce.client()
    pages = [
        r.rule
        for r in workforce.app.url_map.iter_rules()
        if r.rule.startswith("/salaries") and not r.arguments and "GET" in (r.methods or ())
    ]
    answers = {path: client.get(path, headers=workforce.headers(billing_only)).status_code for path in pages}
    assert len(pages) > 10 and set(answers.values()) == {403}, answers
    assert client.get("/salaries", headers=workforce.headers(reader)).status_code == 200
    employee = client.get("/salaries/00000000-0000-0000-0000-000000000000", headers=workforce.headers(billing_only))
    assert employee.status_code == 403
    api = client.get("/api/workforce/employees", headers=workforce.headers(billing_only))
    assert api.status_code == 403


def test_the_navigation_offers_a_page_only_to_whom_its_route_admits(services):
    """Nobody is offered a link that answers 403, and each member role sees every member page it may open."""
    rules = {}
    for name in SERVICE_NAMES:
        app = services[name].app
        for url_rule in app.url_map.iter_rules():
            if not url_rule.arguments and "GET" in (url_rule.methods or ()):
                rules[url_rule.rule] = rule_for(app, url_rule.endpoint, "GET")
    wrong = []
    for item in NAVIGATION + ACCOUNT_MENU:
        rule = rules[item.path]
        for who, principal in ONE_ROLE.items():
            offered, admitted = item.offered_to(principal), rule.check(principal) is None
            member_page = bool(item.rule.member_roles) and who.startswith("member:")
            if offered and not admitted or member_page and admitted != offered:
                wrong.append(f"{item.label} ({item.path}) for {who}: offered={offered}, admitted={admitted}")
    assert wrong == []
    billing_only = ONE_ROLE[f"member:{MemberRole.BILLING}"]
    assert "Mes salariés" not in [item.label for item in NAVIGATION if item.offered_to(billing_only)]
    assert MemberRole.BILLING not in EMPLOYEE_READERS


def test_every_service_module_declares_its_rules_with_the_shared_helpers():
    for name in SERVICE_NAMES:
        module = importlib.import_module(f"{name}.app")
        assert hasattr(module, "create_app")


def test_a_home_page_includes_a_service_s_part_only_for_whom_the_part_s_route_admits(services):
    """The frame includes a part by the rule of portal_common.web.home; the service's route declares that same
    rule, so no home page ever includes a part that would answer 403 (it would show as « indisponible »)."""
    wrong = []
    for part in MEMBER_HOME_PARTS + STAFF_HOME_PARTS:
        app = services[part.service].app
        endpoint = next((r.endpoint for r in app.url_map.iter_rules() if r.rule == part.path), None)
        declared = rule_for(app, endpoint, "GET")
        if declared is None or declared.name != part.rule.name:
            wrong.append(
                f"{part.service} {part.path}: declares {declared and declared.name}, the frame {part.rule.name}"
            )
    assert wrong == []
