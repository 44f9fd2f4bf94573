"""Fixtures of the identity service tests: a migrated PostgreSQL database, a movable clock, page helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest

from identity.accounts import queries as account_queries
from identity.accounts import use_cases as accounts
from identity.app import create_app
from identity.mfa import rules as mfa
from identity.mfa import use_cases as second_factor
from identity.models import TotpFactor
from identity.security_log import rules as security_log
from identity.worker import subscriptions
from portal_common import clock as portal_clock
from portal_common import passport
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.testing import service_fixtures

SERVICE_DIR = Path(__file__).resolve().parents[1]
identity_service, service = service_fixtures("identity", create_app, SERVICE_DIR)

PASSWORD = "une phrase de passe assez longue"
OWNER_MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"


class FrozenClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """Identity reads the time through `portal_common.clock.utcnow`: tests move it at will."""
    frozen = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(portal_clock, "utcnow", frozen)
    return frozen


@pytest.fixture
def smtp(portal_env: Any) -> Any:
    portal_env.smtp.clear()
    return portal_env.smtp


@dataclass
class Pages:
    """What a browser does through the gateway, for the identity pages."""

    service: Any

    @staticmethod
    def csrf(html: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def login(
        self, client: Any, identifier: str, password: str = PASSWORD, next_path: str = "/", address: str | None = None
    ) -> Any:
        """`address`: the client address the gateway reports (X-Real-IP), 127.0.0.1 by default."""
        token = self.csrf(client.get("/connexion").text)
        return client.post(
            "/connexion",
            data={"identifier": identifier, "password": password, "csrf_token": token, "next": next_path},
            headers={"X-Real-IP": address} if address else None,
        )

    def check(self, client: Any) -> tuple[int, Any]:
        """The gateway's session check: status and the identity it would pass on."""
        response = client.get("/internal/session")
        identity = passport.verify(response.headers.get(passport.HEADER), self.service.portal.settings.passport_keys)
        return response.status_code, identity

    def signed_in(self, client: Any) -> dict[str, str]:
        """The headers the gateway adds for the client's current session."""
        status, identity = self.check(client)
        assert status == 204
        return self.service.headers(identity)

    def post(
        self,
        client: Any,
        path: str,
        data: dict[str, Any],
        headers: dict[str, str] | None = None,
        form_path: str | None = None,
    ) -> Any:
        """Submit a form the way a browser does: read its page for the CSRF token first."""
        token = self.csrf(client.get(form_path or path, headers=headers).text)
        return client.post(path, data={**data, "csrf_token": token}, headers=headers)

    def step_up(self, client: Any, password: str = PASSWORD, code: str | None = None) -> Any:
        """Re-authenticate (password, or TOTP when the account has one): sensitive pages open for 5 minutes."""
        data = {"code": code} if code is not None else {"password": password}
        response = self.post(
            client, "/compte/verification", {**data, "next": "/compte"}, headers=self.signed_in(client)
        )
        assert response.status_code == 303, response.text
        return response

    def enrol_totp(self, user_id: str) -> str:
        """Give the account a confirmed TOTP factor, as its user would by scanning the QR code; returns the secret."""
        user = account_queries.get_user(self.service.portal, user_id)
        enrolment = second_factor.begin_enrolment(self.service.portal, user)
        assert (
            second_factor.confirm_enrolment(
                self.service.portal, user, self.totp(user_id, enrolment.secret), security_log.Client()
            )
            is not None
        )
        return enrolment.secret

    def totp(self, user_id: str, secret: str) -> str:
        """A code the app would show now, newer than the last one accepted (a code is never accepted twice)."""
        with self.service.portal.db.session_factory() as db:
            factor = db.get(TotpFactor, user_id)
            last = factor.last_step if factor is not None and factor.confirmed_at is not None else 0
        current = mfa.step_of(portal_clock.utcnow())
        step = max(current - mfa.VALID_WINDOW, last + 1)
        assert step <= current + mfa.VALID_WINDOW, "move the clock: every code of this minute has been used"
        return pyotp.TOTP(secret).at(step * mfa.STEP_SECONDS)

    def login_with_totp(self, client: Any, identifier: str, secret: str, user_id: str, password: str = PASSWORD) -> Any:
        response = self.login(client, identifier, password)
        assert response.headers["Location"].startswith("/connexion/double-authentification"), response.headers
        return self.post(
            client,
            "/connexion/double-authentification",
            {"code": self.totp(user_id, secret)},
            form_path=response.headers["Location"],
        )

    def register_member(self, member_id: str, number: str, name: str, **extra: Any) -> bool:
        consumer = Consumer(
            service="identity",
            db=self.service.portal.db,
            outbox=self.service.portal.outbox,
            broker_url="amqp://unused",
            exchange="portal.events",
            subscriptions=subscriptions(self.service.portal.settings),
        )
        event = catalogue.example_envelope(
            "members.member.registered.v1", member_id=member_id, member_number=number, name=name, **extra
        )
        return consumer.process("identity.member-directory", event)


@pytest.fixture
def pages(service: Any) -> Pages:
    return Pages(service)


@pytest.fixture
def member_id() -> str:
    """The owner's company, Boulangerie Martin, n° 1000001."""
    return OWNER_MEMBER


@pytest.fixture
def owner(service: Any, pages: Pages, member_id: str) -> Any:
    """The company's main account: logs in with 1000001 or chef@boulangerie.fr, administrator of it."""
    pages.register_member(member_id, "1000001", "Boulangerie Martin")
    user = accounts.create_user(
        service.portal,
        email="chef@boulangerie.fr",
        display_name="Paul Martin",
        password=PASSWORD,
        login_member_number="1000001",
    )
    accounts.link_member(service.portal, user_id=user.id, member_id=member_id, roles=("admin",))
    return user
