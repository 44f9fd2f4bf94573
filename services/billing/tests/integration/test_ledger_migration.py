"""Migration 0005 brings a 0004 database into the ledger: the balances members saw stay, the invoices marked
paid without a payment get their payment (printed), credit notes stop being payable, and the audit then finds
nothing; duplicate live annual fees stop it with their numbers."""

import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from billing.ledger.queries import account_in, violations
from portal_common.migrations import upgrade

pytestmark = pytest.mark.integration

SERVICE_DIR = Path(__file__).resolve().parents[2]
MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"


@pytest.fixture
def old_database(service):
    """A fresh database of its own, migrated to revision 0004 (before the ledger)."""
    admin = service.database_url.replace("postgresql+psycopg://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    name = f"billing_migration_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = service.database_url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(SERVICE_DIR, url, "0004")
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def invoice_row(number, kind, total, paid, status, *, period="2026", corrects=None):
    return {
        "id": str(uuid.uuid4()),
        "number": number,
        "kind": kind,
        "period": period,
        "total": Decimal(total),
        "paid": Decimal(paid),
        "status": status,
        "corrects": corrects,
    }


def insert(conn, row):
    conn.execute(
        text(
            """
            INSERT INTO invoice (id, member_id, number, kind, issued_on, due_on, period, amount_excl_tax, vat_rate,
                vat_amount, amount_incl_tax, amount_paid, status, created_at, version, corrects_invoice_id)
            VALUES (:id, :member, :number, :kind, '2026-02-15', '2026-03-17', :period, :total, 0, 0, :total,
                :paid, :status, now(), 1, :corrects)
            """
        ),
        dict(row, member=MEMBER),
    )


def seed(url, rows):
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                INSERT INTO billing_customer (member_id, member_number, name, siret, address_line1, postal_code,
                    city, status, version, updated_at)
                VALUES (:member, '1000001', 'Boulangerie Martin', '73282932000074', '12 rue de la Gare', '68100',
                    'MULHOUSE', 'active', 1, now())
                """
            ),
            {"member": MEMBER},
        )
        for row in rows:
            insert(conn, row)
        conn.execute(text("INSERT INTO invoice_sequence (year, last_number) VALUES (2026, :n)"), {"n": len(rows)})
    engine.dispose()


def test_the_migration_gives_paid_invoices_their_payment_and_keeps_every_balance(old_database, capsys):
    paid_2025 = invoice_row("F2026-000001", "cotisation", "1458.20", "1458.20", "acquittee", period="2025")
    open_2026 = invoice_row("F2026-000002", "cotisation", "1401.84", "0.00", "a_payer")
    note = invoice_row("F2026-000003", "avoir", "-116.82", "-116.82", "acquittee", corrects=open_2026["id"])
    open_2026["paid"], open_2026["status"] = Decimal("116.82"), "partiellement_payee"
    seed(old_database, [paid_2025, open_2026, note])
    upgrade(SERVICE_DIR, old_database)
    printed = capsys.readouterr().out
    assert "invoice F2026-000001 was paid 1458.20 without a payment record: payment entry added" in printed
    assert "1 credit note(s) no longer shown as payable" in printed
    engine = create_engine(old_database)
    with Session(engine) as session:
        held = account_in(session, MEMBER)
        # What « Mes factures » showed: 1 285,02 € left on the 2026 invoice, the 2025 one paid.
        assert (held.balance, held.due, held.credit) == (Decimal("1285.02"), Decimal("1285.02"), Decimal("0.00"))
        assert violations(session) == []
        assert session.scalar(text("SELECT status FROM invoice WHERE id = :id"), {"id": note["id"]}) == "avoir"
    engine.dispose()


def test_the_migration_stops_on_two_live_annual_invoices_and_names_them(old_database):
    seed(
        old_database,
        [
            invoice_row("F2026-000001", "cotisation", "1401.84", "0.00", "a_payer"),
            invoice_row("F2026-000002", "cotisation", "1699.20", "0.00", "a_payer"),
        ],
    )
    with pytest.raises(RuntimeError, match="F2026-000001, F2026-000002"):
        upgrade(SERVICE_DIR, old_database)
