"""Fixtures of the billing service tests: a migrated PostgreSQL database, known customers, and the real members
service over HTTP (where billing reads mandates' IBANs)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from billing.app import create_app
from billing.customers.rules import CustomerSnapshot
from billing.customers.use_cases import seed_customer
from billing.tariffs.rules import Tariff
from billing.tariffs.use_cases import save_tariff
from billing.worker import subscriptions
from portal_common.messaging.consumer import Consumer
from portal_common.messaging.envelope import Envelope
from portal_common.testing import make_principal, service_fixtures

SERVICE_DIR = Path(__file__).resolve().parents[1]
MEMBER_A = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
MEMBER_B = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Card payments: the local provider and the billing app are real HTTP servers on these ports, so the
# provider's server-to-server notification travels over HTTP like in production.
CARD_SIGNING_KEY = "test-card-signing-key-" + "z" * 32
CARD_PROVIDER_PORT, BILLING_HTTP_PORT, MEMBERS_HTTP_PORT = free_port(), free_port(), free_port()
billing_service, service = service_fixtures(
    "billing",
    create_app,
    SERVICE_DIR,
    PORTAL_MEMBERS_URL=f"http://127.0.0.1:{MEMBERS_HTTP_PORT}",
    BILLING_CARD_SIGNING_KEY=CARD_SIGNING_KEY,
    BILLING_CARD_PROVIDER_URL=f"http://127.0.0.1:{CARD_PROVIDER_PORT}",
    BILLING_CARD_NOTIFY_URL=f"http://127.0.0.1:{BILLING_HTTP_PORT}/paiement-carte/notification",
)


@pytest.fixture(scope="session")
def card_provider():
    """The local test provider (portal_stack.payment_provider) as a real HTTP server."""
    from portal_stack.payment_provider import PaymentProvider, RunningProvider

    running = RunningProvider(PaymentProvider(CARD_SIGNING_KEY), port=CARD_PROVIDER_PORT).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def billing_http(billing_service):
    """The billing app served over HTTP (threads), where the provider posts its notifications."""
    server = make_server("127.0.0.1", BILLING_HTTP_PORT, billing_service.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="billing-http", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{BILLING_HTTP_PORT}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def snapshot() -> Callable[..., CustomerSnapshot]:
    """Builds a customer as the members service describes it."""

    def build(member_id: str = MEMBER_A, *, name: str = "Boulangerie Martin", version: int = 1) -> CustomerSnapshot:
        return CustomerSnapshot(
            member_id=member_id,
            member_number="1000001",
            name=name,
            siret="73282932000074",
            address_line1="12 rue de la Gare",
            address_line2=None,
            postal_code="68100",
            city="MULHOUSE",
            billing_email="compta@boulangerie-martin.fr",
            status="active",
            version=version,
        )

    return build


@pytest.fixture
def customers(service, snapshot) -> tuple[str, str]:
    """Two member companies billing knows of: A and B."""
    for member_id in (MEMBER_A, MEMBER_B):
        seed_customer(service.portal, snapshot(member_id))
    return MEMBER_A, MEMBER_B


TARIFF_2026 = Tariff(
    year=2026,
    per_capita_fee=Decimal("97.35"),
    national_average_cost=None,
    entry_fee=Decimal("30.00"),
    minimum_fee=Decimal("150.00"),
    late_hire_fee=Decimal("97.35"),
    no_show_fee=Decimal("50.00"),
)


@pytest.fixture
def tariff_2026(service) -> Tariff:
    """The 2026 fees: 97,35 € per employee, 30 € entry fee, 150 € minimum, 1,5 % SEPA discount, 20 % VAT."""
    return save_tariff(service.portal, TARIFF_2026, by="test")


def serve(app, port: int, name: str):
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope="session")
def members_http(portal_env):
    """The real members service (its own migrated database) over HTTP, where billing reads mandates' IBANs."""
    from members.app import create_app as create_members_app

    # It asks billing (served by billing_http) for the SEPA discount its opt-in page shows.
    members = portal_env.service(
        "members",
        create_members_app,
        SERVICE_DIR.parent / "members",
        PORTAL_BILLING_URL=f"http://127.0.0.1:{BILLING_HTTP_PORT}",
    )
    server, thread = serve(members.app, MEMBERS_HTTP_PORT, "members-http")
    yield members
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def members(members_http):
    """The members service, emptied after each test."""
    yield members_http
    members_http.truncate()


@pytest.fixture
def billing_consumer(service) -> Consumer:
    """Billing's event consumer, fed by hand with `process(queue, envelope)` (no broker)."""
    return Consumer(
        service="billing",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )


MANDATE_IBAN = "FR76 3000 6000 0112 3456 7890 189"


@pytest.fixture
def register_at_members(members) -> Callable[[str], None]:
    """Registers the company (Boulangerie Martin) at the real members service under the given id."""
    from members.registration import use_cases as member_services
    from members.registration.rules import Registration

    def register(member_id: str) -> None:
        member_services.register_member(
            members.portal,
            Registration(
                name="Boulangerie Martin",
                siret="73282932000074",
                naf_code="10.71C",
                address_line1="12 rue de la Gare",
                address_line2=None,
                postal_code="68100",
                city="Mulhouse",
                email="contact@example.fr",
                phone="03 89 12 34 56",
                billing_email="compta@boulangerie-martin.fr",
                adhesion_date=date(2015, 3, 1),
            ),
            member_id=member_id,
            member_number="1000001",
        )

    return register


@pytest.fixture
def sign_mandate_at_members(members, register_at_members) -> Callable[..., Envelope]:
    """The company registers at members and signs its mandate (IBAN MANDATE_IBAN, a BIC if given), staff validate
    it: returns the `members.sepa_mandate.signed.v1` event members published."""

    def sign(member_id: str, *, bic: str | None = None) -> Envelope:
        register_at_members(member_id)
        client = members.client()
        admin = members.headers(make_principal(member_id=member_id, roles=("admin",), grants=("step_up",)))
        staff = members.headers(make_principal(staff_roles=("secretariat",)))
        mandate = {"iban": MANDATE_IBAN, "holder": "Boulangerie Martin", "email": "compta@boulangerie-martin.fr"}
        if bic is not None:
            mandate["bic"] = bic
        signed = client.post(
            f"/api/members/members/{member_id}/sepa-mandate", headers=admin, json={**mandate, "consent": True}
        )
        assert signed.status_code == 201, signed.json
        [request] = client.get("/api/members/change-requests", headers=staff).json
        approved = client.post(f"/api/members/change-requests/{request['id']}/approve", json={}, headers=staff)
        assert approved.status_code == 200
        [event] = [e for e in members.events() if e.type == "members.sepa_mandate.signed.v1"]
        return event

    return sign
