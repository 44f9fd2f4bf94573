"""Errors of the services' domain rules, free of Flask and SQLAlchemy."""

from __future__ import annotations


class FieldErrors(Exception):
    """Carries French messages per field, shown next to the fields or in a 422.

    `str()` names the fields only, never the messages: a message may quote what was typed (a NIR).
    `status` and `reason` are what an API client receives: the HTTP status and a stable machine-readable code
    beside the French messages (docs/architecture.md, "Concurrency and retries").
    """

    # Where an API client finds the fields: the JSON body unless a query's arguments were refused.
    location = "json"
    status = 422
    reason = "invalid_fields"

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(errors))
        self.errors = errors


class Conflict(FieldErrors):
    """The request is fine but the state refuses it: the thing exists already, or was decided meanwhile (409).

    `existing_id` names the resource that won, so a client retrying after a timeout finds what it created.
    """

    status = 409
    reason = "conflict"

    def __init__(self, errors: dict[str, str], *, existing_id: str | None = None, reason: str | None = None):
        super().__init__(errors)
        self.existing_id = existing_id
        if reason is not None:
            self.reason = reason
