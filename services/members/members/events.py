"""Event types the members service publishes (schemas in the shared catalogue)."""

MEMBER_REGISTERED = "members.member.registered.v1"
MEMBER_UPDATED = "members.member.updated.v1"
ADDRESS_CHANGED = "members.address.changed.v1"
CONTACT_CHANGED = "members.contact.changed.v1"
SITUATION_CHANGED = "members.situation.changed.v1"
SEPA_MANDATE_SIGNED = "members.sepa_mandate.signed.v1"
SEPA_MANDATE_REVOKED = "members.sepa_mandate.revoked.v1"
PUBLISHED = (MEMBER_REGISTERED, MEMBER_UPDATED, ADDRESS_CHANGED, CONTACT_CHANGED, SITUATION_CHANGED,
             SEPA_MANDATE_SIGNED, SEPA_MANDATE_REVOKED)
