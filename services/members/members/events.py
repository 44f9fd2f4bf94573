"""Event types the members service publishes (schemas in the shared catalogue)."""

MEMBER_REGISTERED = "members.member.registered.v1"
MEMBER_UPDATED = "members.member.updated.v1"
SITUATION_CHANGED = "members.situation.changed.v1"
MANDATE_SIGNED = "members.mandate.signed.v1"
PUBLISHED = (MEMBER_REGISTERED, MEMBER_UPDATED, SITUATION_CHANGED, MANDATE_SIGNED)
