"""The trace context travels in log lines, outbox rows and AMQP headers (portal_common.tracing)."""

import json
import logging

from opentelemetry import trace

from portal_common import tracing
from portal_common.logging import JsonFormatter

GATEWAY = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def format_line(message):
    record = logging.LogRecord("portal.test", logging.INFO, __file__, 1, message, None, None)
    return json.loads(JsonFormatter("workforce").format(record))


def test_a_log_line_inside_a_span_carries_its_trace_id_and_outside_none():
    tracing.init_tracing("workforce")
    with tracing.span_in("hire", parent=tracing.context_from_headers({"traceparent": GATEWAY})) as span:
        line = format_line("employee hired")
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")
    assert "trace_id" not in format_line("idle")


def test_the_context_stored_with_an_outbox_row_becomes_the_parent_of_the_publish_and_rides_in_amqp_headers():
    tracing.init_tracing("workforce")
    with tracing.span_in("request", parent=tracing.context_from_headers({"traceparent": GATEWAY})) as request:
        stored = tracing.current_carrier()
    assert stored is not None and json.loads(stored)["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
    publish = tracing.start_span("publish", parent=tracing.context_from_stored(stored))
    headers = tracing.inject_headers({"x-portal-producer": "workforce"}, trace.set_span_in_context(publish))
    publish.end()
    # pika hands header values back as bytes or str: either way the consumer finds its parent.
    received = tracing.context_from_headers({key: value.encode() for key, value in headers.items()})
    parent = trace.get_current_span(received).get_span_context()
    assert parent.trace_id == request.get_span_context().trace_id
    assert parent.span_id == publish.get_span_context().span_id
    assert tracing.context_from_stored(None) is None and tracing.context_from_stored("not json") is None
    assert tracing.current_carrier() is None  # outside any span, a row stores nothing


def test_with_nothing_exporting_a_span_records_nothing_yet_its_ids_reach_the_log_line(monkeypatch):
    tracing.init_tracing("workforce")
    monkeypatch.setattr(tracing.RecordWhenExported, "exporting", False)
    with tracing.span_in("hire", parent=tracing.context_from_headers({"traceparent": GATEWAY})) as span:
        line = format_line("employee hired")
        stored = tracing.current_carrier()
    assert not span.is_recording()
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert stored is not None and "0af7651916cd43dd8448eb211c80319c" in stored
    monkeypatch.setattr(tracing.RecordWhenExported, "exporting", True)
    with tracing.span_in("hire") as recorded:
        assert recorded.is_recording()


def test_a_statement_makes_no_span_while_nothing_exports_and_a_recorded_child_of_the_request_once_something_does(
    monkeypatch,
):
    from sqlalchemy import create_engine, event

    tracing.init_tracing("workforce")
    engine = create_engine("sqlite://")
    tracing.instrument_engine(engine)
    spans = []
    event.listen(engine, "after_cursor_execute", lambda *args: spans.append(getattr(args[4], "_otel_span", None)))
    parent = tracing.context_from_headers({"traceparent": GATEWAY})
    for exporting in (False, True):
        monkeypatch.setattr(tracing.RecordWhenExported, "exporting", exporting)
        with tracing.span_in("request", parent=parent) as request, engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    without, with_export = spans
    assert without is None
    # Recorded (sampled, ended by the instrumentation after the statement), inside the request's span.
    assert with_export.context.trace_flags.sampled and with_export.end_time is not None
    assert with_export.parent.span_id == request.get_span_context().span_id
