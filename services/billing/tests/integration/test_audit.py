"""`python -m billing.audit`: a fresh demo finds nothing; each broken invariant is printed and exits 1.

The duplicate annual invoice and the payable credit note cannot be written while the database's constraints
stand: those tests drop them inside a transaction they roll back, as an old or restored database would be."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from billing import audit, demo
from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from billing.ledger.queries import violations
from portal_stack import demo_data

pytestmark = pytest.mark.integration


def annual(member_id, *, period="2026", kind="cotisation"):
    return IssueCommand(
        member_id=member_id,
        kind=kind,
        issued_on=date(2026, 2, 15),
        period=period,
        lines=(LineInput("Cotisation annuelle", Decimal("12"), Decimal("97.35")),),
    )


def test_a_fresh_demo_passes_the_audit_with_exit_code_zero(service, capsys):
    demo.load(service.portal, demo_data.build())
    assert audit.main(["--database-url", service.database_url]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no violation" in captured.err


def test_a_ledger_mismatch_and_a_numbering_gap_are_printed_and_exit_one(service, customers, capsys):
    member_a, _ = customers
    first = issue_invoice(service.portal, annual(member_a))
    issue_invoice(service.portal, annual(member_a, kind="absence"))
    with service.portal.db.session_factory() as session:
        # Paid by hand without a payment (what the old demo did), and a number taken out of the sequence.
        session.execute(
            text("UPDATE invoice SET amount_paid = 100, status = 'partiellement_payee' WHERE id = :id"),
            {"id": first.id},
        )
        session.execute(text("UPDATE invoice SET number = 'F2026-000005' WHERE number = 'F2026-000002'"))
        session.commit()
    assert audit.main(["--database-url", service.database_url]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "ledger-balance-mismatch\tF2026-000001\tshows 100.00 paid, the ledger 0.00" in lines
    assert any(line.startswith("numbering-gap\t2026\t1 number(s) missing: F2026-000002") for line in lines)
    assert any(line.startswith("numbering-gap\t2026\t1 number(s) beyond") for line in lines)


def test_a_duplicate_live_annual_invoice_and_a_payable_credit_note_are_found(service, customers):
    member_a, _ = customers
    invoice = issue_invoice(service.portal, annual(member_a))
    note = issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_a,
            kind="avoir",
            issued_on=date(2026, 3, 1),
            lines=(LineInput("Geste commercial", Decimal("1"), Decimal("-10.00")),),
        ),
    )
    with service.portal.db.session_factory() as session:
        assert violations(session) == []
        session.execute(text("DROP INDEX uq_invoice_live_annual"))
        session.execute(text("ALTER TABLE invoice DROP CONSTRAINT ck_invoice_credit_note_not_payable"))
        session.execute(
            text(
                """
                INSERT INTO invoice (id, member_id, number, kind, issued_on, due_on, period, amount_excl_tax,
                    vat_rate, vat_amount, amount_incl_tax, amount_paid, status, created_at, version)
                SELECT '00000000-0000-4000-8000-000000000001', member_id, 'F2026-000003', kind, issued_on, due_on,
                    period, amount_excl_tax, vat_rate, vat_amount, amount_incl_tax, 0, 'a_payer', created_at, 1
                FROM invoice WHERE id = :id
                """
            ),
            {"id": invoice.id},
        )
        session.execute(text("UPDATE invoice SET status = 'a_payer' WHERE id = :id"), {"id": note.id})
        found = {(v.kind, v.subject) for v in violations(session)}
        session.rollback()
    assert ("duplicate-live-annual-invoice", f"{member_a} 2026") in found
    assert ("payable-credit-note", note.number) in found


def test_the_demo_on_the_embedded_sqlite_default_passes_the_audit_and_a_mismatch_there_is_found(
    portal_env, tmp_path, capsys
):
    from billing.app import create_app
    from portal_common.migrations import upgrade

    from ..conftest import SERVICE_DIR

    url = f"sqlite:///{tmp_path}/billing.db"
    upgrade(SERVICE_DIR, url)  # what `make run` does, without PORTAL_POSTGRES_URL
    app = create_app(environ=portal_env.environ("billing", url))
    demo.load(app.extensions["portal"], demo_data.build())
    assert audit.main(["--database-url", url]) == 0
    assert "no violation" in capsys.readouterr().err
    with app.extensions["portal"].db.session_factory() as session:
        # A payment's ledger entry lost (what a hand edit or a bad restore does): the figures no longer agree.
        session.execute(text("DELETE FROM ledger_entry WHERE payment_id IS NOT NULL"))
        session.commit()
    assert audit.main(["--database-url", url]) == 1
    assert "ledger-balance-mismatch" in capsys.readouterr().out
