"""Errors of the services' domain rules, free of Flask and SQLAlchemy."""

from __future__ import annotations


class FieldErrors(Exception):
    """Carries French messages per field, shown next to the fields or in a 422.

    `str()` names the fields only, never the messages: a message may quote what was typed (a NIR).
    """

    # Where an API client finds the fields: the JSON body unless a query's arguments were refused.
    location = "json"

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(errors))
        self.errors = errors
