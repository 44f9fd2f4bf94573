"""Invoice numbers: in order, without gap or duplicate, even with concurrent issuers (PostgreSQL)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from billing.invoices import event_data
from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from billing.models import Invoice, InvoiceSequence

pytestmark = pytest.mark.integration

WORKERS = 8
PER_WORKER = 6


def command(member_id, issued_on=date(2026, 2, 15)):
    return IssueCommand(
        member_id=member_id,
        kind="absence",
        issued_on=issued_on,
        lines=(LineInput("Cotisation annuelle", Decimal("3"), Decimal("116.00")),),
    )


def stored_invoices(service):
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(Invoice).order_by(Invoice.created_at)))


def test_eight_concurrent_issuers_get_numbers_one_to_n_without_gap_or_duplicate(service, customers):
    member_a, member_b = customers
    start = threading.Barrier(WORKERS)

    def worker(rank):
        start.wait()  # every thread races for the sequence row at the same moment
        return [
            issue_invoice(service.portal, command(member_a if rank % 2 else member_b)).number for _ in range(PER_WORKER)
        ]

    with ThreadPoolExecutor(WORKERS) as pool:
        numbers = [number for batch in pool.map(worker, range(WORKERS)) for number in batch]

    total = WORKERS * PER_WORKER
    assert sorted(numbers) == [f"F2026-{rank:06d}" for rank in range(1, total + 1)]
    # In order: the later an invoice was created, the higher its number.
    assert [invoice.number for invoice in stored_invoices(service)] == sorted(numbers)
    with service.portal.db.session_factory() as session:
        assert session.get(InvoiceSequence, 2026).last_number == total
    assert len(service.events()) == total


def test_each_year_has_its_own_sequence_following_the_issue_date(service, customers):
    member_a, _ = customers
    issued = [
        issue_invoice(service.portal, command(member_a, day)).number
        for day in (date(2025, 12, 31), date(2026, 1, 2), date(2025, 12, 31), date(2026, 1, 3))
    ]
    assert issued == ["F2025-000001", "F2026-000001", "F2025-000002", "F2026-000002"]


def test_an_issue_that_fails_after_taking_a_number_gives_the_number_back(service, customers, monkeypatch):
    member_a, _ = customers

    def broken_event(invoice):
        raise RuntimeError("outbox unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(event_data, "issued_event", broken_event)
        with pytest.raises(RuntimeError):
            issue_invoice(service.portal, command(member_a))
    assert stored_invoices(service) == []
    assert issue_invoice(service.portal, command(member_a)).number == "F2026-000001"
