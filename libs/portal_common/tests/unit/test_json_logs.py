"""Logs are JSON lines carrying the ids that follow a request through services and events."""

import json
import logging

from portal_common import context
from portal_common.logging import JsonFormatter


def format_line(message, **extra):
    record = logging.LogRecord("portal.test", logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return JsonFormatter("members").format(record)


def test_a_log_line_carries_the_request_correlation_and_event_ids():
    with context.bound(request_id="req-1", correlation_id="corr-1", event_id="evt-1"):
        line = json.loads(format_line("event handled", queue="identity.member-directory"))
    assert (line["service"], line["request_id"], line["correlation_id"], line["event_id"]) == (
        "members",
        "req-1",
        "corr-1",
        "evt-1",
    )
    assert line["queue"] == "identity.member-directory"


def test_a_forged_line_break_cannot_inject_a_second_log_line():
    line = format_line('login for "x"\n{"level": "CRITICAL", "message": "forged"}')
    assert "\n" not in line
    assert json.loads(line)["level"] == "INFO"
