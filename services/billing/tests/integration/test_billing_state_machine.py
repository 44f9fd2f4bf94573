"""Random sequences of everything that moves money, against PostgreSQL, checking after every step that the
figures every page shows are the ledger's and that the billing invariants hold (docs/domain.md « Invariants
de facturation »).

Steps: declare, declare late (after the closing), close the campaign, hire after the declaration, no-show,
partial and full credit note, card payment (accepted, refused, overpaid, replayed or forged notification),
staff payment (above what is due: refused), SEPA pre-notification and export, settlement at the collection
date, SEPA reject (in flight or collected), refund, refund by SEPA transfer and its pain.001 file, offset.

CI runs a bounded number of examples; a long campaign (README « Billing invariants »):
    BILLING_MACHINE_EXAMPLES=500 BILLING_MACHINE_STEPS=60 .venv/bin/python -m pytest \
        services/billing/tests/integration/test_billing_state_machine.py -q -s --timeout=0
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from billing.credit_notes.rules import CreditNoteRejected
from billing.credit_notes.use_cases import issue_credit_note
from billing.customers.use_cases import seed_customer
from billing.invoices.rules import InvoiceKind
from billing.ledger.queries import account_in, violations
from billing.ledger.rules import RefundRejected
from billing.ledger.use_cases import apply_credit, refund_credit
from billing.models import CardPayment, Invoice, LedgerEntry, Payment, RefundBatch, RefundTransfer, SepaDebit
from billing.payments.card import CardPaymentRefused
from billing.payments.provider import Notification, NotificationRejected
from billing.payments.rules import PaymentInput, PaymentRejected
from billing.payments.use_cases import apply_notification, record_payment, start_card_payment
from billing.refunds.rules import RefundBatchError, TransferRejected, TransferStatus
from billing.refunds.use_cases import export_transfers, request_transfer
from billing.sepa.rules import DebitStatus, SepaBatchError
from billing.sepa.use_cases.debits import create_batch, plan_debits, reject_debit, settle_due_debits
from billing.tariffs.use_cases import save_tariff
from billing.worker import (
    CAMPAIGNS_QUEUE,
    DECLARATIONS_QUEUE,
    LATE_HIRES_QUEUE,
    MEMBER_DIRECTORY_QUEUE,
    NO_SHOWS_QUEUE,
)
from portal_common.clock import today
from portal_common.messaging import catalogue
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("BILLING_MACHINE_EXAMPLES", "6"))
STEPS = int(os.environ.get("BILLING_MACHINE_STEPS", "20"))
YEAR = 2026
NBSP, NNBSP = "\u00a0", "\u202f"
BILLING_STAFF = make_principal(staff_roles=("billing",))


def money(text: str) -> Decimal:
    """« -1 234,56 € » as a Decimal."""
    return Decimal(text.replace(NNBSP, "").replace(NBSP, "").replace("€", "").replace(",", ".").strip())


def test_random_billing_sequences_keep_every_figure_on_the_ledger_and_every_invariant(
    service, customers, snapshot, tariff_2026, billing_consumer, sign_mandate_at_members
):
    member_a, member_b = customers
    mandate = sign_mandate_at_members(member_a)
    companies = (member_a, member_b)
    ran = {"examples": 0, "steps": 0, "invoices": 0}

    class BillingMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            service.truncate()
            for member in companies:
                seed_customer(service.portal, snapshot(member))
            save_tariff(service.portal, tariff_2026, by="test")
            self.consumer = billing_consumer
            # Company A debits by SEPA: the mandate members announced, replayed into the emptied database.
            assert self.consumer.process(MEMBER_DIRECTORY_QUEUE, mandate)
            ran["examples"] += 1
            self.closed = False
            self.notifications: list[Notification] = []
            # The latest day the settlement ran for: no debit is collected before it reaches its date.
            self.settled_until = today()

        # --- facts arriving from other services ---------------------------------------------------------------

        @rule(member=st.sampled_from(companies), headcount=st.integers(0, 30))
        def declare(self, member, headcount):
            self._declare(member, headcount)

        @precondition(lambda self: self.closed)
        @rule(member=st.sampled_from(companies), headcount=st.integers(1, 30))
        def declare_late(self, member, headcount):
            """Confirmed after the closing (workforce says late): the facture d'office promised it, so none of
            the member's factures d'office of the year is left live, and its fee is the declared one."""
            self._declare(member, headcount, late=True)
            with service.portal.db.session_factory() as session:
                live = list(
                    session.scalars(
                        select(Invoice.kind).where(
                            Invoice.member_id == member,
                            Invoice.period == str(YEAR),
                            Invoice.kind.in_((InvoiceKind.ESTIMATE, InvoiceKind.ANNUAL_FEE)),
                            Invoice.cancelled_by_id.is_(None),
                        )
                    )
                )
            assert live == [InvoiceKind.ANNUAL_FEE], live

        def _declare(self, member, headcount, *, late=False):
            event = catalogue.example_envelope(
                "workforce.declaration.confirmed.v1",
                declaration_id=str(uuid.uuid4()),
                member_id=member,
                year=YEAR,
                headcount={"SI": headcount, "SIA": 0, "SIR": 0},
                multi_employer={"SI": 0, "SIA": 0, "SIR": 0},
                total=headcount,
                late=late,
            )
            self.consumer.process(DECLARATIONS_QUEUE, event)

        @rule(sizes=st.tuples(st.integers(0, 20), st.integers(0, 20)))
        def close_the_campaign(self, sizes):
            event = catalogue.example_envelope(
                "workforce.campaign.closed.v1",
                year=YEAR,
                undeclared=[
                    {
                        "member_id": member,
                        "headcount": {"SI": size, "SIA": 0, "SIR": 0},
                        "multi_employer": {"SI": 0, "SIA": 0, "SIR": 0},
                    }
                    for member, size in zip(companies, sizes)
                ],
            )
            self.consumer.process(CAMPAIGNS_QUEUE, event)
            self.closed = True

        @rule(member=st.sampled_from(companies), days_ago=st.integers(0, 200))
        def hire_after_the_declaration(self, member, days_ago):
            event = catalogue.example_envelope(
                "workforce.employee.hired.v1",
                employee_id=str(uuid.uuid4()),
                member_id=member,
                hire_date=(today() - timedelta(days=days_ago)).isoformat(),
            )
            self.consumer.process(LATE_HIRES_QUEUE, event)

        @rule(member=st.sampled_from(companies))
        def no_show(self, member):
            event = catalogue.example_envelope(
                "scheduling.appointment.missed.v1",
                appointment_id=str(uuid.uuid4()),
                member_id=member,
                starts_at=f"{YEAR}-06-15T08:30:00Z",
            )
            self.consumer.process(NO_SHOWS_QUEUE, event)

        # --- staff and members acting ---------------------------------------------------------------------------

        def _invoices(self, *, open_only=False):
            with service.portal.db.session_factory() as session:
                stmt = select(Invoice).where(Invoice.kind != InvoiceKind.CREDIT_NOTE).order_by(Invoice.number)
                found = list(session.scalars(stmt))
            return [i for i in found if not open_only or i.amount_due > 0]

        @rule(pick=st.integers(0, 50), share=st.sampled_from(["0.10", "0.50", "all"]))
        def credit_note(self, pick, share):
            invoices = self._invoices()
            if not invoices:
                return
            invoice = invoices[pick % len(invoices)]
            amount = None if share == "all" else (invoice.amount_excl_tax * Decimal(share)).quantize(Decimal("0.01"))
            try:
                issue_credit_note(
                    service.portal, invoice.id, label="Correction", amount_excl_tax=amount, cancel_all=share == "all"
                )
            except CreditNoteRejected:  # nothing left to credit, or more than what is left
                pass

        @rule(pick=st.integers(0, 50), outcome=st.sampled_from(["paid", "refused", "overpaid"]))
        def card_payment(self, pick, outcome):
            invoices = self._invoices(open_only=True)
            if not invoices:
                return
            invoice = invoices[pick % len(invoices)]
            try:
                attempt = start_card_payment(service.portal, invoice.id, member_id=invoice.member_id, by="member")
            except CardPaymentRefused:  # in litigation
                return
            amount = attempt.amount + (Decimal("25.00") if outcome == "overpaid" else Decimal(0))
            notification = Notification(
                reference=attempt.reference,
                transaction_id=uuid.uuid4().hex[:20],
                status="refused" if outcome == "refused" else "paid",
                amount=amount,
                paid_at=f"{today().isoformat()}T10:00:00Z",
            )
            apply_notification(service.portal, notification)
            self.notifications.append(notification)

        @precondition(lambda self: self.notifications)
        @rule(pick=st.integers(0, 50))
        def replayed_notification(self, pick):
            with pytest.raises(NotificationRejected):
                apply_notification(service.portal, self.notifications[pick % len(self.notifications)])

        @rule()
        def forged_notification(self):
            with service.portal.db.session_factory() as session:
                attempt = session.scalars(select(CardPayment)).first()
            reference = attempt.reference if attempt else "CB0000"
            answer = service.client().post(
                "/paiement-carte/notification",
                data={"reference": reference, "status": "paid", "amount": "100", "signature": "forged"},
            )
            assert 400 <= answer.status_code < 500

        @rule(pick=st.integers(0, 50), share=st.sampled_from(["0.30", "1", "1.10"]))
        def staff_payment(self, pick, share):
            invoices = self._invoices(open_only=True)
            if not invoices:
                return
            invoice = invoices[pick % len(invoices)]
            amount = max((invoice.amount_due * Decimal(share)).quantize(Decimal("0.01")), Decimal("0.01"))
            payment = PaymentInput(method="virement", amount=amount, received_on=today(), reference="VIR")
            try:
                record_payment(service.portal, invoice.id, payment, by="staff")
            except PaymentRejected as refused:  # above what is due: refused with the amount allowed
                assert amount > invoice.amount_due and "au plus" in refused.errors["amount"]

        @rule()
        def sepa_prenotification(self):
            plan_debits(service.portal)

        @rule()
        def sepa_export(self):
            try:
                create_batch(service.portal, until=today() + timedelta(days=800), by="staff")
            except SepaBatchError:
                pass

        @rule(days=st.sampled_from([0, 30, 800]))
        def sepa_settlement(self, days):
            """The worker's settlement on some day: only the debits whose collection date has come."""
            day = today() + timedelta(days=days)
            settle_due_debits(service.portal, on=day)
            self.settled_until = max(self.settled_until, day)

        @rule(pick=st.integers(0, 50))
        def sepa_reject(self, pick):
            """The bank returns a debit, in flight or already collected."""
            with service.portal.db.session_factory() as session:
                sent = list(
                    session.scalars(
                        select(SepaDebit.id).where(SepaDebit.status.in_((DebitStatus.SENT, DebitStatus.COLLECTED)))
                    )
                )
            if sent:
                reject_debit(service.portal, sorted(sent)[pick % len(sent)], by="staff")

        @rule(member=st.sampled_from(companies), share=st.sampled_from(["0.5", "1", "2"]))
        def refund(self, member, share):
            with service.portal.db.session_factory() as session:
                credit = account_in(session, member).credit
            amount = max((credit * Decimal(share)).quantize(Decimal("0.01")), Decimal("0.01"))
            try:
                refund_credit(service.portal, member, amount, by="staff")
            except RefundRejected as refused:
                assert amount > credit and "au plus" in refused.errors["amount"]

        @rule(member=st.sampled_from(companies), share=st.sampled_from(["0.5", "1", "2"]))
        def refund_by_transfer(self, member, share):
            """Staff ask for a refund by SEPA transfer (company A has a mandate, B none): it waits for the file."""
            with service.portal.db.session_factory() as session:
                credit = account_in(session, member).credit
            amount = max((credit * Decimal(share)).quantize(Decimal("0.01")), Decimal("0.01"))
            try:
                request_transfer(service.portal, member, amount, by="staff")
            except TransferRejected as refused:
                message = refused.errors["amount"]
                assert member != member_a or amount > credit or "attend déjà" in message, message

        @rule()
        def refund_transfer_file(self):
            """The pain.001 file: each waiting transfer becomes a refund entry, for at most the credit left."""
            try:
                export_transfers(service.portal, execution_date=today(), by="staff")
            except RefundBatchError:
                pass

        @rule(pick=st.integers(0, 50))
        def offset(self, pick):
            invoices = self._invoices(open_only=True)
            if invoices:
                try:
                    apply_credit(service.portal, invoices[pick % len(invoices)].id, by="staff")
                except RefundRejected:
                    pass

        # --- after every step ---------------------------------------------------------------------------------

        @invariant()
        def the_database_holds_every_billing_invariant(self):
            ran["steps"] += 1
            with service.portal.db.session_factory() as session:
                assert violations(session) == []
                ran["invoices"] = max(ran["invoices"], session.query(Invoice).count())

        @invariant()
        def every_figure_shown_is_the_ledgers(self):
            client = service.client()
            for member in companies:
                with service.portal.db.session_factory() as session:
                    held = account_in(session, member)
                    ledger_sum = sum(
                        session.scalars(select(LedgerEntry.amount).where(LedgerEntry.member_id == member)),
                        Decimal("0.00"),
                    )
                assert held.balance == ledger_sum and held.credit >= 0
                reader = service.headers(make_principal(member_id=member, roles=("billing",)))
                statement = client.get("/factures/echeancier", headers=reader).text
                balances = re.findall(r'<td class="number">([^<]*)</td>\s*</tr>', statement.split("</tbody>")[0])
                assert (money(balances[-1]) if balances else Decimal("0.00")) == held.balance
                shown = money(
                    re.search(
                        r"(?:Solde restant dû|Solde créditeur) : ([^<(]*)", client.get("/factures", headers=reader).text
                    ).group(1)
                )
                assert shown == abs(held.balance)
                listed = client.get(
                    f"/api/billing/invoices?member_id={member}&per_page=100", headers=service.headers(BILLING_STAFF)
                ).json
                assert sum(Decimal(i["amount_due"]) for i in listed) == held.due
                # A debit in flight is pending, never paid: the pages and the API say so, from the same figure.
                assert sum(Decimal(i["amount_debit_in_flight"]) for i in listed) == held.pending
                with service.portal.db.session_factory() as session:
                    in_flight = sum(
                        session.scalars(
                            select(SepaDebit.amount).where(
                                SepaDebit.member_id == member, SepaDebit.status == DebitStatus.SENT
                            )
                        ),
                        Decimal("0.00"),
                    )
                    # A collected debit is paid on its collection date, once the settlement has reached it.
                    early = session.scalar(
                        select(func.count())
                        .select_from(SepaDebit)
                        .join(Payment, Payment.id == SepaDebit.payment_id)
                        .where(
                            SepaDebit.member_id == member,
                            (Payment.received_on != SepaDebit.collection_date)
                            | (SepaDebit.collection_date > self.settled_until),
                        )
                    )
                assert held.pending == in_flight and early == 0
                if held.pending > 0:
                    assert "Prélèvement en cours" in client.get("/factures/echeancier", headers=reader).text
                # A transfer in a pain.001 file is the member's refund entry, for the same amount; its file's
                # control sum is the sum of its transfers.
                with service.portal.db.session_factory() as session:
                    for transfer, entry in session.execute(
                        select(RefundTransfer, LedgerEntry)
                        .join(LedgerEntry, LedgerEntry.id == RefundTransfer.ledger_entry_id)
                        .where(RefundTransfer.member_id == member)
                    ):
                        assert transfer.status == TransferStatus.SENT
                        assert (entry.kind, entry.amount, entry.member_id) == ("remboursement", transfer.amount, member)
                    for batch in session.scalars(select(RefundBatch)):
                        carried = session.scalars(
                            select(RefundTransfer.amount).where(RefundTransfer.batch_id == batch.id)
                        ).all()
                        assert (len(carried), sum(carried, Decimal("0.00"))) == (
                            batch.transaction_count,
                            batch.control_sum,
                        )
                for document in listed:
                    assert Decimal(document["amount_due"]) >= 0
                    if document["kind"] == InvoiceKind.CREDIT_NOTE:
                        assert (document["status"], document["amount_due"]) == ("avoir", "0.00")

    run_state_machine_as_test(
        BillingMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # The figures of a campaign, for its note (pytest -s shows them).
    print(f"billing machine: {ran['examples']} examples, {ran['steps']} checks, up to {ran['invoices']} documents")
