"""Events the workforce service consumes."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from portal_common.messaging.consumer import Subscription
from portal_common.messaging.envelope import Envelope

from .declarations import CEASING_KINDS, CONFIRMED, INVOICED
from .models import HeadcountDeclaration, MemberDirectoryEntry

MEMBER_REGISTERED = "members.member.registered.v1"
MEMBER_UPDATED = "members.member.updated.v1"
SITUATION_CHANGED = "members.situation.changed.v1"
INVOICE_ISSUED = "billing.invoice.issued.v1"
DIRECTORY_QUEUE = "workforce.member-directory"
INVOICES_QUEUE = "workforce.declaration-invoices"
# Who receives the declaration campaign e-mail, in this order; the billing address when none has an e-mail.
DECLARATION_CONTACT_KINDS = ("responsable_rh", "dirigeant", "responsable_etablissement")


def declaration_email(data: dict) -> str | None:
    contacts = [c for c in data.get("contacts") or [] if c.get("email")]
    for kind in DECLARATION_CONTACT_KINDS:
        for contact in contacts:
            if contact["kind"] == kind:
                return contact["email"][:254]
    return (data.get("billing_email") or None) and data["billing_email"][:254]


def on_member_registered(session: Session, event: Envelope) -> None:
    """Keeps the member directory (registered and updated snapshots); an older version changes nothing."""
    data = event.data
    entry = session.get(MemberDirectoryEntry, data["member_id"])
    if entry is None:
        entry = MemberDirectoryEntry(member_id=data["member_id"])
        session.add(entry)
    elif entry.version >= data["version"]:
        return
    entry.member_number = data["member_number"]
    entry.name = data["name"]
    entry.status = data["status"]
    entry.declaration_email = declaration_email(data)
    entry.version = data["version"]


def on_situation_changed(session: Session, event: Envelope) -> None:
    """A company that ceased (from its effective date) has no declaration to enter any more."""
    data = event.data
    entry = session.get(MemberDirectoryEntry, data["member_id"])
    if entry is None:  # the registration has not arrived yet: the consumer retries later
        raise LookupError("member not yet in the directory")
    if entry.situation_version is not None and entry.situation_version >= data["version"]:
        return
    entry.situation_version = data["version"]
    if data["kind"] in CEASING_KINDS:
        entry.ceased_kind, entry.ceased_on = data["kind"], date.fromisoformat(data["effective_date"])


def on_invoice_issued(session: Session, event: Envelope) -> None:
    """The annual invoice of a confirmed declaration: the declaration shows "Facturée"."""
    data = event.data
    if not data.get("declaration_id") or data["kind"] == "avoir":
        return
    row = session.get(HeadcountDeclaration, data["declaration_id"])
    if row is None or row.member_id != data["member_id"] or row.status != CONFIRMED:
        return
    row.status, row.invoice_id, row.invoice_number = INVOICED, data["invoice_id"], data["number"]
    row.invoiced_on = date.fromisoformat(data["issued_on"])
    row.version += 1


SUBSCRIPTIONS = [
    Subscription(DIRECTORY_QUEUE, {MEMBER_REGISTERED: on_member_registered, MEMBER_UPDATED: on_member_registered,
                                   SITUATION_CHANGED: on_situation_changed}),
    Subscription(INVOICES_QUEUE, {INVOICE_ISSUED: on_invoice_issued}),
]
