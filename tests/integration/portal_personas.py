"""The whole portal behind its real nginx gateway, and one signed-in browser session per persona.

Used by the access matrix (`test_access_matrix.py`): the demo data of `make run` is company A (Boulangerie
Martin, 1000001), its accounting firm and another company B (Transports Keller, 1000003); the personas that
hold a single role are added to identity's database before anyone logs in.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import os
import random
import re
import socket
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

from identity.sessions.rules import DELEGATE_GRANT
from portal_common import clock
from portal_common.passport import Principal
from portal_common.roles import MemberRole, StaffRole
from portal_stack.demo_data import DEMO_PASSWORD, demo_id

SERVICE_NAMES = ("identity", "members", "workforce", "scheduling", "billing")
COMPANY_A = demo_id("member", "1000001")
COMPANY_B = demo_id("member", "1000003")
# A user of company A nobody logs in as: the team pages may remove it or change its roles harmlessly.
SPARE_USER = demo_id("user", "access-matrix", "spare")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Persona:
    """Who logs in, and the principal the passport should carry (what the access rules are asked about)."""

    name: str
    login: str | None  # None: anonymous
    member_id: str | None = None
    roles: tuple[str, ...] = ()
    staff_roles: tuple[str, ...] = ()
    grants: tuple[str, ...] = ()
    other_company: bool = False  # signed in on company B, tried against company A's ids
    user: dict[str, Any] | None = None  # the account to create, when the demo has none

    def principal(self) -> Principal | None:
        if self.login is None:
            return None
        return Principal(
            user_id=self.name,
            display_name=self.name,
            session_ref="matrix",
            member_id=self.member_id,
            roles=frozenset(self.roles),
            staff_roles=frozenset(self.staff_roles),
            grants=frozenset(self.grants),
        )


def _single_role_user(role: str) -> dict[str, Any]:
    return dict(
        id=demo_id("user", "access-matrix", role),
        email=f"role-{role}@boulangerie-martin.fr",
        display_name=f"Rôle {role}",
        password=DEMO_PASSWORD,
        links=[dict(member_id=COMPANY_A, roles=[role], kind="member")],
    )


def _staff_user(role: str) -> dict[str, Any]:
    return dict(
        id=demo_id("user", "access-matrix", "staff", role),
        email=f"staff-{role}@spsti-demo.fr",
        display_name=f"Personnel {role}",
        password=DEMO_PASSWORD,
        staff_roles=[role],
        links=[],
    )


def personas() -> list[Persona]:
    found = [Persona("anonyme", None)]
    found.append(Persona("A:administrateur", "1000001", COMPANY_A, (MemberRole.ADMIN,)))
    for role in (MemberRole.BILLING, MemberRole.DECLARATION, MemberRole.CONVOCATION, MemberRole.READ):
        user = _single_role_user(role)
        found.append(Persona(f"A:{role.label.lower()}", user["email"], COMPANY_A, (role,), user=user))
    # The demo's firm acts for companies A and 1000002 with the roles the demo gives it.
    found.append(
        Persona(
            "cabinet comptable",
            "cabinet@fiducia-expertise.fr",
            COMPANY_A,
            (MemberRole.DECLARATION, MemberRole.BILLING),
            grants=(DELEGATE_GRANT,),
        )
    )
    for staff_role in StaffRole:
        user = _staff_user(staff_role)
        found.append(Persona(f"personnel:{staff_role}", user["email"], staff_roles=(staff_role,), user=user))
    # Staff who chose company A (« Changer d'adhérent »); an account of its own, since any persona may end
    # its account's other sessions.
    on_a = _staff_user(StaffRole.SECRETARIAT) | dict(
        id=demo_id("user", "access-matrix", "staff", "on-company"), email="staff-sur-a@spsti-demo.fr"
    )
    found.append(Persona("personnel sur A", on_a["email"], COMPANY_A, staff_roles=(StaffRole.SECRETARIAT,), user=on_a))
    found.append(Persona("B:administrateur", "1000003", COMPANY_B, (MemberRole.ADMIN,), other_company=True))
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _port_base() -> int:
    """A base whose service ports (base+1…base+5) and card provider (base+90) are free: other stacks may run."""
    for _ in range(50):
        base = random.randrange(10000, 60000, 100)
        if all(_bindable(base + offset) for offset in (1, 2, 3, 4, 5, 90)):
            return base
    raise RuntimeError("no free port range for the portal")


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    prefix: str
    log_path: Path
    apps: dict[str, Any] = field(default_factory=dict)

    def database(self, service: str) -> str:
        """The service's database: a PostgreSQL URL, or (the embedded default) its SQLite file's path."""
        url = self.env.get(f"{service.upper()}_DATABASE_URL")
        if url is None:
            return str(Path(self.env["PORTAL_DATA_DIR"]) / f"{service}.db")
        return url.replace("postgresql+psycopg://", "postgresql://", 1)

    def rows(self, service: str, sql: str, *args: object) -> list[tuple[Any, ...]]:
        """A query on the service's database (`%s` placeholders, whatever the engine)."""
        database = self.database(service)
        if not database.startswith("postgresql://"):
            with contextlib.closing(sqlite3.connect(database, timeout=30)) as conn:
                return list(conn.execute(sql.replace("%s", "?"), args).fetchall())
        with psycopg.connect(database) as conn:
            return list(conn.execute(sql, args).fetchall())

    def execute(self, service: str, sql: str, *args: object) -> None:
        """A write on the service's database, committed (a test's arrangement, e.g. time gone by)."""
        database = self.database(service)
        if not database.startswith("postgresql://"):
            with contextlib.closing(sqlite3.connect(database, timeout=30)) as conn, conn:
                conn.execute(sql.replace("%s", "?"), args)
            return
        with psycopg.connect(database) as conn:
            conn.execute(sql, args)

    def first(self, service: str, sql: str, *args: object) -> str | None:
        found = self.rows(service, sql, *args)
        return None if not found else str(found[0][0])


@contextlib.contextmanager
def running_portal(portal_env, name: str, engine: str = "postgresql") -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """Every service, relay, worker and nginx, with the demo data; stopped and its databases dropped after.

    `engine` "sqlite": the embedded default `make run` starts, one SQLite file per service in the data directory.
    """
    from portal_stack.background import BackgroundStack
    from portal_stack.environment import service_environment, stack_environment

    data_dir = Path(tempfile.mkdtemp(prefix=f"portal-{name}-"))
    data_dir.chmod(0o755)  # nginx workers run as nobody and must traverse it
    prefix = f"portal_{portal_env.run_id}_{name}"
    environ = dict(
        os.environ,
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_GATEWAY_PORT=str(_free_port()),
        PORTAL_PORT_BASE=str(_port_base()),
        PORTAL_DB_PREFIX=prefix,
        PORTAL_POSTGRES_URL=portal_env.pg_admin_dsn.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+psycopg://", 1
        ),
        PORTAL_BROKER_URL=(broker_url := portal_env.new_vhost(name)),
        PORTAL_INTERNAL_KEY=portal_env.internal_key,
        PORTAL_LOGIN_RATE="6000r/m",
        PORTAL_MAIL_CATCHER="0",
        PORTAL_SMTP_HOST="127.0.0.1",
        PORTAL_SMTP_PORT=str(portal_env.smtp.port),
        PORTAL_BILLING_WORKERS="1",
        PORTAL_LOG_LEVEL="WARNING",
    )
    if engine == "sqlite":
        environ = {k: v for k, v in environ.items() if not k.endswith("_DATABASE_URL")}
        for setting in ("PORTAL_POSTGRES_URL", "PORTAL_DB_PREFIX"):
            del environ[setting]
    env = stack_environment(environ)
    stack = BackgroundStack(env, data_dir / "portal.log")
    try:
        stack.start(timeout=120)
        handle = Stack(stack.url, env, prefix, data_dir / "portal.log")
        for service in SERVICE_NAMES:
            create_app = importlib.import_module(f"{service}.app").create_app
            handle.apps[service] = create_app(environ=service_environment(env, service))
        yield handle
    finally:
        stack.stop()
        for app in (handle.apps if "handle" in locals() else {}).values():
            app.extensions["portal"].db.dispose()
        with psycopg.connect(portal_env.pg_admin_dsn, autocommit=True) as conn:
            for service in SERVICE_NAMES if engine != "sqlite" else ():
                conn.execute(f'DROP DATABASE IF EXISTS "{prefix}_{service}" WITH (FORCE)')
        portal_env.drop_vhost(broker_url)


def add_accounts(stack: Stack, wanted: list[Persona]) -> None:
    """The single-role users, the staff users and the spare user, through identity's own account functions."""
    from identity import demo

    users = [p.user for p in wanted if p.user is not None]
    spare = _single_role_user(MemberRole.READ) | dict(id=SPARE_USER, email="remplacable@boulangerie-martin.fr")
    app = stack.apps["identity"]
    with app.app_context():
        demo.load(app.extensions["portal"], {"users": [*users, spare]})
    app.extensions["portal"].db.dispose()  # the stack's own processes need the server's connections


class Browser:
    """A persona's cookie jar on the gateway, with the CSRF token of its session."""

    def __init__(self, stack: Stack, persona: Persona):
        self.base = stack.url
        self.persona = persona
        self.http = requests.Session()
        self.token = ""  # bound to the session
        self.public_token = ""  # bound to the pre-session cookie, for the public forms

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.base + path, allow_redirects=False, timeout=30, **kwargs)

    def _token_of(self, path: str) -> str:
        page = self.request("GET", path)
        found = CSRF.search(page.text)
        assert found, f"{self.persona.name}: no form on {path} ({page.status_code})"
        return found.group(1)

    def refresh_token(self) -> None:
        self.token = self._token_of("/compte")  # the layout's logout form carries it

    def log_in(self) -> None:
        self.public_token = self._token_of("/connexion")
        if self.persona.login is None:
            self.token = self.public_token
            return
        answer = self.request(
            "POST",
            "/connexion",
            data={"identifier": self.persona.login, "password": DEMO_PASSWORD, "csrf_token": self.public_token},
        )
        assert answer.status_code in (302, 303), f"{self.persona.name} could not log in: {answer.status_code}"
        self.refresh_token()
        chooses = "/changer-adherent" in answer.headers.get("Location", "") or self.persona.staff_roles
        if self.persona.member_id and chooses:
            chosen = self.request(
                "POST", "/changer-adherent", data={"member_id": self.persona.member_id, "csrf_token": self.token}
            )
            assert chosen.status_code in (302, 303), f"{self.persona.name} could not choose its company"
            self.refresh_token()
        self.public_token = self._token_of("/connexion")


def random_id() -> str:
    return str(uuid.uuid4())


def seed_company_a(admin: Browser, office: Browser, stack: Stack) -> None:
    """Rows of company A the demo has none of, made through the gateway by its administrator and by office
    staff, so that the matrix's path parameters name real rows (an address, a contact, documents, a visit request,
    an import, a change request, a card payment, a slot)."""
    import base64

    employee = stack.first("scheduling", "SELECT employee_id FROM employee_directory WHERE member_id = %s", COMPANY_A)
    attended = stack.first(
        "scheduling", "SELECT id FROM appointment WHERE member_id = %s AND status = 'realisee' ORDER BY id", COMPANY_A
    )
    unpaid = stack.first("billing", "SELECT id FROM invoice WHERE member_id = %s ORDER BY issued_on DESC", COMPANY_A)
    answers = {
        "follow-up certificate": office.request(
            "POST",
            f"/gestion/rendez-vous/{attended}/document",
            data={"kind": "attestation_suivi", "csrf_token": office.token},
            files={"file": ("attestation.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n", "application/pdf")},
        ),
        "address": admin.request(
            "POST",
            f"/api/members/members/{COMPANY_A}/addresses",
            json={"kind": "autre", "line1": "2 rue du Moulin", "postal_code": "68100", "city": "Mulhouse"},
        ),
        "slot": office.request(
            "POST",
            "/api/scheduling/slots",
            json={
                "centre": {"name": "Centre de Mulhouse", "address": "5 avenue Kennedy, 68100 Mulhouse"},
                "professional_kind": "infirmier",
                "professional_name": "Claire Weber",
                "starts_at": f"{clock.today() + datetime.timedelta(days=30)}T08:00:00+00:00",
                "duration_minutes": 30,
            },
        ),
        "card payment": admin.request("POST", f"/factures/{unpaid}/payer-par-carte", data={"csrf_token": admin.token}),
        "contact": admin.request(
            "POST", f"/api/members/members/{COMPANY_A}/contacts", json={"kind": "dirigeant", "name": "Paul Martin"}
        ),
        "document": admin.request(
            "POST",
            "/adherent/documents",
            data={"kind": "attestation", "title": "Attestation", "csrf_token": admin.token},
            files={"file": ("attestation.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n", "application/pdf")},
        ),
        "visit request": admin.request(
            "POST", "/api/scheduling/requests", json={"employee_id": employee, "visit_type": "demande"}
        ),
        "import": admin.request(
            "POST",
            "/api/workforce/imports",
            json={
                "file_name": "salaries.csv",
                "content_base64": base64.b64encode("Nom;Prénom\nDUPONT;Jean\n".encode()).decode(),
            },
        ),
        # A situation that leaves the company active when staff approve it during the matrix's writes.
        "change request": admin.request(
            "POST",
            f"/api/members/members/{COMPANY_A}/situation-changes",
            json={"kind": "redressement_judiciaire", "effective_date": clock.today().isoformat()},
        ),
    }
    for entry in ("address", "contact"):  # each waits for staff's validation (a change request): approve it
        if answers[entry].status_code < 400 and answers[entry].json()["decided_at"] is None:
            request_id = answers[entry].json()["id"]
            answers[f"{entry} approved"] = office.request(
                "POST", f"/api/members/change-requests/{request_id}/approve", json={}
            )
    failed = {what: (a.status_code, a.text[:300]) for what, a in answers.items() if a.status_code >= 400}
    assert failed == {}, failed
