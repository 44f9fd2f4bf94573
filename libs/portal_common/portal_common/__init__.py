"""Cross-cutting building blocks shared by every service of the member portal.

No business rule lives here: settings, database and unit of work, messaging (outbox, relay,
consumer), gateway identity and access rules, the page layout, logging, health and metrics,
shared validators and the pytest plugin.
"""

# marshmallow's messages in French before any service defines a schema (see french_errors).
from . import french_errors as _french_errors  # noqa: F401
