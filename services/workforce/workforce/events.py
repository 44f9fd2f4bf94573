"""What the workforce service publishes and consumes, named from the shared catalogue."""

from __future__ import annotations

from portal_common.messaging.event_types import EventType

PRODUCER = "workforce"

PUBLISHED = (
    EventType.WORKFORCE_EMPLOYEE_HIRED,
    EventType.WORKFORCE_EMPLOYEE_UPDATED,
    EventType.WORKFORCE_EMPLOYEE_POST_CHANGED,
    EventType.WORKFORCE_EMPLOYEE_EXITED,
    EventType.WORKFORCE_CAMPAIGN_OPENED,
    EventType.WORKFORCE_CAMPAIGN_CLOSED,
    EventType.WORKFORCE_DECLARATION_CONFIRMED,
)
CONSUMED = (
    EventType.MEMBERS_MEMBER_REGISTERED,
    EventType.MEMBERS_MEMBER_UPDATED,
    EventType.MEMBERS_SITUATION_CHANGED,
    EventType.BILLING_INVOICE_ISSUED,
)
