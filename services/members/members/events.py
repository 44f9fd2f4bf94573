"""Event types the members service publishes (schemas in the shared catalogue)."""

MEMBER_REGISTERED = "members.member.registered.v1"
PUBLISHED = (MEMBER_REGISTERED,)
