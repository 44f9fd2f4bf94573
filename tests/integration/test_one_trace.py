"""One employer action is one trace: a hire in workforce, its relay, scheduling's and billing's consumers.

The relay and the consumers run in threads of this process, as in test_hire_to_obligation; every span they
make goes to an in-memory exporter added to the process's tracer provider.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from portal_common import tracing
from portal_common.testing import make_principal

from ..conftest import consumer_for, relay_for
from .test_event_delivery import processed, register, wait_until
from .test_hire_to_obligation import DAY_WORKER, NIGHT_WORKER, obligations

pytestmark = pytest.mark.integration

HIRED = "workforce.employee.hired.v1"
_EXPORTER: list[InMemorySpanExporter] = []


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span ended in this process during the test (one exporter per process: a provider keeps its processors)."""
    provider = tracing.provider()
    assert provider is not None, "tracing is disabled (OTEL_SDK_DISABLED)"
    if not _EXPORTER:
        _EXPORTER.append(InMemorySpanExporter())
        tracing.export_to(SimpleSpanProcessor(_EXPORTER[0]))
    _EXPORTER[0].clear()
    yield _EXPORTER[0]
    _EXPORTER[0].clear()


def of_trace(exporter: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]


def service_of(span: ReadableSpan) -> str | None:
    return (span.attributes or {}).get(tracing.SERVICE_ATTRIBUTE)  # type: ignore[return-value]


def test_a_hire_is_one_trace_from_the_gateway_through_workforce_the_relay_scheduling_and_billing(
    clean_services, running, spans
):
    members, workforce, scheduling, billing = (
        clean_services[name] for name in ("members", "workforce", "scheduling", "billing")
    )
    for consumer_service in (scheduling, billing):
        consumer = consumer_for(consumer_service)
        running.start(consumer, app=consumer_service.app)
        assert consumer.ready.wait(30), "consumer did not connect"
    running.start(relay_for(members))
    running.start(relay_for(workforce))
    member_id = register(members, "73282932000074", "Boulangerie de nuit")["id"]
    employer = workforce.headers(make_principal(member_id=member_id, roles=("admin",)))

    # Each hire arrives as the gateway sends it: a traceparent whose trace id is the gateway's request id.
    traces = {}
    for person in (NIGHT_WORKER, DAY_WORKER):
        trace_id, gateway_span = secrets.token_hex(16), secrets.token_hex(8)
        response = workforce.client().post(
            "/api/workforce/employees",
            headers={**employer, "traceparent": f"00-{trace_id}-{gateway_span}-01"},
            json=person,
        )
        assert response.status_code == 201, response.json
        [event] = [e for e in workforce.events() if e.type == HIRED and e.subject == response.json["id"]]
        traces[event.id] = (int(trace_id, 16), int(gateway_span, 16))
    wait_until(lambda: all(processed(billing, event_id) == 1 for event_id in traces))
    wait_until(lambda: all(processed(scheduling, event_id) == 1 for event_id in traces))
    assert all(obligations(scheduling, e.subject) for e in workforce.events() if e.type == HIRED)

    for event_id, (trace_id, gateway_span) in traces.items():
        # Consumer spans end after their commit, which the inbox check above may see first.
        wait_until(
            lambda t=trace_id: {"scheduling-worker", "billing-worker"} <= {service_of(s) for s in of_trace(spans, t)}
        )
        trace = of_trace(spans, trace_id)
        by_id = {s.context.span_id: s for s in trace}
        [request] = [s for s in trace if s.kind == SpanKind.SERVER and service_of(s) == "workforce"]
        assert request.parent is not None and request.parent.span_id == gateway_span
        # The hire's SQL is inside the request's span.
        assert any(
            s.parent is not None and s.parent.span_id == request.context.span_id
            for s in trace
            if s.kind == SpanKind.CLIENT
        )

        [publish] = [
            s
            for s in trace
            if s.kind == SpanKind.PRODUCER and (s.attributes or {}).get("messaging.message.id") == event_id
        ]
        assert service_of(publish) == "workforce-relay"
        assert publish.parent is not None and publish.parent.span_id == request.context.span_id
        assert publish.status.is_ok

        handled = [
            s
            for s in trace
            if s.kind == SpanKind.CONSUMER and (s.attributes or {}).get("messaging.message.id") == event_id
        ]
        assert {service_of(s) for s in handled} == {"scheduling-worker", "billing-worker"}
        for span in handled:
            assert span.parent is not None and by_id[span.parent.span_id] is publish
            assert span.status.is_ok

        # Scheduling's writes are spans of its handling span; when both hires were applied in one transaction
        # (a batch), of the batch's span, which links to each message's context.
        [in_scheduling] = [s for s in handled if service_of(s) == "scheduling-worker"]
        if "messaging.batch.message_count" in (in_scheduling.attributes or {}):
            [work] = [
                s
                for s in spans.get_finished_spans()
                if service_of(s) == "scheduling-worker"
                and publish.context.span_id in [link.context.span_id for link in s.links]
            ]
        else:
            work = in_scheduling
        everything = spans.get_finished_spans()
        assert any(
            s.kind == SpanKind.CLIENT and s.parent and s.parent.span_id == work.context.span_id for s in everything
        )

    # Two actions, two traces: nothing of one leaks into the other.
    [first, second] = [trace_id for trace_id, _ in traces.values()]
    assert first != second
    assert not {s.context.span_id for s in of_trace(spans, first)} & {
        s.context.span_id for s in of_trace(spans, second)
    }
