"""Nothing anyone types or stores breaks a page (docs/security.md VAL-03, VAL-04), proved on the whole portal
behind its real nginx gateway with the demo data, as the employer's administrator, the accounting firm and staff:

1. Stored values the boundary refuses today (a lone surrogate in a pending change, bidi overrides and control
   characters in names, addresses, labels, file names…) are written straight into every service's tables with SQL;
   then every page each persona can reach (links crawled from the home page and the navigation, PDFs included)
   answers below 500.
2. The form fuzzer: every HTML form each persona reaches is submitted with each string of HOSTILE_TEXT in every
   text field and a valid CSRF token; then every page is opened again. No answer of 500 or above, every refusal
   in French (never one of marshmallow's or werkzeug's English messages).
3. `python -m portal_common.repair` lists the stored values per service and repairs them.
4. No traceback and no error line in any process's log during the module.

The forms and pages covered are printed (`pytest -s`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import psycopg
import pytest

from portal_common.roles import MemberRole, StaffRole
from portal_common.testing.contract import ENGLISH, HOSTILE_TEXT
from tests.integration.portal_personas import COMPANY_A, Browser, Persona, Stack, running_portal

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PERSONAS = [
    Persona("administrateur de l'entreprise", "1000001", COMPANY_A, (MemberRole.ADMIN,)),
    Persona(
        "cabinet comptable",
        "cabinet@fiducia-expertise.fr",
        COMPANY_A,
        (MemberRole.DECLARATION, MemberRole.BILLING),
    ),
    Persona("personnel", "secretariat@spsti-demo.fr", staff_roles=tuple(StaffRole)),
    # Staff acting for company A (« Changer d'adhérent »): the company's pages as staff see them.
    Persona("personnel pour l'entreprise", "secretariat@spsti-demo.fr", COMPANY_A, staff_roles=tuple(StaffRole)),
]
# Forms the fuzzer leaves alone: those that would end the persona's own session or remove someone's access, and
# the password and second-factor checks (a wrong value there counts towards the account's lockout, which would lock
# the persona out; their inputs are covered by the boundary's and the redirect tests). Everything else is
# submitted, including the forms that create, change or cancel.
SKIPPED_ACTIONS = re.compile(
    r"/deconnexion|/connexion|/compte/(sessions|verification|mot-de-passe|double-authentification)"
    r"|/sessions/fin|/retirer|/revoquer|/supprimer-acces|/equipe/.+/(retrait|supprimer)"
)
NOT_PAGES = re.compile(r"^/(api|internal|static|healthz|metrics)/|/deconnexion")
MAX_PAGES = 700
# Instances of one page template (ids replaced) opened beyond the persona's own company: enough to meet the code.
PER_TEMPLATE = 4
TEXT_INPUTS = {"text", "search", "email", "tel", "url", "password", "number", "date", "month", "time", ""}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# Free-text columns poisoned in place: what a name, an address or a label may hold once it escaped the boundary.
POISONED_COLUMNS = {
    "identity": {"user_account": ["display_name", "job_title"], "member_directory": ["name"]},
    "members": {
        "member": ["name", "activity", "address_line1", "address_line2", "city"],
        "address": ["line1", "line2", "city"],
        "contact": ["name", "function"],
        "centre": ["name", "line1"],
        "health_team": ["doctor", "secretary", "preventer", "nurse"],
        "document": ["title", "filename", "uploaded_by_name"],
        "sepa_mandate": ["holder"],
        "change_request": ["requested_by_name", "decided_by_name", "reason"],
    },
    "workforce": {
        "employee": ["last_name", "birth_name", "first_names", "post", "comment", "convocation_constraints"],
        "member_directory": ["name"],
        "employee_history": ["post", "recorded_by"],
        "employee_import": ["file_name"],
        "headcount_declaration": ["justification_si", "justification_sia", "justification_sir"],
    },
    "scheduling": {
        "member_directory": ["name", "address_line1", "city", "centre_name", "convocation_contact"],
        "employee_directory": ["last_name", "first_names", "post"],
        "appointment": ["place_name", "place_address"],
        "slot": ["centre_name", "centre_address", "professional_name"],
        "visit_request": ["constraints", "comment"],
        "document": ["title"],
        "convocation_address": ["line1", "city"],
    },
    "billing": {
        "billing_customer": ["name", "address_line1", "address_line2", "city"],
        "invoice_line": ["label"],
        "ledger_entry": ["label"],
        "payment": ["reference"],
    },
}
# What is appended to each poisoned value (a text column cannot hold a lone surrogate or a NUL in PostgreSQL:
# those go into the JSON of a pending change, as in the testers' finding).
POISON = "\u202e\x07\x1b[31m\u2066"
SURROGATE_CONTACT = (
    '{"kind": "responsable_rh", "name": "a\\ud800b", "function": "G\\u00e9rant\\u0000", '
    '"email": "rh@boulangerie-martin.fr", "phone": null, "mobile": null}'
)


# --- reading pages -------------------------------------------------------------------------------------------------


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, input type, value)

    def key(self) -> str:
        names = ",".join(sorted({name for name, _, _ in self.fields}))
        return f"{self.method} {template(self.action)} [{names}]"


class PageReader(HTMLParser):
    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        elif tag == "form":
            self._form = Form(
                self.url, urljoin(self.url, a.get("action") or self.url), (a.get("method") or "get").upper()
            )
            self.forms.append(self._form)
        elif self._form is not None and tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind not in {"submit", "button", "file", "image", "reset"}:
                self._form.fields.append((a["name"], kind, a.get("value", "")))
        elif self._form is not None and tag == "button" and a.get("name"):
            self._form.fields.append((a["name"], "button", a.get("value", "")))
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
        elif self._form is not None and tag == "option" and self._select is not None:
            self._form.fields.append((self._select, "select", a.get("value", "")))
            self._select = None  # the first option stands for the choice
        elif self._form is not None and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form.fields.append((a["name"], "textarea", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def template(url: str) -> str:
    path = urlsplit(url).path
    return re.sub(r"/\d+(?=/|$)", "/{n}", UUID.sub("{id}", path))


def local(url: str, base: str) -> str | None:
    """The path and query of a link of the portal, or None."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or f"{parts.scheme}://{parts.netloc}" != base:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return None if NOT_PAGES.search(parts.path) else path


# --- the checks every answer passes --------------------------------------------------------------------------------


@dataclass
class Findings:
    answers: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def check(self, who: str, method: str, path: str, answer) -> None:  # type: ignore[no-untyped-def]
        self.answers[answer.status_code] += 1
        if answer.status_code >= 500:
            self.problems.append(f"{who}: {method} {path[:120]} → {answer.status_code}")
            return
        if 400 <= answer.status_code < 500 and "html" in answer.headers.get("Content-Type", ""):
            shown = answer.text
            english = [phrase for phrase in ENGLISH if phrase in shown]
            if english or 'lang="fr"' not in shown:
                self.problems.append(f"{who}: {method} {path[:120]} → {answer.status_code} not in French {english}")


@dataclass
class Crawl:
    pages: dict[str, int] = field(default_factory=dict)  # path → status
    forms: dict[str, Form] = field(default_factory=dict)  # one form per key


def seeds(stack: Stack, persona: Persona) -> list[str]:
    """Where a crawl starts besides the home page: every page route of the five services that needs no id but the
    company's (staff: the /gestion/ pages and staff's view of company A; members: every other page), so that no
    page depends on a link to be opened."""
    found = ["/", "/compte"]
    for app in stack.apps.values():
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or not set(rule.arguments) <= {"member_id"}:
                continue
            path = re.sub(r"<[^>]*member_id>", COMPANY_A, rule.rule)
            if NOT_PAGES.search(path) or path.startswith("/connexion") or path.endswith("/"):
                continue
            if path.startswith("/gestion/") == (bool(persona.staff_roles) and persona.member_id is None):
                found.append(path)
    return found


def crawl(browser: Browser, findings: Findings, own_ids: set[str], stack: Stack) -> Crawl:
    """Every page reachable from the home page, the navigation and `seeds` (redirects followed), forms collected."""
    done = Crawl()
    queue = seeds(stack, browser.persona)
    per_template: Counter[str] = Counter()
    who = browser.persona.name
    while queue and len(done.pages) < MAX_PAGES:
        path = queue.pop(0)
        if path in done.pages:
            continue
        ids = set(UUID.findall(path))
        if not ids & own_ids:
            per_template[template(path)] += 1
            if per_template[template(path)] > PER_TEMPLATE:
                continue
        answer = browser.request("GET", path)
        done.pages[path] = answer.status_code
        findings.check(who, "GET", path, answer)
        if answer.is_redirect:
            found = local(urljoin(browser.base + path, answer.headers["Location"]), browser.base)
            if found and not found.startswith("/connexion"):
                queue.append(found)
            continue
        if "text/html" not in answer.headers.get("Content-Type", ""):
            continue
        reader = PageReader(browser.base + path)
        reader.feed(answer.text)
        for link in reader.links:
            found = local(link, browser.base)
            if found and found not in done.pages:
                queue.append(found)
        for form in reader.forms:
            done.forms.setdefault(form.key(), form)
    return done


def submit(browser: Browser, form: Form, hostile: str) -> tuple[str, object]:
    """The form as its page holds it, every text field holding `hostile`, with the session's CSRF token."""
    values: list[tuple[str, str]] = []
    for name, kind, value in form.fields:
        if name == "csrf_token":
            values.append((name, browser.token))
        elif kind in TEXT_INPUTS or kind == "textarea":
            values.append((name, hostile))
        else:
            values.append((name, value))
    path = local(form.action, browser.base) or "/"
    body = urlencode(values, encoding="utf-8", errors="surrogatepass")
    if form.method == "GET":
        target = (
            urlsplit(path).path + "?" + urlencode([*parse_qsl(urlsplit(path).query), *values], errors="surrogatepass")
        )
        return target, browser.request("GET", target)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return path, browser.request("POST", path, data=body.encode("ascii"), headers=headers)


# --- the stack ---------------------------------------------------------------------------------------------------


@dataclass
class Portal:
    stack: Stack
    log: Path
    log_start: int


@pytest.fixture(scope="module")
def portal(portal_env) -> Iterator[Portal]:
    with running_portal(portal_env, "hostile") as stack:
        log = Path(stack.env["PORTAL_DATA_DIR"]) / "portal.log"
        yield Portal(stack, log, log.stat().st_size)


@pytest.fixture(scope="module")
def poisoned(portal) -> Counter[str]:
    """The values written straight into the tables, counted per `service.table.column`."""
    return poison(portal.stack)


def signed_in(portal: Portal, persona: Persona) -> Browser:
    browser = Browser(portal.stack, persona)
    browser.log_in()
    if persona.staff_roles and persona.member_id:
        chosen = browser.request(
            "POST", "/changer-adherent", data={"member_id": persona.member_id, "csrf_token": browser.token}
        )
        assert chosen.status_code in (302, 303), chosen.status_code
        browser.refresh_token()  # a new session for the new company, a new token
    return browser


def poison(stack: Stack) -> Counter[str]:
    """SQL straight into every service's tables, as a migration or an old version could have left them."""
    changed: Counter[str] = Counter()
    for service, tables in POISONED_COLUMNS.items():
        with psycopg.connect(stack.database(service), autocommit=True) as conn:
            for table, columns in tables.items():
                for column in columns:
                    length = conn.execute(
                        "SELECT character_maximum_length FROM information_schema.columns "
                        "WHERE table_name = %s AND column_name = %s",
                        (table, column),
                    ).fetchone()
                    assert length is not None, f"{service}.{table}.{column} does not exist"
                    keep = (length[0] or 10_000) - len(POISON)
                    rows = conn.execute(
                        f'UPDATE "{table}" SET "{column}" = left("{column}", %s) || %s '  # table and column names come from POISONED_COLUMNS
                        f'WHERE "{column}" IS NOT NULL AND "{column}" <> \'\'',
                        (keep, POISON),
                    ).rowcount
                    changed[f"{service}.{table}.{column}"] += rows
        if service == "members":
            with psycopg.connect(stack.database(service), autocommit=True) as conn:
                conn.execute(
                    "INSERT INTO change_request (id, member_id, kind, action, target_id, before, after, status, "
                    "requested_by, requested_by_name, requested_by_staff, requested_at) VALUES (gen_random_uuid()::text,"
                    " %s, 'contact', 'create', NULL, '{}'::json, %s::json, 'pending', 'demo', 'Paul Martin', false, "
                    "now())",
                    (COMPANY_A, SURROGATE_CONTACT),
                )
                changed["members.change_request.after (lone surrogate, NUL)"] += 1
    return changed


def own_ids(stack: Stack) -> set[str]:
    """Company A's ids in every service: its pages are all opened, whatever their number."""
    ids = {COMPANY_A}
    for service, query in (
        ("workforce", "SELECT id FROM employee WHERE member_id = %s"),
        ("scheduling", "SELECT id FROM appointment WHERE member_id = %s"),
        ("billing", "SELECT id FROM invoice WHERE member_id = %s"),
        ("members", "SELECT id FROM change_request WHERE member_id = %s"),
    ):
        with psycopg.connect(stack.database(service)) as conn:
            ids |= {row[0] for row in conn.execute(query, (COMPANY_A,))}
    return ids


def _report(title: str, lines: list[str]) -> None:
    print(f"\n{title}", *lines, sep="\n  ", flush=True)


# --- the tests -----------------------------------------------------------------------------------------------------


def test_every_page_survives_stored_values_the_boundary_refuses(portal, poisoned) -> None:
    assert poisoned["members.change_request.after (lone surrogate, NUL)"] == 1
    assert poisoned["members.member.name"] >= 3 and poisoned["workforce.employee.last_name"] >= 40
    _report("values poisoned in place", [f"{name}: {count}" for name, count in sorted(poisoned.items()) if count])
    findings = Findings()
    ids = own_ids(portal.stack)
    covered = 0
    for persona in PERSONAS:
        done = crawl(signed_in(portal, persona), findings, ids, portal.stack)
        covered += len(done.pages)
        _report(
            f"{persona.name}: {len(done.pages)} pages opened",
            [f"{status} {path}" for path, status in done.pages.items()],
        )
    assert covered > 150, covered
    assert not findings.problems, "\n".join(findings.problems)
    # The testers' own paths: the company's record and history, staff's view of it and the validation queue.
    staff = signed_in(portal, PERSONAS[2])
    admin = signed_in(portal, PERSONAS[0])
    for browser, path in (
        (admin, "/adherent"),
        (admin, "/adherent/historique"),
        (staff, f"/gestion/adherents/{COMPANY_A}"),
        (staff, "/gestion/adherents/demandes"),
    ):
        answer = browser.request("GET", path)
        assert answer.status_code == 200, (path, answer.status_code)


def test_every_form_each_persona_reaches_survives_hostile_values_and_every_page_opens_after(portal) -> None:
    findings = Findings()
    ids = own_ids(portal.stack)
    covered_forms: list[str] = []
    relogins: list[str] = []
    reopened = 0
    for persona in PERSONAS:
        browser = signed_in(portal, persona)
        before = crawl(browser, findings, ids, portal.stack)
        for key, form in before.forms.items():
            if SKIPPED_ACTIONS.search(urlsplit(form.action).path):
                continue
            covered_forms.append(f"{persona.name}: {key} (from {urlsplit(form.page).path})")
            browser.refresh_token()  # the previous form may have opened a new session (a change of company)
            for hostile in HOSTILE_TEXT:
                path, answer = submit(browser, form, hostile)
                findings.check(persona.name, form.method, path, answer)
                if answer.is_redirect and answer.headers.get("Location", "").startswith("/connexion"):
                    relogins.append(f"{persona.name}: {key} → {answer.headers['Location']}")
                    browser = signed_in(portal, persona)  # the form ended the session: sign in again, go on
                    break
        reopened += len(crawl(signed_in(portal, persona), findings, ids, portal.stack).pages)
    _report(f"{len(covered_forms)} forms submitted with {len(HOSTILE_TEXT)} hostile values each", covered_forms)
    _report("answers", [f"{status}: {count}" for status, count in sorted(findings.answers.items())])
    print(f"\n{reopened} pages opened again after the fuzzing; sessions ended by {relogins}", flush=True)
    assert len(covered_forms) > 30 and reopened > 150
    assert not findings.problems, "\n".join(findings.problems)


@pytest.mark.parametrize("service", ["identity", "members", "workforce", "scheduling", "billing"])
def test_the_repair_command_lists_then_repairs_each_services_stored_values(portal, service) -> None:
    poisoned = poison(portal.stack)  # again: the fuzzer has changed (and repaired) some of the earlier values
    env = dict(portal.stack.env)

    def run(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "portal_common.repair", "--service", service, command],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )

    listed = run("list")
    assert listed.returncode == 1, listed.stderr
    assert POISON not in listed.stdout and "Dupont" not in listed.stdout
    lines = listed.stdout.splitlines()
    for name, count in poisoned.items():
        place, _, column = name.partition(" ")[0].rpartition(".")
        if count and place.startswith(f"{service}."):
            table = place.split(".", 1)[1]
            assert sum(line.startswith(f"{table}\t{column}\t") for line in lines) >= count, (name, listed.stdout)
    repaired = run("repair")
    assert repaired.returncode == 0 and " 0 left" in repaired.stdout, repaired.stdout + repaired.stderr
    again = run("list")
    assert again.returncode == 0, again.stdout + again.stderr


def test_an_address_too_long_for_the_gateway_is_refused_with_a_french_page(portal) -> None:
    browser = signed_in(portal, PERSONAS[0])
    answer = browser.request("GET", "/salaries?q=" + "A" * 20_000)
    assert answer.status_code == 414 and 'lang="fr"' in answer.text and "Demande trop longue" in answer.text


def test_no_process_logged_a_traceback_or_an_error_meanwhile(portal) -> None:
    with portal.log.open("rb") as log:
        log.seek(portal.log_start)
        written = log.read().decode("utf-8", "replace")
    bad = [
        line for line in written.splitlines() if "Traceback" in line or '"level": "ERROR"' in line or " ERROR " in line
    ]
    assert not bad, "\n".join(bad[:20])
