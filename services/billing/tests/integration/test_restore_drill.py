"""The restore drill of docs/runbook.md, run for real: dump billing's database, drop it, restore it; the portal
works, every billing invariant holds and numbering goes on without a gap."""

import uuid

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from billing.app import create_app
from billing.customers.use_cases import seed_customer
from billing.ledger.queries import violations
from billing.models import Invoice
from billing.tariffs.use_cases import save_tariff
from billing.worker import DECLARATIONS_QUEUE, subscriptions
from portal_common import backup
from portal_common.messaging.consumer import Consumer
from portal_common.messaging.envelope import Envelope
from portal_common.testing import make_principal

from ..conftest import MEMBER_A, SERVICE_DIR, TARIFF_2026

pytestmark = pytest.mark.integration


def declare(drill, member_id):
    consumer = Consumer(
        service="billing",
        db=drill.portal.db,
        outbox=drill.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(drill.portal.settings),
    )
    declaration = str(uuid.uuid4())
    event = Envelope.new(
        "workforce.declaration.confirmed.v1",
        producer="workforce",
        subject=declaration,
        member_id=member_id,
        data={
            "declaration_id": declaration,
            "member_id": member_id,
            "year": 2026,
            "headcount": {"SI": 10, "SIA": 2, "SIR": 1},
            "multi_employer": {"SI": 0, "SIA": 0, "SIR": 0},
            "total": 13,
            "confirmed_at": "2026-01-20T09:30:00Z",
            "version": 1,
        },
    )
    assert consumer.process(DECLARATIONS_QUEUE, event)


def numbers(drill):
    with drill.portal.db.session_factory() as session:
        return list(session.scalars(select(Invoice.number).order_by(Invoice.number)))


def test_billing_restored_from_its_dump_after_the_database_was_dropped_works_and_keeps_its_invariants(
    portal_env, snapshot, tmp_path
):
    # Its own database: the drill drops it.
    drill = portal_env.service("billing", create_app, SERVICE_DIR, PORTAL_TEST_PURPOSE="restore-drill")
    save_tariff(drill.portal, TARIFF_2026, by="test")
    seed_customer(drill.portal, snapshot(MEMBER_A))
    other = str(uuid.uuid4())
    seed_customer(drill.portal, snapshot(other, name="Transports Keller"))
    declare(drill, MEMBER_A)
    reader = drill.headers(make_principal(member_id=MEMBER_A, roles=("billing",)))
    before = drill.client().get(f"/api/billing/members/{MEMBER_A}/account", headers=reader).json
    assert before["due"] != "0.00" and numbers(drill) == ["F2026-000001"]

    dump = tmp_path / "billing.dump"
    backup.main(["--service", "billing", "--database-url", drill.database_url, "dump", str(dump)])
    drill.portal.db.engine.dispose()
    name = make_url(drill.database_url).database
    with psycopg.connect(portal_env.pg_admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    with pytest.raises(ProgrammingError):  # the data is gone
        numbers(drill)
    drill.portal.db.engine.dispose()
    backup.main(["--service", "billing", "--database-url", drill.database_url, "restore", str(dump)])
    drill.portal.db.engine.dispose()

    after = drill.client().get(f"/api/billing/members/{MEMBER_A}/account", headers=reader)
    assert after.status_code == 200 and after.json == before
    with drill.portal.db.session_factory() as session:
        assert violations(session) == []
    declare(drill, other)  # the restored sequence goes on: no gap, no duplicate number
    assert numbers(drill) == ["F2026-000001", "F2026-000002"]
