"""The billing invariants the database holds, on the embedded SQLite default that `make run` starts: one live
annual fee per member and year (a replacement only once the first is cancelled), a credit note never payable."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from billing.app import create_app
from billing.credit_notes.use_cases import issue_credit_note
from billing.customers.use_cases import seed_customer
from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from billing.models import Invoice, Payment
from portal_common.migrations import upgrade

pytestmark = pytest.mark.integration

SERVICE_DIR = Path(__file__).resolve().parents[2]
ANNUAL = (LineInput("Cotisation annuelle 2026", Decimal("12"), Decimal("97.35")),)


@pytest.fixture
def sqlite_billing(portal_env, tmp_path, snapshot):
    url = f"sqlite:///{tmp_path}/billing.db"
    upgrade(SERVICE_DIR, url)
    app = create_app(environ=portal_env.environ("billing", url))
    portal = app.extensions["portal"]
    seed_customer(portal, snapshot())
    yield portal
    portal.db.dispose()


def test_sqlite_refuses_a_second_live_annual_fee_until_the_first_is_cancelled(sqlite_billing, snapshot):
    portal, member = sqlite_billing, snapshot().member_id
    first = issue_invoice(portal, IssueCommand(member_id=member, kind="cotisation", period="2026", lines=ANNUAL))
    with portal.db.session_factory() as session:
        twin = {c.key: getattr(first, c.key) for c in Invoice.__table__.columns}
        twin.update(id=str(uuid.uuid4()), number="F2026-999999", source_key=None, kind="facture_office")
        with pytest.raises(IntegrityError):
            session.execute(Invoice.__table__.insert(), twin)
        session.rollback()
    issue_credit_note(portal, first.id, label="Remplacée", amount_excl_tax=None, cancel_all=True)
    replacement = issue_invoice(portal, IssueCommand(member_id=member, kind="cotisation", period="2026", lines=ANNUAL))
    assert replacement.number != first.number


def test_sqlite_refuses_any_payment_of_a_credit_note(sqlite_billing, snapshot):
    portal, member = sqlite_billing, snapshot().member_id
    note = issue_invoice(
        portal,
        IssueCommand(
            member_id=member, kind="avoir", lines=(LineInput("Geste commercial", Decimal("1"), Decimal("-10.00")),)
        ),
    )
    with portal.db.session_factory() as session:
        with pytest.raises(IntegrityError, match="never payable"):
            session.execute(
                Payment.__table__.insert(),
                {
                    "id": str(uuid.uuid4()),
                    "invoice_id": note.id,
                    "member_id": member,
                    "method": "virement",
                    "amount": Decimal("12.00"),
                    "applied_amount": Decimal("12.00"),
                    "received_on": note.issued_on,
                    "recorded_by": "test",
                    "created_at": note.created_at,
                },
            )
        session.rollback()
        with pytest.raises(IntegrityError):
            session.execute(text("UPDATE invoice SET status = 'a_payer' WHERE id = :id"), {"id": note.id})
        session.rollback()
