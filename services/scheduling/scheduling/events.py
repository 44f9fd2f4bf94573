"""What the scheduling service publishes and consumes (schemas in the shared catalogue)."""

from portal_common.messaging.event_types import EventType

PUBLISHED = (
    EventType.SCHEDULING_APPOINTMENT_REQUESTED,
    EventType.SCHEDULING_APPOINTMENT_SCHEDULED,
    EventType.SCHEDULING_APPOINTMENT_CANCELLED,
    EventType.SCHEDULING_APPOINTMENT_RESCHEDULED,
    EventType.SCHEDULING_APPOINTMENT_ATTENDED,
    EventType.SCHEDULING_APPOINTMENT_MISSED,
    EventType.SCHEDULING_APPOINTMENT_OUTCOME_CORRECTED,
    EventType.SCHEDULING_DOCUMENT_PUBLISHED,
)
# The directory: companies from members, employees from workforce (one queue, applied in their order).
CONSUMED = (
    EventType.MEMBERS_MEMBER_REGISTERED,
    EventType.MEMBERS_MEMBER_UPDATED,
    EventType.MEMBERS_CONTACT_CHANGED,
    EventType.MEMBERS_ADDRESS_CHANGED,
    EventType.WORKFORCE_EMPLOYEE_HIRED,
    EventType.WORKFORCE_EMPLOYEE_UPDATED,
    EventType.WORKFORCE_EMPLOYEE_POST_CHANGED,
    EventType.WORKFORCE_EMPLOYEE_EXITED,
)
