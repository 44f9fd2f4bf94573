"""Migration 0007 brings an older database's SEPA debits to « en cours until the collection date », on
PostgreSQL and on SQLite (make run's embedded default): a sent debit past its date with its payment becomes
collected; one still ahead had been paid too early, so its payment and ledger entry are withdrawn and the invoice
owes it again (printed for the operator); the debit states are then held by the database."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing.ledger.queries import account_in, violations
from portal_common.clock import today
from portal_common.migrations import upgrade

pytestmark = pytest.mark.integration

SERVICE_DIR = Path(__file__).resolve().parents[2]
MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["postgresql", "sqlite"])
def database_at_0006(request, service, tmp_path):
    """A database of its own on each engine, migrated to revision 0006 (before debits « en cours »)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/billing.db"
        upgrade(SERVICE_DIR, url, "0006")
        yield url
        return
    admin = service.database_url.replace("postgresql+psycopg://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    name = f"billing_migration_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = service.database_url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(SERVICE_DIR, url, "0006")
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(conn, *, past, ahead):
    """One 2026 invoice of 1 200 € in two instalments, both sent to the bank in one file and, as 0006 did,
    recorded as paid at once: the first's collection date has passed, the second's has not."""
    params = {"member": MEMBER, "now": NOW}
    conn.execute(
        text(
            """
            INSERT INTO billing_customer (member_id, member_number, name, siret, address_line1, postal_code, city,
                status, version, updated_at, mandate_status, mandate_reference)
            VALUES (:member, '1000001', 'Boulangerie Martin', '73282932000074', '12 rue de la Gare', '68100',
                'MULHOUSE', 'active', 1, :now, 'active', 'RUM-1000001-01')
            """
        ),
        params,
    )
    invoice = str(uuid.uuid4())
    conn.execute(
        text(
            """
            INSERT INTO invoice (id, member_id, number, kind, issued_on, due_on, period, amount_excl_tax, vat_rate,
                vat_amount, amount_incl_tax, amount_paid, status, created_at, version)
            VALUES (:id, :member, 'F2026-000001', 'cotisation', '2026-02-15', '2026-03-17', '2026', 1200, 0, 0,
                1200, 1200, 'acquittee', :now, 1)
            """
        ),
        dict(params, id=invoice),
    )
    conn.execute(text("INSERT INTO invoice_sequence (year, last_number) VALUES (2026, 1)"))
    conn.execute(
        text(
            "INSERT INTO ledger_entry (id, member_id, kind, booked_on, amount, applied_amount, document_id, label,"
            " recorded_by, created_at) VALUES (:id, :member, 'facture', '2026-02-15', 1200, 0, :invoice,"
            " 'Facture 2026', 'facturation', :now)"
        ),
        dict(params, id=str(uuid.uuid4()), invoice=invoice),
    )
    batch = str(uuid.uuid4())
    conn.execute(
        text(
            "INSERT INTO sepa_batch (id, message_id, collection_date, transaction_count, control_sum, created_by,"
            " created_at) VALUES (:id, 'SDD-OLD-1', :ahead, 2, 1200, 'staff', :now)"
        ),
        dict(params, id=batch, ahead=ahead),
    )
    debits = {}
    for position, collection in ((1, past), (2, ahead)):
        instalment, payment, debit = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        conn.execute(
            text(
                "INSERT INTO instalment (id, invoice_id, position, due_on, amount)"
                " VALUES (:id, :invoice, :position, :due, 600)"
            ),
            {"id": instalment, "invoice": invoice, "position": position, "due": collection},
        )
        conn.execute(
            text(
                "INSERT INTO payment (id, invoice_id, member_id, method, amount, applied_amount, received_on,"
                " reference, recorded_by, created_at) VALUES (:id, :invoice, :member, 'prelevement', 600, 600,"
                " :on, 'SEPA', 'prelevement-sepa', :now)"
            ),
            dict(params, id=payment, invoice=invoice, on=collection),
        )
        conn.execute(
            text(
                "INSERT INTO ledger_entry (id, member_id, kind, booked_on, amount, applied_amount, settles_invoice_id,"
                " payment_id, label, recorded_by, created_at) VALUES (:id, :member, 'prelevement', :on, -600, 600,"
                " :invoice, :payment, 'Prélèvement SEPA', 'prelevement-sepa', :now)"
            ),
            dict(params, id=str(uuid.uuid4()), on=collection, invoice=invoice, payment=payment),
        )
        conn.execute(
            text(
                "INSERT INTO sepa_debit (id, instalment_id, invoice_id, member_id, mandate_reference, amount,"
                " collection_date, sequence_type, status, prenotified_on, batch_id, created_at, payment_id)"
                " VALUES (:id, :instalment, :invoice, :member, 'RUM-1000001-01', 600, :on, 'RCUR', 'transmis',"
                " '2026-01-02', :batch, :now, :payment)"
            ),
            dict(
                params,
                id=debit,
                instalment=instalment,
                invoice=invoice,
                on=collection,
                batch=batch,
                payment=payment,
            ),
        )
        debits[position] = debit
    return invoice, debits


def test_the_migration_keeps_a_debit_en_cours_until_its_date_on_both_engines_and_its_states_are_held(
    database_at_0006, capsys
):
    url = database_at_0006
    engine = create_engine(url)
    past, ahead = today() - timedelta(days=3), today() + timedelta(days=20)
    with engine.begin() as conn:
        invoice, debits = seed(conn, past=past, ahead=ahead)
    engine.dispose()

    upgrade(SERVICE_DIR, url, "0007")

    printed = capsys.readouterr().out
    assert "invoice F2026-000001: SEPA debit of" in printed and "no longer recorded as paid before its date" in printed
    assert "1 SEPA debit(s) sent and past their collection date marked collected" in printed
    engine = create_engine(url)
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT id, status FROM sepa_debit")).all())
        assert states == {debits[1]: "encaisse", debits[2]: "transmis"}
        early = conn.execute(text("SELECT payment_id FROM sepa_debit WHERE id = :id"), {"id": debits[2]}).scalar()
        assert early is None
        assert conn.execute(text("SELECT count(*) FROM payment")).scalar() == 1
        paid, status = conn.execute(
            text("SELECT amount_paid, status FROM invoice WHERE id = :id"), {"id": invoice}
        ).one()
        assert (Decimal(paid), status) == (Decimal("600"), "partiellement_payee")
    with Session(engine) as session:
        # The account says what is really owed: the debit still ahead is « en cours », not paid.
        held = account_in(session, MEMBER)
        assert (held.balance, held.due, held.pending) == (Decimal("600.00"), Decimal("600.00"), Decimal("600.00"))
        assert violations(session) == []

    # The debit states are held by the database itself (the CHECK 0007 adds), SQLite included.
    for broken in (
        "UPDATE sepa_debit SET batch_id = NULL WHERE id = :id",  # sent without a file
        "UPDATE sepa_debit SET status = 'encaisse' WHERE id = :id",  # collected without a payment
        "UPDATE sepa_debit SET status = 'prenotifie' WHERE id = :id",  # announced yet in a file
        "UPDATE sepa_debit SET status = 'perdu' WHERE id = :id",  # no such state
    ):
        with engine.connect() as conn, pytest.raises(IntegrityError):
            conn.execute(text(broken), {"id": debits[2]})
            conn.commit()
    engine.dispose()
