"""N identical requests at once through the real nginx gateway, for every state-changing route of the five services,
and pairs of conflicting ones (docs/architecture.md, "Concurrency and retries"; docs/security.md AZ-01).

The whole portal runs once per engine (PostgreSQL, and the embedded SQLite default `make run` starts), with the
access matrix's personas signed in through the gateway. The routes come from the services' URL maps (a new route
is fired or fails the suite); `/internal/` routes are never routed by the gateway and are left out. For each route
a persona its access rule admits sends the same request BURST times at once (its own session, the same
`Idempotency-Key` header on the API or the same one-time `form_token` on a page form) with a valid body: on the
API one built from the operation's OpenAPI request schema, on a page the page's own form filled in
(`example_bodies.py`). Then: no 5xx; every answer in the allowed set; an API refusal is flask-smorest's JSON with
`code` (the status), a stable `reason` and a French message, a refused page is in French; no event written twice
for the one action; and, except where N requests rightly make N effects (EFFECT_PER_REQUEST, with the reason),
exactly one effect: no table of the route's service gains more than one row, a creation answered 201 gains one,
and every success names the same resource. Each route is printed with its persona, statuses and effects, and the
skip list with its reasons. The conflicting pairs (approve/reject, realised/absent, two edits with one If-Match,
two late confirmations) let exactly one win and answer the other 409/412 in French with its `reason`.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import importlib
import json
import re
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
import requests
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import base64_decode

from portal_common import clock
from portal_common.roles import MemberRole
from portal_common.testing.identities import identity
from portal_common.validators import luhn_ok
from portal_stack.demo_data import DEMO_PASSWORD
from tests.integration.example_bodies import (
    BY_NAME,
    FUTURE_DAY,
    PDF,
    TODAY,
    example,
    form_data,
    openapi_path,
    page_form,
    request_schema,
)
from tests.integration.portal_personas import (
    COMPANY_A,
    COMPANY_B,
    SERVICE_NAMES,
    Browser,
    Persona,
    Stack,
    add_accounts,
    personas,
    running_portal,
    seed_company_a,
)
from tests.integration.test_access_matrix import SESSION_ENDERS, WRITE_METHODS, Route, routes_of

pytestmark = pytest.mark.integration

ENGINES = ("postgresql", "sqlite")
BURST = 4
# Who fires a route: the first of these its rule admits (staff on company A first: it may act on A's rows).
FIRERS = ("personnel sur A", "A:administrateur", "personnel:administration", "personnel:billing", "cabinet comptable")
SIGNED_IN = {*FIRERS, "personnel:secretariat", "anonyme"}
API_ALLOWED = {200, 201, 202, 204, 403, 404, 409, 412, 422, 428}
# A page form answers with the page again (200), a redirect after the post (302/303) or a refusal page in French;
# besides the API's refusals a page may answer 401 (a wrong password: the sign-in and the step-up) and 400 (what no
# form of the portal sends: an expired one-time link, a decision without its button, an unsigned notification).
PAGE_ALLOWED = API_ALLOWED | {302, 303, 400, 401}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FRENCH_MARKS = re.compile(
    r"[éèêàçôûî]|\b(?:de|du|des|la|le|les|un|une|est|pas|Champ|obligatoire|introuvable|Indiquez|Choisissez)\b"
)
# Bookkeeping of the request itself, not an effect of the action (one row per key, whatever the key's fate).
NOT_EFFECTS = {"idempotency_key", "outbox", "inbox", "alembic_version"}

# Routes not fired, and why (printed with the report).
SKIPPED: dict[tuple[str, str], str] = {
    ("POST", "/deconnexion"): "ends the firing persona's session; logout is proved by test_gateway_sessions.py",
}
# Answers read by a machine, not a person: refused in their own protocol, not in French.
MACHINE_ANSWERS = {
    "/paiement-carte/notification": "the card provider's signed callback: a JSON acknowledgement of its protocol",
}
# Where N identical requests rightly make N effects even under one key: the answer is never kept (it opens or
# moves a session, or shows a secret once) or each request is its own logged act (docs/architecture.md).
SESSION = "opens, switches or ends the session it carries: its answer sets a cookie and is never kept"
SECRET = "its answer shows a secret once and is never kept: a second submission runs again"
EFFECT_PER_REQUEST: dict[str, str] = {
    "/connexion": SESSION,
    "/connexion/code/saisie": SESSION,
    "/connexion/double-authentification": SESSION,
    "/connexion/double-authentification/activation": SESSION,
    "/compte/verification": SESSION,
    "/changer-adherent": SESSION,
    "/compte/sessions/<session_id>/fin": SESSION,
    "/compte/sessions/autres/fin": SESSION,
    "/compte/mot-de-passe": SESSION,
    "/portefeuille/ouvrir": SESSION,
    "/portefeuille/declarer": SESSION,
    "/compte/jetons-api": SECRET,
    "/compte/double-authentification/codes": SECRET,
    "/api/workforce/employees/search": "each NIR search is logged and counted against the daily cap",
    "/salaries/recherche": "each NIR search is logged and counted against the daily cap",
    "/salaries/<employee_id>/numero-securite-sociale": "each NIR reveal is logged and counted against the daily cap",
    "/api/identity/users/<user_id>/sessions": (
        "a DELETE carries no Idempotency-Key: each call is the administrator's own act in the security log; "
        "the sessions end once"
    ),
    "/connexion/nouvelle-adresse-e-mail/<token>": (
        "a one-time link whose success is never kept (it signs the user in: a cookie), so the other clicks run: "
        "each use of the spent link is logged as a failure; the address changes once"
    ),
}


# Routes whose burst cannot get one valid success through the gateway, and why (printed with the report): every
# other fired route must have one, so that « exactly the allowed effects » is proved on its success path too.
NO_SUCCESS: dict[str, str] = {
    "/connexion/nouveau-mot-de-passe/<token>": (
        "its link is mailed only by « Mot de passe oublié », whose captcha a program is not meant to read"
    ),
    "/connexion/mot-de-passe-oublie": "guarded by an image captcha, which a program is not meant to read",
    "/connexion/mot-de-passe-oublie/envoi": (
        "its form is shown only once the captcha of /connexion/mot-de-passe-oublie is solved (a signed step)"
    ),
    "/connexion/double-authentification/activation": (
        "reached only by a password sign-in of an account that must enrol a second factor: the local stack, as "
        "`make run` starts it, turns that rule off (IDENTITY_MFA_MANDATORY=false)"
    ),
    "/paiement-carte/notification": (
        "the card provider's callback, signed with the provider's key: only the provider sends a valid one"
    ),
}


# Routes whose success is not arranged yet: what is missing, so that a gap is printed, not hidden (empty now).
NOT_ARRANGED_YET: dict[str, str] = {}


# Tables one action rightly fills with a second row, and why (printed with the report): at most two rows.
SECOND_ROW: dict[str, dict[str, str]] = {
    "/connexion/activation/<token>": {
        "security_event": "the account activated and the company it was invited to linked (its own log line)",
    },
    "/compte/entreprises/ajouter": {
        "security_event": (
            "the company's codes checked (logged as a sign-in is, identity.team.use_cases.check_company_codes) and "
            "the company added to the account (its own log line)"
        ),
    },
    "/api/billing/invoices": {
        "ledger_entry": (
            "the invoice's debit and, when the member holds a credit, its « Compensation avoir » offset "
            "(billing.ledger.use_cases.compensation_row), booked in the same transaction"
        ),
    },
}
# Tables one action fills with several rows: one per recipient (the campaign's opening mails every company), the
# ten recovery codes an enrolment makes, a DSN's preview.
FAN_OUT: dict[str, set[str]] = {
    # A DSN's preview holds a row per employee of the establishment, in the file or absent from it.
    "/salaries/dsn": {"employee_import_row"},
    "/api/workforce/dsn-imports": {"employee_import_row"},
    "/compte/double-authentification/activation": {"mfa_recovery_code"},
    "/api/workforce/campaigns": {"mail_outbox"},
    "/gestion/salaries/campagnes": {"mail_outbox"},
    # One removal logs each client delegation it takes back, then the removal itself (identity's firms use case).
    "/portefeuille/collaborateurs/<user_id>/retirer": {"security_event"},
}


@dataclass(frozen=True)
class Shot:
    route: Route
    persona: str
    body: str  # where the body came from
    statuses: tuple[int, ...]
    effects: int  # the most rows one table gained, or events of one type and subject
    note: str  # the first refusal's reason or field errors
    succeeded: bool  # at least one answer was a success (`succeeded`)


def tomorrow_plus(days: int) -> str:
    return (clock.today() + datetime.timedelta(days=days)).isoformat()


def employee_of_a(stack: Stack) -> str | None:
    return stack.first("scheduling", "SELECT employee_id FROM employee_directory WHERE member_id = %s", COMPANY_A)


def stored_identity(stack: Stack, path: str) -> dict[str, Any]:
    """The sex, birth date and birthplace of the employee the path names, which its stored NIR agrees with."""
    [(sex, born, commune, country)] = stack.rows(
        "workforce",
        "SELECT sex, birth_date, birth_commune, birth_country FROM employee WHERE id = %s",
        UUID.search(path).group(0),  # type: ignore[union-attr]
    )
    return {"sex": sex, "birth_date": str(born)[:10], "birth_commune": commune, "birth_country": country}


def new_person() -> dict[str, Any]:
    """A coherent civil status whose NIR no employee holds (its register order drawn at random)."""
    person = identity("M", datetime.date(1990, 5, 17), order=int(uuid.uuid4().int % 999) + 1)
    return {k: v for k, v in person.items() if v is not None} | {"last_name": "Nouveau"}


def new_siret() -> str:
    """A SIRET with its Luhn keys no member has."""
    while True:
        digits = f"{uuid.uuid4().int % 10**13:013d}"
        siren = next(digits[:8] + str(k) for k in range(10) if luhn_ok(digits[:8] + str(k)))
        siret = next((siren + digits[9:13] + str(k) for k in range(10) if luhn_ok(siren + digits[9:13] + str(k))), "")
        if siret:
            return siret


def appointment_version(stack: Stack, path: str) -> int:
    appointment_id = UUID.search(path).group(0)  # type: ignore[union-attr]
    return int(stack.first("scheduling", "SELECT version FROM appointment WHERE id = %s", appointment_id) or 1)


def open_request_of_a(stack: Stack) -> str | None:
    return stack.first(
        "scheduling", "SELECT id FROM visit_request WHERE member_id = %s AND status = 'demandee'", COMPANY_A
    )


# Property values that must name seeded rows or fit the route's own rule (the schema gives the rest).
Values = Callable[[Stack, Route], dict[str, Any]]
ROUTE_VALUES: dict[str, Values] = {
    # A hire and a correction are refused when the NIR contradicts the civil status beside it: the example NIR
    # (285081416802523) is a woman born in August 1985 in Colombières (14168); a correction keeps the stored one.
    "/api/workforce/employees": lambda stack, route: {"birth_commune": "14168"},
    "/api/workforce/employees/<string:employee_id>": lambda stack, route: {
        **stored_identity(stack, route.path),
        "nir": "",
    },
    # The page's form shows the stored civil status; the NIR field is left empty (the stored one is kept).
    "/salaries/<employee_id>/modifier": lambda stack, route: {"nir": ""},
    # The API's hire (fired before) took the example NIR: the page hires someone else.
    "/salaries/nouveau": lambda stack, route: new_person(),
    "/api/scheduling/requests": lambda stack, route: {"employee_id": employee_of_a(stack)},
    "/api/scheduling/appointments": lambda stack, route: {
        "member_id": COMPANY_A,
        "employee_id": employee_of_a(stack),
        "place": {"name": "Centre de Mulhouse", "address": "5 avenue Kennedy, 68100 Mulhouse"},
        "starts_at": f"{FUTURE_DAY.isoformat()}T10:00:00+00:00",
    },
    "/api/scheduling/slots": lambda stack, route: {
        "centre": {"name": "Centre de Colmar", "address": "3 rue Vauban, 68000 Colmar"},
    },
    "/api/scheduling/slots/<string:slot_id>/placements": lambda stack, route: {"request_id": open_request_of_a(stack)},
    "/api/scheduling/appointments/<string:appointment_id>/cancellation": lambda stack, route: {
        "reason_code": "salarie_absent",  # a reason of both lists (the firing persona is staff)
    },
    "/api/scheduling/appointments/<string:appointment_id>/outcome": lambda stack, route: {
        "status": "absent_non_excuse"
    },
    "/api/scheduling/appointments/<string:appointment_id>/outcome-correction": lambda stack, route: {
        "status": "absent_excuse",
        "reason": "Justificatif d'absence reçu",
        "version": appointment_version(stack, route.path),
    },
    "/api/members/members": lambda stack, route: {"name": "Entreprise concurrente", "siret": new_siret()},
    # A situation that leaves company A active and debited: the routes fired after it still act on a live company
    # (a sale of the business in a year, after 1 January of every campaign year the suite declares in: the company
    # has not ceased by then; receivership would stop its SEPA debits).
    "/api/members/members/<string:member_id>/situation-changes": lambda stack, route: {
        "kind": "cession_fonds",
        "effective_date": tomorrow_plus(360),
    },
    # Another kind than the API's (fired before) and the seed's, whose identical request waits for staff.
    "/adherent/situation": lambda stack, route: {"kind": "plus_de_salarie"},
    "/gestion/rendez-vous/creneaux": lambda stack, route: {"day": working_day(60).isoformat()},
    # A sign-in of the spare user nobody else logs in as, and the firing persona's own password for the step-up.
    "/connexion": lambda stack, route: {"identifier": "remplacable@boulangerie-martin.fr", "password": DEMO_PASSWORD},
    "/compte/utilisateurs/inviter": lambda stack, route: {"email": f"invitee-{uuid.uuid4().hex[:8]}@example.org"},
    "/portefeuille/collaborateurs": lambda stack, route: {"email": f"collab-{uuid.uuid4().hex[:8]}@example.org"},
    # The invoice's remaining amount, not the total cancellation beside it.
    "/gestion/factures/<string:invoice_id>/avoirs": lambda stack, route: {"cancel_all": ""},
    "/gestion/adherents": lambda stack, route: {"siret": "40483304800006"},  # not the API's registration
    "/api/members/members/<string:member_id>/contacts": lambda stack, route: {"kind": "responsable_rh"},
    # Optional in the schema, asked by the rule: the requester reads why.
    "/api/members/change-requests/<string:request_id>/reject": lambda stack, route: {"reason": "Adresse non reconnue"},
    "/api/members/members/<string:member_id>/addresses": lambda stack, route: {"kind": "facturation"},
    "/api/workforce/imports": lambda stack, route: {
        "content_base64": "Tm9tO1Byw6lub20KRFVQT05UO0plYW4K",  # "Nom;Prénom\nDUPONT;Jean\n"
    },
    "/api/workforce/campaigns": lambda stack, route: {"year": free_year(stack)},
    "/gestion/salaries/campagnes": lambda stack, route: campaign_form(free_year(stack)),
    # A no-show fee: company A already has this year's annual fee (one per year).
    "/api/billing/invoices": lambda stack, route: {
        "member_id": COMPANY_A,
        "kind": "absence",
        "lines": [{"label": "Absence non excusée", "quantity": 1, "unit_price": 60}],
    },
    "/api/billing/invoices/<string:invoice_id>/credit-notes": lambda stack, route: {"amount_excl_tax": 1},
    "/api/billing/tariffs/<int(min=2000, max=2100):year>": lambda stack, route: {
        "per_capita_fee": 95,
        "entry_fee": 30,
        "minimum_fee": 60,
        "late_hire_fee": 25,
        "no_show_fee": 60,
    },
    "/gestion/rendez-vous/<string:appointment_id>/correction-presence": lambda stack, route: {
        "status": "realisee",
        "reason": "Présent : feuille d'émargement signée",
        "version": str(appointment_version(stack, route.path)),
    },
}


# Rows in the state the route acts on, read when it is fired (the burst before it may have changed the first ones):
# (service, path parameter) → query on company A; a route whose pattern holds one of the markers gets it.
LIVE_ROWS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("workforce", "employee_id"): (
        ("/exit", "/sortie", "/post-changes", "/nouveau-poste", "/modifier"),
        "SELECT id FROM employee WHERE member_id = %s AND exit_date IS NULL ORDER BY id",
    ),
    ("scheduling", "appointment_id"): (
        ("/cancellation", "/annulation"),
        "SELECT id FROM appointment WHERE member_id = %s AND status IN ('convoquee', 'planifiee') ORDER BY starts_at DESC",
    ),
    ("scheduling", "request_id"): (
        ("/withdrawal", "/closure", "/retrait", "/cloture"),
        "SELECT id FROM visit_request WHERE member_id = %s AND status = 'demandee' ORDER BY id",
    ),
}


def live_path(stack: Stack, route: Route) -> Route:
    """The route with its path naming a row in the state it acts on, where LIVE_ROWS has one."""
    segments, pattern = route.path.split("/"), route.pattern.split("/")
    for (service, name), (markers, query) in LIVE_ROWS.items():
        if service != route.service or not any(route.pattern.endswith(marker) for marker in markers):
            continue
        for index, part in enumerate(pattern):
            if re.fullmatch(rf"<(?:[a-z]+:)?{name}>", part) and (row := stack.first(service, query, COMPANY_A)):
                segments[index] = row
    return dataclasses.replace(route, path="/".join(segments))


FLASH_COOKIES = ("portal_flash", "__Host-portal_flash")


def flashed(answer: requests.Response) -> list[tuple[str, str]]:
    """The (category, message) pairs a page flashed for the next one: Flask's signed cookie, read unsigned (only
    the test reads it; the portal checks the signature)."""
    value = next((answer.cookies[name] for name in FLASH_COOKIES if name in answer.cookies), "")
    if not value:
        return []
    compressed = value.startswith(".")
    payload = base64_decode(value.removeprefix(".").split(".")[0])
    session = TaggedJSONSerializer().loads(zlib.decompress(payload) if compressed else payload)
    return [tuple(entry) for entry in session.get("_flashes", [])]


def succeeded(answer: requests.Response) -> bool:
    """A success: a 2xx that is not a form shown again with its field errors, or a redirect after the post that
    neither sends to the login page nor carries a flashed error."""
    status = answer.status_code
    if 200 <= status < 300:
        return not FIELD_ERROR.search(answer.text)
    if status in (302, 303):
        target = urlsplit(answer.headers.get("Location", ""))
        login = target.path == "/connexion" and "next=" in target.query
        step_up = target.path == "/compte/verification" or "reauthentification=" in target.query
        return not (login or step_up) and all(category != "error" for category, _ in flashed(answer))
    return False


# --- rows in the state a route acts on, made through the gateway just before its burst ------------------------


@dataclass
class World:
    """The running portal and its signed-in personas, for the makers below."""

    stack: Stack
    browsers: dict[str, Browser]
    smtp: Any = None  # the test SMTP server every mail of the stack goes to
    made: Counter[str] = dataclasses.field(default_factory=Counter)  # how many of each kind were made
    secrets: dict[str, str] = dataclasses.field(default_factory=dict)  # persona → its TOTP secret

    def call(self, persona: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request as the persona; a page form gets its session's CSRF token."""
        browser = self.browsers[persona]
        if "data" in kwargs:
            kwargs["data"] = {**kwargs["data"], "csrf_token": browser.token}
        answer = browser.request(method, path, **kwargs)
        assert answer.status_code < 400, f"{persona} {method} {path}: {answer.status_code} {answer.text[:300]}"
        return answer

    def next(self, kind: str) -> int:
        self.made[kind] += 1
        return self.made[kind]


@dataclass(frozen=True)
class Ready:
    """What a maker arranged: path parameters naming its rows, and body values they call for."""

    params: dict[str, str]
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    firer: str | None = None  # the persona that fires the burst, when the maker signed in one of its own


OFFICE, ADMIN, BILLING = "personnel sur A", "A:administrateur", "personnel:administration"
PLACE = {"name": "Centre de Mulhouse", "address": "5 avenue Kennedy, 68100 Mulhouse"}


def working_day(n: int) -> datetime.date:
    """The n-th Tuesday or Thursday after FUTURE_DAY: a working day no other row of the suite uses."""
    days = [FUTURE_DAY + datetime.timedelta(days=d) for d in range(7, 7 + 7 * (n // 2 + 2))]
    return [d for d in days if d.weekday() in (1, 3)][n]


def new_slot(world: World) -> str:
    day = working_day(world.next("slot"))
    answer = world.call(
        OFFICE,
        "POST",
        "/api/scheduling/slots",
        json={
            "centre": PLACE,
            "professional_kind": "medecin",
            "professional_name": "Anne Schmitt",
            "starts_at": f"{day.isoformat()}T08:00:00+00:00",
            "duration_minutes": 30,
        },
    )
    return str(answer.json()["id"])


def booked_slot(world: World) -> tuple[str, int, datetime.date]:
    """A slot holding one convoked visit of company A, the version it is read at, and a day no other row of the
    suite uses: moving the slot there re-convokes the visit (one document, one e-mail, one rescheduled event)."""
    slot_id = new_slot(world)
    world.call(OFFICE, "POST", f"/api/scheduling/slots/{slot_id}/placements", json={"request_id": new_request(world)})
    [(version,)] = world.stack.rows("scheduling", "SELECT version FROM slot WHERE id = %s", slot_id)
    return slot_id, int(version), working_day(world.next("slot"))


def slot_moved_by_api(world: World) -> Ready:
    slot_id, version, day = booked_slot(world)
    return Ready(
        {"slot_id": slot_id},
        {
            "starts_at": f"{day.isoformat()}T13:00:00+00:00",
            "reason": "Le médecin consulte le jeudi",
            "version": version,
        },
    )


def slot_moved_by_page(world: World) -> Ready:
    slot_id, _version, day = booked_slot(world)  # the page's form carries the version it shows
    return Ready(
        {"slot_id": slot_id}, {"day": day.isoformat(), "time": "14:00", "reason": "Le médecin consulte le jeudi"}
    )


def new_request(world: World) -> str:
    """An open visit request of company A: the first employee and visit type that has none open."""
    employees = [
        e
        for (e,) in world.stack.rows(
            "scheduling",
            "SELECT employee_id FROM employee_directory WHERE member_id = %s ORDER BY employee_id",
            COMPANY_A,
        )
    ]
    for visit_type in ("demande", "periodique", "reprise", "mi_carriere", "aptitude"):
        for employee in employees:
            answer = world.browsers[ADMIN].request(
                "POST", "/api/scheduling/requests", json={"employee_id": employee, "visit_type": visit_type}
            )
            if answer.status_code == 201:
                return str(answer.json()["id"])
    raise AssertionError("no employee of company A is free of an open visit request")


def new_appointment(world: World, past: bool = False) -> str:
    """A convoked visit of company A at its own time; `past`: its time has come (an outcome may be recorded)."""
    n = world.next("appointment")
    day = working_day(n)
    answer = world.call(
        OFFICE,
        "POST",
        "/api/scheduling/appointments",
        json={
            "member_id": COMPANY_A,
            "employee_id": employee_of_a(world.stack),
            "starts_at": f"{day.isoformat()}T{8 + n % 8:02d}:00:00+00:00",
            "duration_minutes": 30,
            "visit_type": "periodique",
            "place": PLACE,
            "professional_kind": "medecin",
            "status": "convoquee",
        },
    )
    appointment_id = str(answer.json()["id"])
    if past:
        move_to_yesterday(world.stack, appointment_id, day)
    return appointment_id


def move_to_yesterday(stack: Stack, appointment_id: str, day: datetime.date) -> None:
    """Time gone by: the visit was yesterday (the API refuses an outcome for a visit to come)."""
    [(starts_at,)] = stack.rows("scheduling", "SELECT starts_at FROM appointment WHERE id = %s", appointment_id)
    yesterday = clock.today() - datetime.timedelta(days=1)
    if isinstance(starts_at, str):  # SQLite keeps the text SQLAlchemy wrote
        starts_at = starts_at.replace(day.isoformat(), yesterday.isoformat())
    else:
        starts_at -= day - yesterday
    stack.execute("scheduling", "UPDATE appointment SET starts_at = %s WHERE id = %s", starts_at, appointment_id)


def missed_appointment(world: World) -> str:
    """A past visit of company A recorded « Absent non excusé »: staff may correct it to « Réalisée »."""
    appointment_id = new_appointment(world, past=True)
    world.call(
        OFFICE, "POST", f"/api/scheduling/appointments/{appointment_id}/outcome", json={"status": "absent_non_excuse"}
    )
    return appointment_id


def attended_appointment(world: World) -> str:
    appointment_id = new_appointment(world, past=True)
    world.call(OFFICE, "POST", f"/api/scheduling/appointments/{appointment_id}/outcome", json={"status": "realisee"})
    return appointment_id


IMPORT_HEADER = (
    "Nom d'usage;Nom de naissance;Prénoms;Sexe;Date de naissance;N° de sécurité sociale;Date d'embauche;"
    "Poste de travail;Code PCS-ESE;Contrat;Salarié multi-employeurs;Lieu de naissance"
)


def import_file() -> bytes:
    """An employee file as payroll software exports it (cp1252, `;`): every column a hire needs, for one person no
    employee is (the NIR drawn at random, agreeing with the civil status): one line, one hire."""
    person = new_person()
    born = datetime.date.fromisoformat(person["birth_date"]).strftime("%d/%m/%Y")
    line = (
        f"Importé;;Loïc;{person['sex']};{born};{person['nir']};01/03/2024;Boulanger;;CDI;non;{person['birth_commune']}"
    )
    return "\r\n".join((IMPORT_HEADER, line)).encode("cp1252")


def uploaded_import(world: World) -> dict[str, Any]:
    """An employee file uploaded by company A's administrator: its id and the columns the portal guessed."""
    answer = world.call(
        ADMIN,
        "POST",
        "/api/workforce/imports",
        json={"file_name": "salaries.csv", "content_base64": base64.b64encode(import_file()).decode()},
    )
    return dict(answer.json())


def new_import(world: World) -> str:
    return str(uploaded_import(world)["id"])


def mapped_import(world: World) -> str:
    """An uploaded file whose guessed columns were chosen: its lines checked, ready to confirm."""
    uploaded = uploaded_import(world)
    path = f"/api/workforce/imports/{uploaded['id']}"
    world.call(ADMIN, "PUT", f"{path}/mapping", json={"mapping": uploaded["mapping"]})
    status = world.call(ADMIN, "GET", path).json()["status"]
    assert status == "ready", f"the import is {status} once its columns are chosen"
    return str(uploaded["id"])


def import_columns(world: World) -> Ready:
    """An uploaded file and the columns form as a person leaves it: the guessed column of each field kept."""
    from workforce.imports.rules import FIELDS

    uploaded = uploaded_import(world)
    guessed = uploaded["mapping"]
    chosen = {f"col-{name}": "" if guessed.get(name) is None else str(guessed[name]) for name in FIELDS}
    return Ready({"import_id": uploaded["id"]}, chosen)


def import_mapping(world: World) -> Ready:
    uploaded = uploaded_import(world)
    return Ready({"import_id": uploaded["id"]}, {"mapping": uploaded["mapping"]})


def dsn_file(world: World) -> tuple[str, bytes, str]:
    """A monthly DSN of company A's establishment (SIREN 732829320, NIC 00074) for one person no employee is: its
    apply is one hire."""
    from bench.dsn_factory import dsn_bytes, people

    n = world.next("dsn")
    month = clock.today().replace(day=1)
    staff = people(1, first=5000 + 10 * n + int(uuid.uuid4().int % 400) * 100)
    return (f"dsn_{month:%Y_%m}_{n}.txt", dsn_bytes("732829320", "00074", month, staff), "text/plain")


def staged_dsn(world: World) -> str:
    """A DSN uploaded by company A's administrator and read by the workforce worker: its preview ready to apply."""
    name, raw, kind = dsn_file(world)
    # A browser session sends its CSRF token in a header with a multipart upload to the API (portal_common.web.csrf).
    answer = world.call(
        ADMIN,
        "POST",
        "/api/workforce/dsn-imports",
        files={"files": (name, raw, kind)},
        headers={"X-CSRF-Token": world.browsers[ADMIN].token},
    )
    import_id = str(answer.json()["id"])
    status = ""
    for _ in range(120):  # the worker reads it in the background: wait for its answer, not for a duration
        read = world.call(ADMIN, "GET", f"/api/workforce/dsn-imports/{import_id}").json()
        status = read["status"]
        if status not in ("received", "reading"):
            break
        time.sleep(0.5)
    assert status == "ready", f"the DSN import is {status}"
    return import_id


def campaigns(stack: Stack) -> dict[int, str]:
    return {
        int(year): status for year, status in stack.rows("workforce", "SELECT year, status FROM declaration_campaign")
    }


def free_year(stack: Stack, route: Route | None = None) -> int:
    """The first year a campaign may be opened for (last year to two years ahead, workforce's rule) that has none:
    a year whose 1 January has come first (its declaration is a count of that day, and the company's sale the
    suite records comes in a year)."""
    this_year = clock.today().year
    taken = campaigns(stack)
    free = [y for y in range(this_year - 1, this_year + 3) if y not in taken]
    assert free, f"every year a campaign may be opened for has one: {sorted(taken)}"
    return free[0]


def campaign_form(year: int) -> dict[str, str]:
    """« Ouvrir une campagne » for `year`, its window as the page proposes it (1–31 January of that year)."""
    return {
        "year": str(year),
        "opens_on": f"{year}-01-01",
        "closes_on": f"{year}-01-31",
        "deadline": f"{year}-01-31",
    }


def new_campaign(world: World) -> int:
    """A campaign opened for a year none has yet: company A's declaration of that year is open."""
    year = free_year(world.stack)
    world.call(BILLING, "POST", "/api/workforce/campaigns", json={"year": year})
    return year


def open_campaign(world: World) -> int:
    """The latest open campaign (the one the route before opened), else a new one."""
    opened = [year for year, status in campaigns(world.stack).items() if status == "open"]
    return max(opened) if opened else new_campaign(world)


def late_year(world: World) -> int:
    """The latest closed campaign whose declaration company A has not confirmed: a late declaration is open
    (the closing route before closed it); else the latest open campaign, closed now."""
    done = {
        int(year)
        for (year,) in world.stack.rows(
            "workforce",
            "SELECT year FROM headcount_declaration WHERE member_id = %s AND status <> 'draft'",
            COMPANY_A,
        )
    }
    closed = [year for year, status in campaigns(world.stack).items() if status == "closed" and year not in done]
    if closed:
        return max(closed)
    year = open_campaign(world)
    world.call(BILLING, "POST", f"/api/workforce/campaigns/{year}/closure")
    return year


def late_declaration(world: World) -> Ready:
    """A late declaration of company A, with the counts of its list of employees (no justification asked)."""
    year = late_year(world)
    expected = world.call(ADMIN, "GET", f"/api/workforce/declarations/{year}").json()["expected"]
    body = {part: {k: expected[part][k] for k in ("SI", "SIA", "SIR")} for part in ("headcount", "multi_employer")}
    return Ready({"year": str(year)}, body)


def new_change_request(world: World) -> str:
    answer = world.call(
        ADMIN,
        "POST",
        f"/api/members/members/{COMPANY_A}/addresses",
        json={
            "kind": "autre",
            "line1": f"{world.next('address')} rue du Moulin {uuid.uuid4().hex[:4]}",
            "postal_code": "68100",
            "city": "Mulhouse",
        },
    )
    return str(answer.json()["id"])


def new_entry(world: World, section: str) -> str:
    """A contact or an address of company A, asked by its administrator and approved by staff."""
    body = (
        {"kind": "responsable_rh", "name": f"Contact {world.next('contact')}"}
        if section == "contacts"
        else {
            "kind": "autre",
            "line1": f"{world.next('address')} rue des Fleurs",
            "postal_code": "68100",
            "city": "Mulhouse",
        }
    )
    api = "contacts" if section == "contacts" else "addresses"
    asked = world.call(ADMIN, "POST", f"/api/members/members/{COMPANY_A}/{api}", json=body).json()
    world.call(OFFICE, "POST", f"/api/members/change-requests/{asked['id']}/approve", json={})
    table = "contact" if section == "contacts" else "address"
    found = world.stack.first(
        "members", f"SELECT id FROM {table} WHERE member_id = %s ORDER BY created_at DESC", COMPANY_A
    )
    assert found
    return found


def new_invoice(world: World) -> str:
    """An unpaid no-show fee of company A."""
    answer = world.call(
        BILLING,
        "POST",
        "/api/billing/invoices",
        json={
            "member_id": COMPANY_A,
            "kind": "absence",
            "lines": [{"label": "Absence non excusée", "quantity": 1, "unit_price": 60}],
        },
    )
    return str(answer.json()["id"])


def credited_invoice(world: World) -> str:
    """An unpaid invoice of company A while the company holds a credit: another invoice paid, then credited (after
    the unpaid one is issued: an invoice issued while a credit is held takes it at once, « Compensation avoir »)."""
    unpaid = new_invoice(world)
    credit_left(world)
    return unpaid


def new_user(world: World, prefix: str, label: str, member_id: str = COMPANY_A) -> dict[str, Any]:
    """A user of company A (or `member_id`; read-only role), through identity's own account functions (as the
    personas are)."""
    from identity import demo

    n = world.next(prefix)
    user = dict(
        id=str(uuid.uuid4()),
        email=f"{prefix}-{n}-{uuid.uuid4().hex[:6]}@boulangerie-martin.fr",
        display_name=f"{label} {n}",
        password=DEMO_PASSWORD,
        links=[dict(member_id=member_id, roles=[MemberRole.READ], kind="member")],
    )
    app = world.stack.apps["identity"]
    with app.app_context():
        demo.load(app.extensions["portal"], {"users": [user]})
    app.extensions["portal"].db.dispose()
    return user


def credit_left(world: World) -> str:
    """Company A holds a credit: an invoice paid in full, then credited (its id)."""
    paid = new_invoice(world)
    world.call(
        BILLING,
        "POST",
        f"/api/billing/invoices/{paid}/payments",
        json={"amount": "72.00", "received_on": TODAY, "method": "virement"},
    )
    world.call(
        BILLING,
        "POST",
        f"/api/billing/invoices/{paid}/credit-notes",
        json={"amount_excl_tax": 10, "label": "Geste commercial"},
    )
    return paid


MANDATE = {k: BY_NAME[k] for k in ("iban", "bic", "holder", "email", "consent")}


def pending_mandate(stack: Stack) -> str | None:
    """The change request of company A's mandate signed and waiting for staff."""
    return stack.first(
        "members",
        "SELECT id FROM change_request WHERE member_id = %s AND kind = 'mandate' AND status = 'pending'",
        COMPANY_A,
    )


def active_mandate(world: World) -> None:
    """Company A's administrator signs a SEPA mandate (stepped up) and office staff validate it, as « Mandat SEPA »
    asks; a mandate already waiting is validated. Billing learns of it from members' event."""
    billing_email(world)
    request = pending_mandate(world.stack)
    if request is None:
        stepped_up(world, ADMIN)
        world.call(ADMIN, "POST", f"/api/members/members/{COMPANY_A}/sepa-mandate", json=MANDATE)
        request = pending_mandate(world.stack)
    world.call(OFFICE, "POST", f"/api/members/change-requests/{request}/approve", json={})
    reference = world.stack.first(
        "members", "SELECT reference FROM sepa_mandate WHERE member_id = %s AND status = 'active'", COMPANY_A
    )
    for _ in range(120):  # billing reads the mandate from members' event: wait for it, not for a duration
        known = world.stack.first(
            "billing",
            "SELECT mandate_reference FROM billing_customer WHERE member_id = %s AND mandate_status = 'active' "
            "AND billing_email IS NOT NULL",
            COMPANY_A,
        )
        if known == reference:
            return
        time.sleep(0.5)
    raise AssertionError(f"billing never learnt of mandate {reference}")


def billing_email(world: World) -> None:
    """Company A's billing e-mail, where the debits' pre-notice goes (the demo leaves it empty), set by office staff."""
    path = f"/api/members/members/{COMPANY_A}"
    read = world.call(OFFICE, "GET", path)
    if not read.json().get("billing_email"):
        world.call(
            OFFICE,
            "PATCH",
            path,
            json={"billing_email": BY_NAME["billing_email"]},
            headers={"If-Match": read.headers["ETag"]},
        )


def prenotified_debit(world: World) -> tuple[str, str]:
    """A debit of a new invoice of company A, planned and pre-notified on « Prélèvements SEPA »: (id, its date)."""
    active_mandate(world)
    invoice = new_invoice(world)
    world.call(BILLING, "POST", "/gestion/factures/prelevements/preparer", data={})
    found = world.stack.rows(
        "billing", "SELECT id, collection_date FROM sepa_debit WHERE invoice_id = %s AND status = 'prenotifie'", invoice
    )
    assert len(found) == 1, f"{len(found)} debits planned for the new invoice"
    [(debit, collection_date)] = found
    return str(debit), str(collection_date)[:10]


def sent_debit(world: World, due: bool = False) -> str:
    """A pre-notified debit put into a pain.008 file (« transmis »); `due`: its collection date has come."""
    debit, collection_date = prenotified_debit(world)
    world.call(BILLING, "POST", "/gestion/factures/prelevements/lots", data={"until": collection_date})
    status = world.stack.first("billing", "SELECT status FROM sepa_debit WHERE id = %s", debit)
    assert status == "transmis", f"the debit is {status} once the file is made"
    if due:  # time gone by: the bank collects it on its date
        world.stack.execute("billing", "UPDATE sepa_debit SET collection_date = %s WHERE id = %s", TODAY, debit)
    return debit


def requested_transfer(world: World) -> None:
    """A refund by transfer asked for company A's credit (to its mandate's account), waiting for the next file."""
    active_mandate(world)
    invoice = credit_left(world)
    world.call(
        BILLING,
        "POST",
        f"/gestion/factures/{invoice}/remboursement",
        data={"refund_amount": "1,00", "refund_method": "virement"},
    )


def other_employee(world: World) -> str:
    """A present employee of company A whose post started before today (a new post starts after it), the last by
    id: the API's post change takes one, the page's another."""
    found = world.stack.first(
        "workforce",
        "SELECT id FROM employee WHERE member_id = %s AND exit_date IS NULL AND hire_date < %s "
        "AND (post_since IS NULL OR post_since < %s) ORDER BY id DESC",
        COMPANY_A,
        TODAY,
        TODAY,
    )
    assert found, "no employee of company A may change post today"
    return found


# Company 1000002's code adhérent and the demo's n° télédéclarant (members.demo.demo_declarant_code): what the
# company's welcome letter says. Company A's is left alone (staff renew it in the suite).
DEMO_CODES = {"member_number": "1000002", "declarant_code": "DEMO1000002"}


def first_account_details(world: World) -> Ready:
    """The second step of « Créer le premier compte »: the codes checked, the form of the person to invite, signed
    for this browser's pre-session."""
    anonymous = world.browsers["anonyme"]
    page = anonymous.request(
        "POST", "/connexion/premier-compte", data={**DEMO_CODES, "csrf_token": anonymous.public_token}
    )
    form = form_data(page.text, "/connexion/premier-compte/compte")
    assert page.status_code == 200 and form, f"the codes were refused ({page.status_code})"
    form.pop("csrf_token", None)
    form.pop("form_token", None)
    email = f"premier-{uuid.uuid4().hex[:8]}@example.org"
    return Ready({}, {**form, "email": email, "email_confirmation": email})


def new_team_user(world: World) -> str:
    """A user of company A nobody logs in as."""
    return str(new_user(world, "equipier", "Équipier")["id"])


def throwaway(world: World) -> str:
    """A persona of its own, signed in through the gateway: a route that changes its password, its second factor
    or its session acts on an account no other route uses."""
    user = new_user(world, "jetable", "Compte jetable")
    name = f"compte jetable {world.made['jetable']}"
    browser = Browser(world.stack, Persona(name, user["email"], COMPANY_A, (MemberRole.READ,)))
    browser.log_in()
    world.browsers[name] = browser
    return name


MANUAL_KEY = re.compile(r'<code class="manual-key" id="cle-manuelle">([A-Z2-7 ]+)</code>')


def totp_code(world: World, persona: str, steps_ahead: int = 0) -> str:
    """The code the persona's authenticator app shows for the secret of « Activer la double authentification »
    (the key printed under the QR code, as a person types it into the app); `steps_ahead`: a later 30 s window."""
    page = world.call(persona, "GET", "/compte/double-authentification/activation").text
    found = MANUAL_KEY.search(page)
    assert found, f"{persona}: no manual key on the activation page"
    secret = found.group(1).replace(" ", "")
    world.secrets[persona] = secret
    return str(pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead))


def enrolling(world: World) -> Ready:
    """A throwaway persona, stepped up, on the activation page: the code its app shows now."""
    persona = throwaway(world)
    stepped_up(world, persona)
    return Ready({}, {"code": totp_code(world, persona)}, firer=persona)


def with_second_factor(world: World) -> Ready:
    """A throwaway persona with an active second factor, stepped up with its next code (a code is accepted once:
    the step-up takes the next 30 s window, which the server accepts as its clock's neighbour)."""
    persona = throwaway(world)
    stepped_up(world, persona)
    code = totp_code(world, persona)
    world.call(persona, "POST", "/compte/double-authentification/activation", data={"code": code})
    stepped_up(world, persona, code=str(pyotp.TOTP(world.secrets[persona]).at(time.time() + 30)))
    return Ready({}, firer=persona)


def mailed(world: World, recipient: str, pattern: str) -> str:
    """What the mail the portal sent to `recipient` carries (a link's token, a code), as its reader copies it."""

    def text(message: Any) -> str:
        body = message.get_body(preferencelist=("plain",))
        return str(body.get_content() if body is not None else message.get_payload())

    found = world.smtp.wait_for(
        lambda m: recipient.lower() in str(m["To"]).lower() and re.search(pattern, text(m)) is not None, timeout=60
    )
    return re.search(pattern, text(found)).group(1)  # type: ignore[union-attr]


def code_sign_in(world: World) -> Ready:
    """A browser asked « Connexion par code » for a throwaway persona's address: the code from its mail."""
    email = str(world.browsers[throwaway(world)].persona.login)
    name = f"connexion par code {world.next('code')}"
    browser = Browser(world.stack, Persona(name, None))
    browser.log_in()  # anonymous: its pre-session (the code is bound to it) and the public forms' token
    answer = browser.request("POST", "/connexion/code", data={"email": email, "csrf_token": browser.public_token})
    assert answer.status_code == 303, f"the code was not sent ({answer.status_code})"
    world.browsers[name] = browser
    return Ready({}, {"code": mailed(world, email, r"espace adhérent : (\d{6})")}, firer=name)


def email_change_link(world: World) -> Ready:
    """A throwaway persona asked for a new address (stepped up): the link mailed to that address."""
    persona = throwaway(world)
    stepped_up(world, persona)
    new = f"nouvelle-{uuid.uuid4().hex[:8]}@example.org"
    world.call(persona, "POST", "/compte/adresse-e-mail", data={"new_email": new, "confirmation": new})
    return Ready({"token": mailed(world, new, r"/connexion/nouvelle-adresse-e-mail/([A-Za-z0-9_-]+)")})


def invited(world: World, email: str, path: str) -> str:
    """Company A's administrator invites `email` on « Utilisateurs »: the token of the link mailed to it."""
    world.call(
        ADMIN,
        "POST",
        "/compte/utilisateurs/inviter",
        data={"last_name": "Invité", "first_name": "Paul", "email": email, "roles": MemberRole.READ.value},
    )
    return mailed(world, email, rf"{path}([A-Za-z0-9_-]+)")


def activation_link(world: World) -> Ready:
    """A person new to the portal invited by company A: the activation link, and the password chosen."""
    token = invited(world, f"nouveau-{uuid.uuid4().hex[:8]}@example.org", "/connexion/activation/")
    return Ready({"token": token}, {"new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})


def invitation_link(world: World) -> Ready:
    """A user of company B invited to company A: the invitation link to accept."""
    email = new_user(world, "autre-entreprise", "Utilisateur de B", COMPANY_B)["email"]
    return Ready({"token": invited(world, email, "/connexion/invitation/")})


def second_factor_sign_in(world: World) -> Ready:
    """A throwaway persona that enrolled a second factor signs in from another browser with its password: that
    browser waits on « Double authentification » for the code its app shows next (a code is accepted once)."""
    persona = throwaway(world)
    stepped_up(world, persona)
    code = totp_code(world, persona)
    world.call(persona, "POST", "/compte/double-authentification/activation", data={"code": code})
    name = f"{persona}, nouvelle connexion"
    browser = Browser(world.stack, Persona(name, None))
    browser.log_in()  # anonymous: its pre-session and the public forms' token
    answer = browser.request(
        "POST",
        "/connexion",
        data={
            "identifier": world.browsers[persona].persona.login,
            "password": DEMO_PASSWORD,
            "csrf_token": browser.public_token,
        },
    )
    assert "/connexion/double-authentification" in answer.headers.get("Location", ""), answer.status_code
    world.browsers[name] = browser
    return Ready({}, {"code": str(pyotp.TOTP(world.secrets[persona]).at(time.time() + 30))}, firer=name)


def throwaway_stepped_up(world: World, values: dict[str, Any] | None = None) -> Ready:
    persona = throwaway(world)
    stepped_up(world, persona)
    return Ready({}, values or {}, firer=persona)


def other_session(world: World) -> str:
    """Another session of the office persona: it signs in a second time, from another browser."""
    Browser(world.stack, world.browsers[OFFICE].persona).log_in()
    user = world.browsers[OFFICE].persona.user or {}
    found = world.stack.first(
        "identity",
        "SELECT id FROM user_session WHERE user_id = %s AND revoked_at IS NULL ORDER BY created_at DESC",
        user.get("id"),
    )
    assert found
    return found


def api_token_form(world: World) -> dict[str, Any]:
    """The « Jetons d'API » form as company A's administrator fills it, once it confirmed its identity (the page
    asks for it first): a name and the first scope ticked."""
    stepped_up(world, ADMIN)
    page = world.call(ADMIN, "GET", "/compte/jetons-api")
    form = form_data(page.text, "/compte/jetons-api")
    assert form is not None and form.get("scopes"), f"no token form with its scopes ({page.status_code})"
    form.pop("form_token", None)
    form.pop("csrf_token", None)
    return {**form, "name": f"Paie {world.next('token')}"}


def new_api_token(world: World) -> str:
    """An API token of company A, made on « Jetons d'API » by its administrator."""
    world.call(ADMIN, "POST", "/compte/jetons-api", data=api_token_form(world))
    found = world.stack.first(
        "identity",
        "SELECT id FROM api_token WHERE member_id = %s AND revoked_at IS NULL ORDER BY created_at DESC",
        COMPANY_A,
    )
    assert found
    return found


def collaborator(world: World) -> str:
    """The demo firm's collaborator (its administrator is the « cabinet comptable » persona)."""
    found = world.stack.first("identity", "SELECT user_id FROM firm_user WHERE role = 'collaborator'")
    assert found
    return found


def member_document(world: World) -> str:
    """A document company A's administrator added on « Mes documents »."""
    title = f"Attestation {world.next('document')}"
    world.call(ADMIN, "POST", "/adherent/documents", data={"kind": "attestation", "title": title}, files={"file": PDF})
    found = world.stack.first(
        "members", "SELECT id FROM document WHERE member_id = %s AND title = %s", COMPANY_A, title
    )
    assert found
    return found


def stepped_up(world: World, persona: str, code: str | None = None) -> None:
    """The persona confirms its identity (its password, or its TOTP `code` once it has a second factor), as a
    sensitive change asks first; its session moves."""
    browser = world.browsers[persona]
    secret = {"code": code} if code else {"password": DEMO_PASSWORD}
    answer = browser.request(
        "POST", "/compte/verification", data={**secret, "next": "/compte", "csrf_token": browser.token}
    )
    assert answer.status_code in (302, 303), f"{persona} could not confirm its identity: {answer.status_code}"
    browser.refresh_token()


def new_address_asked(world: World) -> Ready:
    stepped_up(world, OFFICE)
    email = f"nouvelle-{uuid.uuid4().hex[:8]}@spsti-demo.fr"
    return Ready({}, {"new_email": email, "confirmation": email})


def admin_stepped_up(world: World) -> Ready:
    stepped_up(world, ADMIN)
    return Ready({})


NEW_PASSWORD = "une phrase de passe toute neuve pour le compte"
Maker = Callable[[World], Ready]
# Routes that act on a row in a given state: the row is made just before the burst, through the gateway as the
# personas would, and its id put into the path (and the body) — the demo's rows may be in another state by then.
FRESH: dict[str, Maker] = {
    "/api/scheduling/slots/<string:slot_id>/closure": lambda w: Ready({"slot_id": new_slot(w)}),
    "/api/scheduling/slots/<string:slot_id>/placements": lambda w: Ready(
        {"slot_id": new_slot(w)}, {"request_id": new_request(w)}
    ),
    "/gestion/rendez-vous/creneaux/<string:slot_id>/fermeture": lambda w: Ready({"slot_id": new_slot(w)}),
    "/gestion/rendez-vous/creneaux/<string:slot_id>/suppression": lambda w: Ready({"slot_id": new_slot(w)}),
    "/api/scheduling/slots/<string:slot_id>/move": slot_moved_by_api,
    "/gestion/rendez-vous/creneaux/<string:slot_id>/deplacement": slot_moved_by_page,
    "/gestion/rendez-vous/demandes/<string:request_id>/cloture": lambda w: Ready(
        {"request_id": new_request(w)}, {"reason": "Demande faite en double"}
    ),
    "/api/scheduling/appointments/<string:appointment_id>/cancellation": lambda w: Ready(
        {"appointment_id": new_appointment(w)}
    ),
    "/api/scheduling/appointments/<string:appointment_id>/move": lambda w: Ready(
        {"appointment_id": new_appointment(w)},
        {"starts_at": f"{working_day(w.next('move') + 40).isoformat()}T15:00:00+00:00"},
    ),
    "/gestion/rendez-vous/<string:appointment_id>/deplacement": lambda w: Ready(
        {"appointment_id": new_appointment(w)}, {"slot_id": new_slot(w), "reason": "Le médecin est absent ce jour-là"}
    ),
    "/api/scheduling/appointments/<string:appointment_id>/outcome": lambda w: Ready(
        {"appointment_id": new_appointment(w, past=True)}
    ),
    "/gestion/rendez-vous/<string:appointment_id>/presence": lambda w: Ready(
        {"appointment_id": new_appointment(w, past=True)}
    ),
    "/api/scheduling/appointments/<string:appointment_id>/outcome-correction": lambda w: Ready(
        {"appointment_id": attended_appointment(w)}
    ),
    "/gestion/rendez-vous/<string:appointment_id>/correction-presence": lambda w: Ready(
        {"appointment_id": missed_appointment(w)}
    ),
    "/gestion/rendez-vous/<string:appointment_id>/document": lambda w: Ready(
        {"appointment_id": attended_appointment(w)}, {"file": PDF}
    ),
    "/api/workforce/imports/<string:import_id>/confirm": lambda w: Ready({"import_id": mapped_import(w)}),
    "/api/workforce/imports/<string:import_id>/mapping": import_mapping,
    "/salaries/import/<import_id>/colonnes": import_columns,
    "/salaries/import/<import_id>/confirmer": lambda w: Ready({"import_id": mapped_import(w)}),
    "/salaries/dsn": lambda w: Ready({}, {"files": dsn_file(w)}),
    "/api/workforce/dsn-imports": lambda w: Ready({}, {"files": dsn_file(w)}),
    "/salaries/dsn/<import_id>/appliquer": lambda w: Ready({"import_id": staged_dsn(w)}),
    "/salaries/dsn/<import_id>/abandonner": lambda w: Ready({"import_id": staged_dsn(w)}),
    "/api/workforce/dsn-imports/<string:import_id>": lambda w: Ready({"import_id": staged_dsn(w)}),
    "/api/workforce/dsn-imports/<string:import_id>/apply": lambda w: Ready({"import_id": staged_dsn(w)}),
    "/salaries/import/<import_id>/abandonner": lambda w: Ready({"import_id": new_import(w)}),
    # Two campaign years are taken, in the routes' order: the API opens one, closes it, its late declaration is
    # saved then confirmed; the pages open another, close it, and declare late in it.
    "/api/workforce/campaigns/<int(min=2000, max=2100):year>/closure": lambda w: Ready({"year": str(open_campaign(w))}),
    "/gestion/salaries/campagnes/<int(min=2000, max=2100):year>/cloture": lambda w: Ready(
        {"year": str(open_campaign(w))}
    ),
    "/api/workforce/declarations/<int(min=2000, max=2100):year>": late_declaration,
    "/api/workforce/declarations/<int(min=2000, max=2100):year>/confirmation": late_declaration,
    "/salaries/declarations/<int(min=2000, max=2100):year>": lambda w: Ready({"year": str(late_year(w))}),
    "/api/members/change-requests/<string:request_id>/approve": lambda w: Ready({"request_id": new_change_request(w)}),
    "/api/members/change-requests/<string:request_id>/reject": lambda w: Ready({"request_id": new_change_request(w)}),
    "/gestion/adherents/demandes/<string:request_id>": lambda w: Ready({"request_id": new_change_request(w)}),
    "/api/members/members/<string:member_id>/addresses/<string:entry_id>": lambda w: Ready(
        {"entry_id": new_entry(w, "adresses")}
    ),
    "/api/members/members/<string:member_id>/contacts/<string:entry_id>": lambda w: Ready(
        {"entry_id": new_entry(w, "contacts")}
    ),
    "/api/billing/invoices/<string:invoice_id>/payments": lambda w: Ready({"invoice_id": new_invoice(w)}),
    "/gestion/factures/<string:invoice_id>/reglements": lambda w: Ready({"invoice_id": new_invoice(w)}),
    "/gestion/factures/<string:invoice_id>/avoirs": lambda w: Ready({"invoice_id": new_invoice(w)}),
    "/gestion/factures/<string:invoice_id>/imputation": lambda w: Ready({"invoice_id": credited_invoice(w)}),
    "/compte/utilisateurs/<user_id>/roles": lambda w: Ready(
        {"user_id": new_team_user(w)}, {"roles": MemberRole.DECLARATION.value}
    ),
    "/compte/utilisateurs/<user_id>/retirer": lambda w: Ready({"user_id": new_team_user(w)}),
    "/compte/utilisateurs/<user_id>/sessions/fin": lambda w: Ready({"user_id": new_team_user(w)}),
    "/compte/sessions/<session_id>/fin": lambda w: Ready({"session_id": other_session(w)}),
    "/compte/jetons-api": lambda w: Ready({}, api_token_form(w)),
    # The API's post change (fired before) took the first employee's today: the page changes another one's.
    "/salaries/<employee_id>/nouveau-poste": lambda w: Ready({"employee_id": other_employee(w)}, {"from_date": TODAY}),
    "/api/workforce/employees/<string:employee_id>/post-changes": lambda w: Ready({"employee_id": other_employee(w)}),
    "/compte/jetons-api/<token_id>/revocation": lambda w: Ready({"token_id": new_api_token(w)}),
    "/portefeuille/collaborateurs/<user_id>": lambda w: Ready({"user_id": collaborator(w)}),
    "/portefeuille/collaborateurs/<user_id>/retirer": lambda w: Ready({"user_id": collaborator(w)}),
    "/adherent/documents/<string:document_id>/supprimer": lambda w: Ready({"document_id": member_document(w)}),
    "/compte/adresse-e-mail": new_address_asked,
    "/compte/double-authentification/activation": enrolling,
    "/compte/double-authentification/codes": with_second_factor,
    "/compte/double-authentification/desactivation": with_second_factor,
    "/compte/mot-de-passe": lambda w: throwaway_stepped_up(
        w,
        {
            "current_password": DEMO_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD,
        },
    ),
    # The demo's companies have the demo's n° télédéclarant (members.demo.demo_declarant_code), as its password.
    "/compte/entreprises/ajouter": lambda w: throwaway_stepped_up(
        w, {"member_number": "1000003", "declarant_code": "DEMO1000003", "delegate": "0"}
    ),
    "/connexion/premier-compte": lambda w: Ready({}, DEMO_CODES),
    "/connexion/double-authentification": second_factor_sign_in,
    "/connexion/code/saisie": code_sign_in,
    "/connexion/nouvelle-adresse-e-mail/<token>": email_change_link,
    "/connexion/activation/<token>": activation_link,
    "/connexion/invitation/<token>": invitation_link,
    "/connexion/premier-compte/compte": first_account_details,
    "/compte/verification": lambda w: Ready({}, {"password": DEMO_PASSWORD}, firer=throwaway(w)),
    "/api/billing/invoices/<string:invoice_id>/credit-notes": lambda w: Ready({"invoice_id": new_invoice(w)}),
    "/adherent/prelevement": admin_stepped_up,
    "/adherent/prelevement/revoquer": lambda w: (active_mandate(w), admin_stepped_up(w))[1],
    # One pattern, two methods: a DELETE revokes the active mandate, a POST signs a new one (none waiting).
    "DELETE /api/members/members/<string:member_id>/sepa-mandate": lambda w: (active_mandate(w), Ready({}))[1],
    "POST /api/members/members/<string:member_id>/sepa-mandate": lambda w: (
        active_mandate(w) if pending_mandate(w.stack) else None,
        admin_stepped_up(w),
    )[1],
    "/gestion/factures/<string:invoice_id>/remboursement": lambda w: Ready({"invoice_id": credit_left(w)}),
    "/gestion/factures/prelevements/<string:debit_id>/encaissement": lambda w: Ready(
        {"debit_id": sent_debit(w, due=True)}
    ),
    "/gestion/factures/prelevements/<string:debit_id>/rejet": lambda w: Ready({"debit_id": sent_debit(w)}),
    "/gestion/factures/prelevements/lots": lambda w: Ready({}, {"until": prenotified_debit(w)[1]}),
    "/gestion/factures/remboursements/lots": lambda w: (requested_transfer(w), Ready({}, {"execution_date": TODAY}))[1],
}
# Routes whose success moves the firing persona's session: it signs in again after the burst.
RELOGIN_AFTER = {"/connexion", "/portefeuille/ouvrir", "/portefeuille/declarer"}
# Routes only one persona acts on: the accounting firm's administrator has a portfolio and collaborators.
FIRED_BY = {
    "/portefeuille/collaborateurs": "cabinet comptable",
    "/portefeuille/collaborateurs/<user_id>": "cabinet comptable",
    "/portefeuille/collaborateurs/<user_id>/retirer": "cabinet comptable",
    "/portefeuille/ouvrir": "cabinet comptable",
    "/portefeuille/declarer": "cabinet comptable",
}


def with_params(route: Route, params: dict[str, str]) -> Route:
    """The route with its path parameters replaced by `params`."""
    segments, pattern = route.path.split("/"), route.pattern.split("/")
    for index, part in enumerate(pattern):
        name = re.fullmatch(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", part)
        if name and name.group(1) in params:
            segments[index] = params[name.group(1)]
    return dataclasses.replace(route, path="/".join(segments))


def french(text: str) -> bool:
    return FRENCH_MARKS.search(text) is not None


def firer(route: Route, browsers: dict[str, Browser]) -> Browser | None:
    if route.pattern in FIRED_BY:
        return browsers[FIRED_BY[route.pattern]]
    if not route.rule.needs_identity:
        return browsers["anonyme"]
    for name in FIRERS:
        if route.rule.check(browsers[name].persona.principal()) is None:
            return browsers[name]
    return None


def events_of(stack: Stack, service: str) -> dict[str, tuple[str, str]]:
    """The service's outbox: id → (event type, subject)."""
    found = {}
    for event_id, event_type, body in stack.rows(service, "SELECT id, event_type, body FROM outbox"):
        found[event_id] = (event_type, json.loads(body).get("subject", ""))
    return found


def tables_of(service: str) -> list[str]:
    metadata = importlib.import_module(f"{service}.models").Base.metadata
    return sorted(t.name for t in metadata.sorted_tables if t.name not in NOT_EFFECTS)


def counts(stack: Stack, service: str) -> Counter[str]:
    query = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM {t}" for t in tables_of(service))
    return Counter({table: int(n) for table, n in stack.rows(service, query)})


def at_once(pool: ThreadPoolExecutor, calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """The calls released together from the pool's threads, each on its own connection."""
    barrier = threading.Barrier(len(calls))

    def one(call: Callable[[], requests.Response]) -> requests.Response:
        barrier.wait(timeout=30)
        return call()

    return [f.result(timeout=120) for f in [pool.submit(one, c) for c in calls]]


def sender(browser: Browser) -> Callable[..., requests.Response]:
    def send(method: str, path: str, **kwargs: Any) -> requests.Response:
        http = requests.Session()
        http.cookies.update(browser.http.cookies)
        return http.request(method, browser.base + path, allow_redirects=False, timeout=60, **kwargs)

    return send


# POSTs that act on a versioned resource read at the path without this suffix (If-Match required).
READ_BEFORE = {"/api/workforce/declarations/<int(min=2000, max=2100):year>/confirmation": "/confirmation"}


def burst(pool: ThreadPoolExecutor, browser: Browser, route: Route, body: dict[str, Any]) -> list[requests.Response]:
    """BURST identical requests released together with the persona's cookies and one key."""
    key = str(uuid.uuid4())
    files = {name: value for name, value in body.items() if isinstance(value, tuple)}
    if route.is_api and files:  # a browser session sends its CSRF token in a header with an upload to the API
        kwargs: dict[str, Any] = {"files": files, "headers": {"Idempotency-Key": key, "X-CSRF-Token": browser.token}}
    elif route.is_api:
        kwargs = {"json": body, "headers": {"Idempotency-Key": key}}
        if route.method != "POST" or route.pattern in READ_BEFORE:  # it sends the version it read: one wins
            etag = browser.request("GET", route.path.removesuffix(READ_BEFORE.get(route.pattern, ""))).headers.get(
                "ETag"
            )
            if etag:
                kwargs["headers"]["If-Match"] = etag
    else:
        token = browser.token if route.rule.needs_identity else browser.public_token
        fields = {name: value for name, value in body.items() if name not in files}
        kwargs = {"data": {**fields, "csrf_token": token, "form_token": key}, "files": files or None}
    send = sender(browser)
    return at_once(pool, [lambda: send(route.method, route.path, **kwargs)] * BURST)


def settle(stack: Stack, service: str) -> None:
    """What a burst set going in the background is done before its effects are counted: an import or a DSN being
    checked or written by the workforce worker (else its rows would land in the next route's count)."""
    if service != "workforce":
        return
    for _ in range(240):  # waiting for the worker's answer, not for a duration
        running = stack.first(
            "workforce",
            "SELECT COUNT(*) FROM employee_import WHERE status IN "
            "('received', 'reading', 'queued', 'checking', 'confirmed', 'importing')",
        )
        if running == "0":
            return
        time.sleep(0.5)
    raise AssertionError("an import is still running two minutes after its burst")


def refusal_problem(answer: requests.Response, api: bool) -> str | None:
    status = answer.status_code
    if not api:
        return None if french(answer.text) else f"{status} page not in French"
    try:
        error = answer.json()
    except ValueError:
        return f"{status} without a JSON body"
    if error.get("code") != status or not error.get("reason"):
        return f"{status} without its code and reason: {str(error)[:200]}"
    if not french(json.dumps(error, ensure_ascii=False)):
        return f"{status} not in French: {str(error)[:200]}"
    return None


FIELD_ERROR = re.compile(r'<p class="field-error" id="(?:f-)?([^"]+)-error">([^<]*)</p>')


def refusal_note(answers: list[requests.Response]) -> str:
    """What the first refusal said: the API's reason and fields, or a page's field errors."""
    refused = [a for a in answers if a.status_code >= 400]
    if not refused:
        errors = [message for a in answers for category, message in flashed(a) if category == "error"]
        if errors:
            return f"flashed: {errors[0][:200]}"
        moved = [a.headers["Location"] for a in answers if a.status_code in (302, 303) and not succeeded(a)]
        return f"sent to {moved[0][:200]}" if moved else ""
    # An answer of the route itself says more than « the first request is still running ».
    answer = sorted(refused, key=lambda a: "idempotency_key_in_progress" in a.text)[0]
    if "json" in answer.headers.get("Content-Type", ""):
        error = answer.json() if answer.content else {}
        fields = error.get("errors", {}).get("json", error.get("errors", {})) if isinstance(error, dict) else {}
        return f"{error.get('reason', '')} {error.get('message', '')[:120]} {str(fields)[:160]}".strip()
    # A page: the field errors of the first refused page that has some (a 409's differences table has none).
    found = next((f for a in refused if (f := FIELD_ERROR.findall(a.text))), [])
    return "; ".join(f"{name}: {text.strip()}" for name, text in found[:3])[:200]


def problems_of(route: Route, answers: list[requests.Response]) -> list[str]:
    found = []
    for answer in answers:
        status = answer.status_code
        if status >= 500:
            found.append(f"answered {status}")
        elif status not in (API_ALLOWED if route.is_api else PAGE_ALLOWED):
            found.append(f"answered {status}, outside the allowed set")
        elif (
            status >= 400
            and route.pattern not in MACHINE_ANSWERS
            and (problem := refusal_problem(answer, route.is_api))
        ):
            found.append(problem)
    return found


def duplicates(before: dict[str, tuple[str, str]], after: dict[str, tuple[str, str]]) -> list[str]:
    written = Counter(event for event_id, event in after.items() if event_id not in before)
    return [f"{event_type} for {subject} written {n} times" for (event_type, subject), n in written.items() if n > 1]


def effect_problems(route: Route, answers: list[requests.Response], grown: Counter[str], events: int) -> list[str]:
    """One logical action for BURST identical requests under one key (unless N effects are its meaning)."""
    if route.pattern in EFFECT_PER_REQUEST:
        return []
    fan_out, second = FAN_OUT.get(route.pattern, set()), SECOND_ROW.get(route.pattern, {})
    found = [
        f"table {table} gained {n} rows"
        for table, n in grown.items()
        if n > (2 if table in second else 1) and table not in fan_out
    ]
    if events > 1:
        found.append(f"{events} events of one type and subject")
    if route.is_api and any(a.status_code == 201 for a in answers) and 1 not in grown.values():
        found.append(f"answered 201 but no table gained exactly one row ({dict(grown)})")
    ids = set()
    for answer in answers:
        if 200 <= answer.status_code < 300 and route.is_api and answer.content:
            with_id = answer.json()
            if isinstance(with_id, dict) and "id" in with_id:
                ids.add(str(with_id["id"]))
    if len(ids) > 1:
        found.append(f"the successes name {len(ids)} different resources")
    return found


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=BURST) as executor:
        yield executor


@pytest.fixture(scope="module", params=ENGINES)
def portal(request, portal_env) -> Iterator[tuple[str, Stack, dict[str, Browser], dict[str, Any]]]:
    engine = request.param
    with running_portal(portal_env, f"burst_{engine}", engine) as stack:
        wanted = [p for p in personas() if p.name in SIGNED_IN]
        add_accounts(stack, wanted)
        browsers = {p.name: Browser(stack, p) for p in wanted}
        for browser in browsers.values():
            browser.log_in()
        seed_company_a(browsers["A:administrateur"], browsers["personnel:secretariat"], stack)
        anonymous = browsers["anonyme"]
        specs = {s: anonymous.request("GET", f"/api/{s}/openapi.json").json() for s in SERVICE_NAMES}
        yield engine, stack, browsers, specs


def write_routes(stack: Stack) -> list[Route]:
    served, _ = routes_of(stack)
    writes = [r for r in served if r.method in WRITE_METHODS and "/internal/" not in r.pattern]
    # What moves the session goes last, so the other routes keep their persona's session.
    return sorted(writes, key=lambda r: r.pattern in SESSION_ENDERS)


# Pages already read by a persona on a stack: a form is looked for on the service's pages once per burst run.
SEEN_PAGES: dict[tuple[str, str, str], str | None] = {}


def pages_of(stack: Stack, service: str) -> list[str]:
    """The service's own pages whose path names real rows (no invented id), shortest first."""
    served, _ = routes_of(stack)
    found = {r.path for r in served if r.service == service and r.method == "GET" and not r.is_api and not r.invented}
    return sorted((p for p in found if not p.endswith((".pdf", ".csv", ".xml"))), key=len)


def body_for(
    stack: Stack, browser: Browser, route: Route, specs: dict[str, Any], made: dict[str, Any]
) -> tuple[dict[str, Any] | None, str]:
    """The body to fire and where it came from; None when the route takes a body this suite cannot build."""
    values = {"member_id": COMPANY_A, "employee_id": employee_of_a(stack)}
    values.update(ROUTE_VALUES[route.pattern](stack, route) if route.pattern in ROUTE_VALUES else {})
    values.update(made)
    if route.is_api:
        spec = specs[route.service]
        operation = spec["paths"].get(openapi_path(route.pattern), {}).get(route.method.lower(), {})
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
            files = {name: value for name, value in made.items() if isinstance(value, tuple)}
            return (files, "multipart upload") if files else (None, "multipart")
        schema = request_schema(spec, openapi_path(route.pattern), route.method)
        if schema is None:
            return {}, "no body (none in its schema)"
        return example(spec, schema, values), "OpenAPI schema"

    def fetch(path: str) -> str | None:
        key = (browser.base, browser.persona.name, path)
        if key not in SEEN_PAGES:
            page = browser.request("GET", path)
            html = "text/html" in page.headers.get("Content-Type", "")
            SEEN_PAGES[key] = page.text if page.status_code == 200 and html else None
        return SEEN_PAGES[key]

    # The route's own page is read again, as a person opens a form just before sending it: an earlier route may
    # have read it as a candidate hub and changed its row since (an edit form then carried an old version and old
    # values: a stale 409 or a 422 instead of a success, depending on which employee came first).
    SEEN_PAGES.pop((browser.base, browser.persona.name, route.path), None)
    form = page_form(fetch, route.path)
    if form is None:  # shown on another page of the service (a hub, a list): the first that has it
        for page in pages_of(stack, route.service):
            html = fetch(page)
            form = form_data(html, route.path, page) if html else None
            if form is not None:
                break
    if form is None:
        return dict(values), "no form found: its own values only" if values else "no form found: empty"
    form.pop("csrf_token", None)
    form.pop("form_token", None)
    return {**form, **values}, "page form"


# --- conflicting pairs --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    name: str
    statuses: tuple[int, ...]
    winners: int  # how many of the pair took effect (events of the action written)


def one_wins(
    name: str, answers: list[requests.Response], loser_status: set[int], reasons: set[str] | None = None
) -> list[str]:
    """Exactly one answer is a success; the other is the expected refusal, in French, with its `reason`."""
    wins = [a for a in answers if a.status_code < 300]
    losses = [a for a in answers if a.status_code >= 300]
    if len(wins) != 1 or len(losses) != 1:
        return [f"{name}: expected one success and one refusal, got {[a.status_code for a in answers]}"]
    [loss] = losses
    if loss.status_code not in loser_status:
        return [f"{name}: the loser answered {loss.status_code} {loss.text[:200]}"]
    problem = refusal_problem(loss, api=True)
    if problem:
        return [f"{name}: {problem}"]
    if reasons is not None and loss.json()["reason"] not in reasons:
        return [f"{name}: the loser's reason is {loss.json()['reason']}, not one of {sorted(reasons)}"]
    return []


def new_events(stack: Stack, service: str, before: dict[str, tuple[str, str]], event_type: str) -> int:
    return sum(1 for i, (kind, _) in events_of(stack, service).items() if i not in before and kind == event_type)


def approve_and_reject(stack: Stack, browsers: dict[str, Browser], pool: ThreadPoolExecutor) -> tuple[Pair, list[str]]:
    admin, staff = sender(browsers["A:administrateur"]), sender(browsers["personnel sur A"])
    asked = admin(
        "POST",
        f"/api/members/members/{COMPANY_A}/addresses",
        json={
            "kind": "autre",
            "line1": f"{uuid.uuid4().hex[:6]} rue de la Course",
            "postal_code": "68100",
            "city": "Mulhouse",
        },
    )
    assert asked.status_code in (201, 202), asked.text
    request_id = asked.json()["id"]
    before = events_of(stack, "members")
    base = f"/api/members/change-requests/{request_id}"
    answers = at_once(
        pool,
        [
            lambda: staff("POST", f"{base}/approve", json={}),
            lambda: staff("POST", f"{base}/reject", json={"reason": "Adresse non reconnue"}),
        ],
    )
    # An approved address publishes its change; a rejection publishes nothing.
    decided = new_events(stack, "members", before, "members.address.changed.v1")
    statuses = tuple(sorted(a.status_code for a in answers))
    found = one_wins("approve/reject", answers, {409})
    status = stack.first("members", "SELECT status FROM change_request WHERE id = %s", request_id)
    if status not in ("approved", "rejected"):
        found.append(f"approve/reject: the change request ends {status}")
    return Pair("approve and reject of one change request", statuses, decided), found


def realised_and_absent(stack: Stack, browsers: dict[str, Browser], pool: ThreadPoolExecutor) -> tuple[Pair, list[str]]:
    staff = sender(browsers["personnel sur A"])
    created = staff(
        "POST",
        "/api/scheduling/appointments",
        json={
            "member_id": COMPANY_A,
            "employee_id": employee_of_a(stack),
            "starts_at": f"{FUTURE_DAY.isoformat()}T14:00:00+00:00",
            "duration_minutes": 30,
            "visit_type": "periodique",
            "place": {"name": "Centre de Mulhouse", "address": "5 avenue Kennedy, 68100 Mulhouse"},
            "professional_kind": "medecin",
            "status": "convoquee",
        },
    )
    assert created.status_code == 201, created.text
    appointment_id = created.json()["id"]
    move_to_yesterday(stack, appointment_id, FUTURE_DAY)
    before = events_of(stack, "scheduling")
    path = f"/api/scheduling/appointments/{appointment_id}/outcome"
    answers = at_once(
        pool,
        [
            lambda: staff("POST", path, json={"status": "realisee"}),
            lambda: staff("POST", path, json={"status": "absent_non_excuse"}),
        ],
    )
    recorded = sum(
        new_events(stack, "scheduling", before, kind)
        for kind in ("scheduling.appointment.attended.v1", "scheduling.appointment.missed.v1")
    )
    found = one_wins("realised/absent", answers, {409}, {"appointment_outcome_already_recorded"})
    if recorded != 1:
        found.append(f"realised/absent: {recorded} outcome events")
    return Pair(
        "realised and absent on one appointment", tuple(sorted(a.status_code for a in answers)), recorded
    ), found


def two_employee_edits(stack: Stack, browsers: dict[str, Browser], pool: ThreadPoolExecutor) -> tuple[Pair, list[str]]:
    admin = sender(browsers["A:administrateur"])
    employee_id = employee_of_a(stack)
    read = admin("GET", f"/api/workforce/employees/{employee_id}")
    assert read.status_code == 200 and read.headers.get("ETag"), read.text
    shown = read.json()
    fields = (
        "last_name",
        "first_names",
        "sex",
        "birth_date",
        "birth_commune",
        "birth_country",
        "hire_date",
        "contract",
    )
    body = {f: shown[f] for f in fields if shown.get(f) is not None}
    before = events_of(stack, "workforce")
    headers = {"If-Match": read.headers["ETag"]}
    path = f"/api/workforce/employees/{employee_id}"
    answers = at_once(
        pool,
        [
            lambda: admin("PUT", path, json={**body, "post": "Boulangère"}, headers=headers),
            lambda: admin("PUT", path, json={**body, "post": "Pâtissière"}, headers=headers),
        ],
    )
    updated = new_events(stack, "workforce", before, "workforce.employee.updated.v1")
    found = one_wins("two edits", answers, {412}, {"stale_version"})
    if updated != 1:
        found.append(f"two edits: {updated} update events")
    return Pair(
        "two edits of one employee with one If-Match", tuple(sorted(a.status_code for a in answers)), updated
    ), found


def two_late_confirmations(
    stack: Stack, browsers: dict[str, Browser], pool: ThreadPoolExecutor
) -> tuple[Pair, list[str]]:
    staff, admin = sender(browsers["personnel:administration"]), sender(browsers["A:administrateur"])
    this_year = clock.today().year
    taken = {int(y) for (y,) in stack.rows("workforce", "SELECT year FROM declaration_campaign")}
    year = next(y for y in range(this_year - 1, this_year + 3) if y not in taken)
    assert staff("POST", "/api/workforce/campaigns", json={"year": year}).status_code == 201
    assert staff("POST", f"/api/workforce/campaigns/{year}/closure").status_code == 200
    read = admin("GET", f"/api/workforce/declarations/{year}")
    assert read.status_code == 200 and read.json().get("late") is True, read.text
    expected = read.json()["expected"]  # the list of employees' counts: confirmed as is, no justification asked
    body = {part: {k: expected[part][k] for k in ("SI", "SIA", "SIR")} for part in ("headcount", "multi_employer")}
    headers = {"If-Match": read.headers["ETag"]}
    before = events_of(stack, "workforce")
    path = f"/api/workforce/declarations/{year}/confirmation"
    answers = at_once(pool, [lambda: admin("POST", path, json=body, headers=headers)] * 2)
    confirmed = new_events(stack, "workforce", before, "workforce.declaration.confirmed.v1")
    found = one_wins("two late confirmations", answers, {409, 412})
    if confirmed != 1:
        found.append(f"two late confirmations: {confirmed} confirmation events")
    pair = Pair(
        f"two late confirmations of one declaration ({year})", tuple(sorted(a.status_code for a in answers)), confirmed
    )
    return pair, found


PAIRS = (approve_and_reject, realised_and_absent, two_employee_edits, two_late_confirmations)


def test_conflicting_pairs_through_the_gateway_let_exactly_one_win_and_refuse_the_other_in_french(portal, pool):
    engine, stack, browsers, _ = portal
    pairs: list[Pair] = []
    wrong: list[str] = []
    for race in PAIRS:
        pair, found = race(stack, browsers, pool)
        pairs.append(pair)
        wrong.extend(found)
    print(f"\n{engine}: {len(pairs)} conflicting pairs fired at once through the gateway")
    for pair in pairs:
        print(f"  {pair.name}: {list(pair.statuses)}, effects {pair.winners}")
    for line in wrong:
        print(f"  problem: {line}")
    assert wrong == [], wrong


def test_n_identical_requests_at_once_through_the_gateway_have_one_effect_on_every_route(portal, pool, portal_env):
    engine, stack, browsers, specs = portal
    world = World(stack, browsers, portal_env.smtp)
    shots: list[Shot] = []
    skipped: list[str] = []
    patterns = {r.pattern for r in write_routes(stack)}
    for table in (
        ROUTE_VALUES,
        EFFECT_PER_REQUEST,
        FAN_OUT,
        SECOND_ROW,
        MACHINE_ANSWERS,
        NO_SUCCESS,
        NOT_ARRANGED_YET,
        FRESH,
        FIRED_BY,
    ):
        keys = {re.sub(r"^[A-Z]+ ", "", key) for key in table}  # a pattern, or a method and a pattern
        assert not keys - patterns, f"entries for routes that no longer exist: {keys - patterns}"
    wrong: list[str] = []
    for route in write_routes(stack):
        if (route.method, route.pattern) in SKIPPED:
            skipped.append(f"{route}: {SKIPPED[(route.method, route.pattern)]}")
            continue
        browser = firer(route, browsers)
        if browser is None:
            skipped.append(f"{route}: no signed-in persona is admitted by its rule")
            continue
        maker = FRESH.get(f"{route.method} {route.pattern}") or FRESH.get(route.pattern)
        try:
            ready = maker(world) if maker else Ready({})
        except Exception as exc:  # reported with the route: the others are still fired
            if route.pattern not in NOT_ARRANGED_YET:
                wrong.append(f"{route}: its row could not be made: {str(exc)[:300]}")
            ready = Ready({})
        if ready.firer is not None:
            browser = browsers[ready.firer]
        if maker:  # the pages read before show neither the rows just made nor their forms
            for key in [k for k in SEEN_PAGES if k[1] == browser.persona.name]:
                del SEEN_PAGES[key]
        route = with_params(live_path(stack, route), ready.params)
        body, origin = body_for(stack, browser, route, specs, ready.values)
        if body is None:
            skipped.append(f"{route}: a {origin} upload whose file no maker (FRESH) arranges")
            continue
        before, rows = events_of(stack, route.service), counts(stack, route.service)
        answers = burst(pool, browser, route, body)
        settle(stack, route.service)
        if route.pattern == "/changer-adherent":
            # Each switch replaced the session the burst carried: the browser goes on with one it was given (the
            # old one lives on only in the gateway's 1 s session-check cache).
            for answer in answers:
                if answer.cookies:
                    browser.http.cookies.update(answer.cookies)
                    break
            browser.refresh_token()
        elif route.pattern in RELOGIN_AFTER:  # its session was moved: a new one for what follows
            browsers[browser.persona.name] = Browser(stack, browser.persona)
            browsers[browser.persona.name].log_in()
        after = events_of(stack, route.service)
        grown = counts(stack, route.service) - rows
        new_events = Counter(e for i, e in after.items() if i not in before)
        events = max(new_events.values(), default=0)
        found = problems_of(route, answers) + duplicates(before, after)
        found += effect_problems(route, answers, grown, events)
        wrong.extend(f"{route} {route.path} as {browser.persona.name}: {p}" for p in found)
        effects = max(events, max(grown.values(), default=0))
        statuses = tuple(a.status_code for a in answers)
        success = any(succeeded(a) for a in answers)
        if not success and route.pattern not in NO_SUCCESS and route.pattern not in NOT_ARRANGED_YET:
            wrong.append(f"{route} {route.path} as {browser.persona.name}: no success ({sorted(statuses)})")
        shots.append(Shot(route, browser.persona.name, origin, statuses, effects, refusal_note(answers), success))
    print(f"\n{engine}: {len(shots)} state-changing routes fired {BURST} times at once through the gateway")
    for shot in shots:
        print(f"  {shot.route} as {shot.persona} ({shot.body}): {sorted(shot.statuses)}, effects {shot.effects}")
        if shot.note:
            print(f"      first refusal: {shot.note}")
    fired_without = [s for s in shots if not s.succeeded]
    print(
        f"{engine}: {len(shots)} routes fired, {len(shots) - len(fired_without)} with a success, "
        f"{len(fired_without)} without one ({sum(1 for s in fired_without if s.route.pattern in NO_SUCCESS)} "
        f"justified in NO_SUCCESS, {sum(1 for s in fired_without if s.route.pattern in NOT_ARRANGED_YET)} "
        "in NOT_ARRANGED_YET):"
    )
    for shot in fired_without:
        reason = NO_SUCCESS.get(shot.route.pattern) or NOT_ARRANGED_YET.get(shot.route.pattern)
        print(f"  {shot.route}: {reason or 'NOT JUSTIFIED'}")
    print(f"{engine}: tables one action rightly fills with a second row:")
    for pattern, tables in SECOND_ROW.items():
        for table, reason in tables.items():
            print(f"  {pattern}: {table}: {reason}")
    print(f"{engine}: skipped {len(skipped)}:")
    for line in skipped:
        print(f"  {line}")
    print(f"{engine}: {len(wrong)} problems:")
    for line in wrong:
        print(f"  {line}")
    assert len(shots) > 50
    assert {s.route.service for s in shots} == set(SERVICE_NAMES)
    assert wrong == [], f"{len(wrong)} problems (listed above), the first: {wrong[0]}"
