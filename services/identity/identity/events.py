"""What the identity service publishes (nothing yet) and consumes, named from the shared catalogue."""

from portal_common.messaging.event_types import EventType

PRODUCER = "identity"
PUBLISHED: tuple[EventType, ...] = ()
# Members' companies feed the member directory (login by member number, "Changer d'adhérent", reset contacts).
# Workforce's campaign opening: each company's administrators are e-mailed (notices).
CONSUMED: tuple[EventType, ...] = (
    EventType.MEMBERS_MEMBER_REGISTERED,
    EventType.MEMBERS_MEMBER_UPDATED,
    EventType.WORKFORCE_CAMPAIGN_OPENED,
)
