"""Event types the identity service publishes (none yet: accounts events come with the identity issue)."""

PUBLISHED: tuple[str, ...] = ()
