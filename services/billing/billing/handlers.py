"""Events the billing service consumes: the member directory, confirmed declarations to invoice, campaign
closings (estimated invoices), missed appointments (no-show fees) and hires (late-hire fees)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from portal_common.formats import PARIS
from portal_common.messaging.consumer import PermanentError, Subscription
from portal_common.messaging.envelope import Envelope

from . import automatic, member_events, services
from .annual import Declaration, DeclarationInvalid
from .domain import CustomerSnapshot
from .estimates import CampaignClosed
from .fees import FeeEventInvalid, Hire, MissedAppointment

MEMBER_REGISTERED = "members.member.registered.v1"
# Ops manifests scale billing workers on the depth of the billing.* queues.
MEMBER_DIRECTORY_QUEUE = "billing.member-directory"
DECLARATION_CONFIRMED = "workforce.declaration.confirmed.v1"
# The queue KEDA watches to scale billing workers during the January rush (deploy/k8s/billing-worker.yaml).
DECLARATIONS_QUEUE = "billing.headcount-declarations"
DECLARATIONS_BATCH = 100
CAMPAIGN_CLOSED = "workforce.campaign.closed.v1"
CAMPAIGNS_QUEUE = "billing.campaign-closings"
APPOINTMENT_MISSED = "scheduling.appointment.missed.v1"
NO_SHOWS_QUEUE = "billing.no-shows"
EMPLOYEE_HIRED = "workforce.employee.hired.v1"
LATE_HIRES_QUEUE = "billing.late-hires"
# Every hire reaches this queue: a steady hiring rate is applied by batches (a hire waits up to 200 ms for
# others to join; nobody waits on a late-hire fee) rather than one transaction per hire.
LATE_HIRES_BATCH = 100
LATE_HIRES_BATCH_WAIT_MS = 200
UNUSABLE = (DeclarationInvalid, FeeEventInvalid, KeyError, TypeError, ValueError)


def snapshot_from_member_event(data: dict) -> CustomerSnapshot:
    address = data["address"]
    return CustomerSnapshot(
        member_id=data["member_id"], member_number=data["member_number"], name=data["name"], siret=data["siret"],
        address_line1=address["line1"], address_line2=address.get("line2"), postal_code=address["postal_code"],
        city=address["city"], billing_email=data.get("billing_email"), status=data["status"],
        version=data["version"],
    )


def on_member_registered(session: Session, event: Envelope) -> None:
    """Remember who billing may invoice; stale or repeated versions change nothing."""
    services.apply_customer_snapshot(session, snapshot_from_member_event(event.data))


def on_declaration_confirmed(session: Session, event: Envelope) -> None:
    """Issue the annual invoice; a repeated delivery, even under another event id, issues nothing."""
    try:
        declaration = Declaration.from_event(event.data)
    except (DeclarationInvalid, KeyError, TypeError, ValueError) as exc:
        raise PermanentError(f"unusable declaration: {type(exc).__name__}") from exc
    services.number_at_commit(session)  # the sequence is locked only for the commit (of a whole batch)
    services.invoice_declaration(session, declaration, confirmed_on=confirmed_on(event))
    automatic.bill_pending_hires(session, declaration.member_id, declaration.year)


def on_declarations_confirmed(session: Session, events: list[Envelope]) -> None:
    """A batch of declarations (the January rush): the same as on_declaration_confirmed for each, at once."""
    received = []
    for event in events:
        try:
            declaration = Declaration.from_event(event.data)
        except (DeclarationInvalid, KeyError, TypeError, ValueError) as exc:
            raise PermanentError(f"unusable declaration: {type(exc).__name__}") from exc
        received.append((declaration, confirmed_on(event), event.id, event.correlation_id))
    services.invoice_declarations(session, received)


def confirmed_on(event: Envelope) -> date:
    """The day (Paris time) the declaration was confirmed: its confirmed_at, else when the event occurred."""
    moment = datetime.fromisoformat(str(event.data.get("confirmed_at") or event.occurred_at).replace("Z", "+00:00"))
    return moment.astimezone(PARIS).date()


def on_campaign_closed(session: Session, event: Envelope) -> None:
    """Estimated invoices for the members who did not declare; a repeated closing estimates nobody twice."""
    try:
        closed = CampaignClosed.from_event(event.data)
    except UNUSABLE as exc:
        raise PermanentError(f"unusable campaign closing: {type(exc).__name__}") from exc
    automatic.estimate_undeclared(session, closed)


def on_appointment_missed(session: Session, event: Envelope) -> None:
    """The no-show fee, once per appointment."""
    try:
        missed = MissedAppointment.from_event(event.data)
    except UNUSABLE as exc:
        raise PermanentError(f"unusable missed appointment: {type(exc).__name__}") from exc
    automatic.invoice_no_show(session, missed)


def on_employee_hired(session: Session, event: Envelope) -> None:
    """The late-hire fee for a hire after 1 January of a year the company declared (kept until the
    declaration arrives when the hire overtakes it)."""
    try:
        hire = Hire.from_event(event.data)
    except UNUSABLE as exc:
        raise PermanentError(f"unusable hire: {type(exc).__name__}") from exc
    automatic.invoice_late_hire(session, hire)


def on_employees_hired(session: Session, events: list[Envelope]) -> None:
    """A batch of hires in one transaction and a few statements (an unusable one fails the batch, which the
    consumer then handles one by one: that hire alone is dead-lettered)."""
    try:
        hires = [Hire.from_event(event.data) for event in events]
    except UNUSABLE as exc:
        raise PermanentError(f"unusable hire: {type(exc).__name__}") from exc
    automatic.invoice_late_hires(session, hires)


SUBSCRIPTIONS = [
    # Member updates, SEPA mandates and situation changes ride the member directory's queue (member_events.py).
    Subscription(MEMBER_DIRECTORY_QUEUE, {MEMBER_REGISTERED: on_member_registered, **member_events.HANDLERS}),
    # The January rush: declarations are invoiced by batches, one transaction each (consumer.Subscription).
    Subscription(DECLARATIONS_QUEUE, {DECLARATION_CONFIRMED: on_declaration_confirmed},
                 batch_size=DECLARATIONS_BATCH, batch_handler=on_declarations_confirmed),
    Subscription(CAMPAIGNS_QUEUE, {CAMPAIGN_CLOSED: on_campaign_closed}),
    Subscription(NO_SHOWS_QUEUE, {APPOINTMENT_MISSED: on_appointment_missed}),
    Subscription(LATE_HIRES_QUEUE, {EMPLOYEE_HIRED: on_employee_hired},
                 batch_size=LATE_HIRES_BATCH, batch_wait_ms=LATE_HIRES_BATCH_WAIT_MS,
                 batch_handler=on_employees_hired),
]
