"""What the billing service publishes and consumes, named from the shared catalogue (schemas there)."""

from portal_common.messaging.event_types import EventType

PRODUCER = "billing"
PUBLISHED = (EventType.BILLING_INVOICE_ISSUED, EventType.BILLING_INVOICE_PAID, EventType.BILLING_CREDIT_NOTE_ISSUED)
CONSUMED = (
    EventType.MEMBERS_MEMBER_REGISTERED,
    EventType.MEMBERS_MEMBER_UPDATED,
    EventType.MEMBERS_SEPA_MANDATE_SIGNED,
    EventType.MEMBERS_SEPA_MANDATE_REVOKED,
    EventType.MEMBERS_SITUATION_CHANGED,
    EventType.WORKFORCE_DECLARATION_CONFIRMED,
    EventType.WORKFORCE_CAMPAIGN_CLOSED,
    EventType.SCHEDULING_APPOINTMENT_MISSED,
    EventType.SCHEDULING_APPOINTMENT_OUTCOME_CORRECTED,
    EventType.WORKFORCE_EMPLOYEE_HIRED,
)
