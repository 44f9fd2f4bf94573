"""Event types the members service publishes and consumes (schemas in the shared catalogue)."""

from portal_common.messaging.event_types import EventType

PRODUCER = "members"
PUBLISHED = (
    EventType.MEMBERS_MEMBER_REGISTERED,
    EventType.MEMBERS_MEMBER_UPDATED,
    EventType.MEMBERS_ADDRESS_CHANGED,
    EventType.MEMBERS_CONTACT_CHANGED,
    EventType.MEMBERS_SITUATION_CHANGED,
    EventType.MEMBERS_SEPA_MANDATE_SIGNED,
    EventType.MEMBERS_SEPA_MANDATE_REVOKED,
)
CONSUMED = (
    EventType.WORKFORCE_EMPLOYEE_HIRED,
    EventType.WORKFORCE_EMPLOYEE_EXITED,
    EventType.BILLING_INVOICE_ISSUED,
    EventType.BILLING_CREDIT_NOTE_ISSUED,
    EventType.SCHEDULING_DOCUMENT_PUBLISHED,
)
