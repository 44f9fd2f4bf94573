"""What the dead-letter tool shows of a message: identifiers, reason and first-death time, never the body."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pika

from portal_common.messaging.dlq import describe


def test_the_broker_first_death_time_is_the_oldest_x_death_entry():
    headers = {
        "x-first-death-reason": "delivery_limit",
        "x-death": [
            {"time": datetime(2026, 1, 9, 8, 0, tzinfo=UTC), "queue": "q"},
            {"time": datetime(2026, 1, 8, 7, 30, tzinfo=UTC), "queue": "q.retry"},
        ],
    }
    letter = describe(1, pika.BasicProperties(type="t.v1", message_id="e-1", headers=headers), b"{}")
    assert (letter.event_type, letter.event_id) == ("t.v1", "e-1")
    assert letter.first_death == "2026-01-08T07:30:00Z" and letter.reason == "delivery_limit"


def test_identifiers_missing_from_the_properties_are_read_from_the_body_and_nothing_else_is_kept():
    body = json.dumps({"id": "e-2", "type": "t.v1", "data": {"name": "Secret"}}).encode()
    letter = describe(2, pika.BasicProperties(headers={"x-portal-error": "invalid event"}), body)
    assert (letter.event_type, letter.event_id, letter.reason) == ("t.v1", "e-2", "invalid event")
    assert letter.first_death == "inconnue" and "Secret" not in repr(letter)
