"""Every route of the five services, tried through the real gateway by every persona and role
(docs/security.md AZ-01, AZ-02).

The expectation of each cell is the route's own declaration (`portal_common.access`): the rule beside the view
is asked about the persona's principal, and the portal must answer accordingly — allowed: neither 401/403 nor
the login page; refused: 401/403 or the login page; never 500. A user of company B given company A's ids gets
403/404 (a write, sent with an empty body, at least a 4xx) and never the data. One stack serves the whole
matrix: GETs first, then writes (a valid CSRF token, an empty body), then the two routes that end or move the
persona's own session. Whether a declaration is the right policy is the contract test's business
(tests/contract/test_access_rules.py); here, that the portal does what each declaration says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from portal_common import clock
from portal_common.access import INTERNAL, Rule, ServiceRule, rule_for
from tests.integration.portal_personas import (
    COMPANY_A,
    SERVICE_NAMES,
    SPARE_USER,
    Browser,
    Persona,
    Stack,
    add_accounts,
    personas,
    random_id,
    running_portal,
    seed_company_a,
)

pytestmark = pytest.mark.integration

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
# Routes that end or move the persona's own session: tried last, in this order.
SESSION_ENDERS = ("/changer-adherent", "/deconnexion")
# Routes that check the password typed in the form: a wrong one answers 401 like a failed login.
PASSWORD_CHECKS = ("/compte/verification",)
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
NAV = re.compile(r'<nav class="main-nav" aria-label="Navigation principale">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]+)</a>')


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    pattern: str
    rule: Rule
    path: str
    company_ids: bool  # the path holds one of company A's real ids (checked against company B)
    invented: tuple[str, ...] = ()  # path parameters given a random id

    def __str__(self) -> str:
        return f"{self.method} {self.pattern} [{self.rule.name}]"

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("/api/")


@dataclass(frozen=True)
class Cell:
    persona: Persona
    route: Route
    status: int
    location: str

    @property
    def login_page(self) -> bool:
        """The gateway's answer to a page without a session (a 303 to /connexion is a view's own, e.g. logout)."""
        return self.status == 302 and urlsplit(self.location).path == "/connexion"

    @property
    def refused(self) -> bool:
        return self.status in (401, 403) or self.login_page


# Which stored row of company A each path parameter names, per service (SQL on the stack's databases).
LOOKUPS: dict[tuple[str, str], str] = {
    ("members", "document_id"): "SELECT id FROM document WHERE member_id = %s",
    ("members", "request_id"): "SELECT id FROM change_request WHERE member_id = %s",
    ("members", "address"): "SELECT id FROM address WHERE member_id = %s",
    ("members", "contact"): "SELECT id FROM contact WHERE member_id = %s",
    ("workforce", "employee_id"): "SELECT id FROM employee WHERE member_id = %s ORDER BY id",
    ("workforce", "import_id"): "SELECT id FROM employee_import WHERE member_id = %s",
    ("scheduling", "appointment_id"): "SELECT id FROM appointment WHERE member_id = %s ORDER BY id",
    ("scheduling", "document_id"): "SELECT id FROM document WHERE member_id = %s",
    ("scheduling", "request_id"): "SELECT id FROM visit_request WHERE member_id = %s",
    ("billing", "invoice_id"): "SELECT id FROM invoice WHERE member_id = %s ORDER BY id",
    ("billing", "reference"): "SELECT reference FROM card_payment WHERE member_id = %s",
    ("billing", "debit_id"): "SELECT id FROM sepa_debit WHERE member_id = %s",
}
# Rows that belong to no company (the service's own reference data).
SHARED_LOOKUPS = {
    ("members", "centre_id"): "SELECT id FROM centre",
    ("scheduling", "slot_id"): "SELECT id FROM slot",
}


def path_values(stack: Stack, service: str, url_rule: Any) -> tuple[dict[str, Any], bool, tuple[str, ...]]:
    """Real ids of company A where they exist, whether the path holds one, and the parameters that had to be
    invented (a random id: nothing of the kind is stored, or it is the persona's own, like a session)."""
    values: dict[str, Any] = {}
    invented: list[str] = []
    company_ids = False
    for name in sorted(url_rule.arguments):
        found: Any = None
        if name == "member_id":
            found, company_ids = COMPANY_A, True
        elif name == "section":
            found = "contacts" if "contacts" in url_rule.rule else "adresses"
        elif name == "year":
            found = clock.today().year
        elif name == "user_id":
            found = SPARE_USER  # company A's spare user: the team pages may change it harmlessly
            company_ids = True
        elif name == "entry_id":
            kind = "contact" if "contacts" in url_rule.rule else "address"
            found = stack.first(service, LOOKUPS[(service, kind)], COMPANY_A)
            company_ids = company_ids or found is not None
        elif (service, name) in LOOKUPS:
            found = stack.first(service, LOOKUPS[(service, name)], COMPANY_A)
            company_ids = company_ids or found is not None
        elif (service, name) in SHARED_LOOKUPS:
            found = stack.first(service, SHARED_LOOKUPS[(service, name)])
        if found is None:
            found = random_id()
            invented.append(name)
        values[name] = found
    return values, company_ids, tuple(invented)


def routes_of(stack: Stack) -> tuple[list[Route], list[Route]]:
    """(the routes the gateway serves, the service-to-service routes it must never serve)."""
    served, service_only = [], []
    for service in SERVICE_NAMES:
        app = stack.apps[service]
        adapter = app.url_map.bind("localhost")
        for url_rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if url_rule.endpoint == "static":
                continue
            values, company_ids, invented = path_values(stack, service, url_rule)
            path = adapter.build(url_rule.endpoint, values, method=None, force_external=False)
            for method in sorted((url_rule.methods or set()) - SKIPPED_METHODS):
                rule = rule_for(app, url_rule.endpoint, method)
                assert rule is not None, f"{service}: {method} {url_rule.rule} declares no access rule"
                if rule is INTERNAL:
                    continue  # health and session checks: tested by the gateway's own tests
                route = Route(service, method, url_rule.rule, rule, path, company_ids, invented)
                (service_only if isinstance(rule, ServiceRule) else served).append(route)
    return served, service_only


def order(routes: list[Route]) -> list[list[Route]]:
    """Reads, then writes, then what ends or moves the session (in that order)."""
    reads = [r for r in routes if r.method == "GET"]
    enders = [r for p in SESSION_ENDERS for r in routes if r.pattern == p and r.method != "GET"]
    writes = [r for r in routes if r.method != "GET" and r not in enders]
    return [reads, writes, enders]


def ask(browser: Browser, route: Route) -> Cell:
    kwargs: dict[str, Any] = {}
    if route.method in WRITE_METHODS:
        if route.is_api:
            kwargs["json"] = {}
        elif route.pattern == "/changer-adherent":
            kwargs["data"] = {"csrf_token": browser.token, "member_id": browser.persona.member_id or COMPANY_A}
        else:
            # A public form carries the pre-session's token (the gateway sends no passport on public paths).
            public = not route.rule.needs_identity
            kwargs["data"] = {"csrf_token": browser.public_token if public else browser.token}
    answer = browser.request(route.method, route.path, **kwargs)
    if route.pattern == "/changer-adherent" and answer.status_code == 303:
        browser.refresh_token()  # a new company is a new session, with its own token
    return Cell(browser.persona, route, answer.status_code, answer.headers.get("Location", ""))


def verdict(cell: Cell) -> str | None:
    """What is wrong with this cell, or None when it answers as declared."""
    persona, route = cell.persona, cell.route
    if cell.status >= 500:
        return f"answered {cell.status}"
    if persona.other_company and route.company_ids:
        # Company A's ids in another company's session: refused or unknown, never the data nor a change
        # (a write may also be refused for its empty body before the company is looked at).
        if cell.status in (403, 404) or route.method != "GET" and 400 <= cell.status < 500:
            return None
        return f"another company's ids answered {cell.status} {cell.location}"
    expected = route.rule.check(persona.principal())
    if expected is None:
        if not route.rule.needs_identity:
            # A public page may send a visitor back to the login page or refuse a bad login (401), never 403,
            # and the gateway never stops it for want of a session.
            if cell.status == 403 or "next=" in cell.location:
                return f"public route refused ({cell.status} {cell.location})"
            return None
        if cell.status == 401 and route.pattern in PASSWORD_CHECKS and route.method == "POST":
            return None
        return f"allowed but refused ({cell.status} {cell.location})" if cell.refused else None
    return None if cell.refused else f"refused ({expected}) but answered {cell.status} {cell.location}"


@pytest.fixture(scope="module")
def matrix(portal_env) -> Iterator[tuple[Stack, dict[str, Browser]]]:
    with running_portal(portal_env, "matrix") as stack:
        everyone = personas()
        add_accounts(stack, everyone)
        browsers = {p.name: Browser(stack, p) for p in everyone}
        for browser in browsers.values():
            browser.log_in()
        seed_company_a(browsers["A:administrateur"], browsers["personnel:secretariat"], stack)
        yield stack, browsers


def run_phases(browsers: dict[str, Browser], routes: list[Route]) -> list[Cell]:
    """Each persona in its own thread; every persona finishes a phase before the next starts."""
    cells: list[Cell] = []
    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        for phase in order(routes):
            for answers in pool.map(lambda b, p=phase: [ask(b, r) for r in p], browsers.values()):
                cells.extend(answers)
    return cells


def test_every_persona_signed_in_with_the_principal_the_matrix_assumes(matrix):
    _, browsers = matrix
    seen = {}
    for name, browser in browsers.items():
        if browser.persona.login is None:
            continue
        me = browser.request("GET", "/api/identity/me").json()
        seen[name] = (me["member_id"], sorted(me["roles"]), sorted(me["staff_roles"]), sorted(me["grants"]))
    assert seen == {
        name: (b.persona.member_id, sorted(b.persona.roles), sorted(b.persona.staff_roles), sorted(b.persona.grants))
        for name, b in browsers.items()
        if b.persona.login is not None
    }


def test_each_persona_is_offered_only_pages_it_may_open(matrix):
    """The navigation each persona is shown links to pages that open for it; Facturation alone is not
    offered « Mes salariés » (testers found it open to that role)."""
    _, browsers = matrix
    offered, refused = {}, []
    for name, browser in browsers.items():
        if browser.persona.login is None:
            continue
        nav = NAV.search(browser.request("GET", "/compte").text)
        links = LINK.findall(nav.group(1)) if nav else []
        offered[name] = [label for _, label in links]
        for path, label in links:
            status = browser.request("GET", path).status_code
            if status in (401, 403) or status >= 500:
                refused.append(f"{name}: « {label} » ({path}) answered {status}")
    assert refused == []
    assert "Mes factures" in offered["A:facturation"] and "Mes salariés" not in offered["A:facturation"]
    assert "Mes salariés" in offered["A:lecture"] and "Mes salariés" in offered["cabinet comptable"]
    assert (
        "Gestion des adhérents" in offered["personnel:billing"] and "Mes salariés" not in offered["personnel:billing"]
    )
    assert {"Mon entreprise", "Mes salariés", "Gestion des adhérents"} <= set(offered["personnel sur A"])


def test_every_route_answers_every_persona_as_its_declaration_says(matrix):
    stack, browsers = matrix
    served, service_only = routes_of(stack)
    cells = run_phases(browsers, served + service_only)
    wrong = []
    for cell in cells:
        if isinstance(cell.route.rule, ServiceRule):
            # Service-to-service routes are never routed by the gateway, whoever asks.
            problem = None if cell.status in (401, 403, 404) or cell.login_page else f"answered {cell.status}"
        else:
            problem = verdict(cell)
        if problem:
            wrong.append(f"{cell.persona.name:22} {cell.route} {cell.route.path}: {problem}")
    admitted = sum(1 for c in cells if c.route.rule.check(c.persona.principal()) is None)
    invented = sorted({f"{r.service}:{name}" for r in served for name in r.invented})
    print(
        f"\naccess matrix: {len(served) + len(service_only)} routes × {len(browsers)} personas = {len(cells)} cells "
        f"checked: {admitted} admitted and {len(cells) - admitted} refused by their declaration, "
        f"{sum(1 for c in cells if c.route.company_ids and c.persona.other_company)} with another company's ids; "
        f"random ids (no such row stored) for {', '.join(invented) or 'no parameter'}"
    )
    assert wrong == [], f"{len(wrong)} of {len(cells)} cells wrong:\n" + "\n".join(wrong)


def test_no_service_logged_an_error_while_the_matrix_ran(matrix):
    """Refusals are answers, not failures: no traceback and no error line in any process's log."""
    stack, _ = matrix
    errors = [
        line for line in stack.log_path.read_text().splitlines() if '"level": "ERROR"' in line or "Traceback" in line
    ]
    assert errors == [], "\n".join(errors[:5])
