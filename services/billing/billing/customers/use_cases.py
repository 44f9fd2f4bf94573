"""Keeping billing's copy of the member companies: snapshots, SEPA mandates and situations from members'
events (in the consumer's transaction), and the demo's seeding."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy.orm import Session

from portal_common.clock import utcnow
from portal_common.service import Portal

from ..models import BillingCustomer
from ..sepa.rules import NO_DEBIT_SITUATIONS
from ..sepa.use_cases.adjustments import cancel_pending_debits
from .rules import CustomerNotYetKnown, CustomerSnapshot, MandateStatus

log = logging.getLogger(__name__)


def apply_customer_snapshot(session: Session, snapshot: CustomerSnapshot) -> bool:
    """Keep the read model at the newest version seen; False when the snapshot is stale or repeated.

    Runs inside the consumer's transaction (which commits with the inbox row), so it never commits.
    """
    customer = session.get(BillingCustomer, snapshot.member_id)
    if customer is not None and snapshot.version <= customer.version:
        return False
    if customer is None:
        customer = BillingCustomer(member_id=snapshot.member_id)
        session.add(customer)
    for name, value in snapshot.fields().items():
        setattr(customer, name, value)
    customer.updated_at = utcnow()
    session.flush()
    return True


def seed_customer(portal: Portal, snapshot: CustomerSnapshot) -> bool:
    """Demo and recovery: add a customer only if billing has never heard of it."""
    with portal.uow() as tx:
        if tx.session.get(BillingCustomer, snapshot.member_id) is not None:
            return False
        applied = apply_customer_snapshot(tx.session, snapshot)
        tx.commit()
        return applied


def _customer(session: Session, member_id: str) -> BillingCustomer:
    customer = session.get(BillingCustomer, member_id, with_for_update=True)
    if customer is None:
        raise CustomerNotYetKnown(member_id)
    return customer


def sign_mandate(session: Session, member_id: str, *, reference: str, signed_on: date, version: int) -> None:
    """The company's mandate is active: its next invoices get the SEPA discount and are debited."""
    customer = _customer(session, member_id)
    if version <= (customer.mandate_version or 0):
        return  # stale or repeated: a later signature or revocation already applied
    if customer.mandate_reference and customer.mandate_reference != reference:
        cancel_pending_debits(session, customer.member_id)  # planned under the replaced mandate
    customer.mandate_reference, customer.mandate_status = reference, MandateStatus.ACTIVE
    customer.mandate_signed_on = signed_on
    customer.mandate_version, customer.updated_at = version, utcnow()


def revoke_mandate(session: Session, member_id: str, *, version: int) -> None:
    """No more debits under this mandate: pending ones are cancelled, future invoices lose the discount."""
    customer = _customer(session, member_id)
    if version <= (customer.mandate_version or 0):
        return
    customer.mandate_status, customer.mandate_version, customer.updated_at = MandateStatus.REVOKED, version, utcnow()
    cancel_pending_debits(session, customer.member_id)


def change_situation(session: Session, member_id: str, *, kind: str, effective_on: date, version: int) -> None:
    """Keep the company's situation; under collective proceedings billing stops debiting it."""
    customer = _customer(session, member_id)
    if version <= (customer.situation_version or 0):
        return
    customer.situation_kind = kind
    customer.situation_effective_on = effective_on
    customer.situation_version, customer.updated_at = version, utcnow()
    if kind in NO_DEBIT_SITUATIONS:
        cancel_pending_debits(session, customer.member_id)
        log.info("sepa debits stopped: collective proceedings", extra={"member_id": customer.member_id})
