"""OpenTelemetry tracing: one user action is one trace, from the gateway through every service and event.

- The gateway sends a W3C `traceparent` whose trace id is its request id; each service's server span continues it
  (`instrument_app`) and SQLAlchemy's instrumentation adds a span per statement.
- `Outbox.record` stores the current context with the row (`outbox.trace_context`); the relay publishes each row
  in a span that is the stored context's child and puts its own context in the AMQP headers; the consumer handles
  each event in a span that is the message's child. Log lines carry the trace id (`portal_common.logging`).
- Spans leave the process only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (OTLP over HTTP, batched). Otherwise
  nothing records them: each is a non-recording span whose ids still travel and reach the logs, so a process
  that exports nothing does not pay for attributes, timings and per-statement spans nobody reads (a page of
  « Accueil », each invoice of the January rush). `OTEL_SDK_DISABLED=true` turns it all off.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

if TYPE_CHECKING:
    from flask import Flask

TRACER_NAME = "portal"
# Probes and scrapes every few seconds would drown the traces of users.
EXCLUDED_URLS = "healthz,readyz,metrics"


def enabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").lower() != "true"


class RecordWhenExported(Sampler):
    """Records a span only once something exports spans from this process (`export_to`); before that, each span is
    non-recording: its trace id (the gateway's, or a new one) and span id are made and travel all the same."""

    exporting = False

    def should_sample(  # type: ignore[no-untyped-def]
        self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None
    ) -> SamplingResult:
        if not RecordWhenExported.exporting:
            return SamplingResult(Decision.DROP)
        parent_state = trace.get_current_span(parent_context).get_span_context().trace_state
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, parent_state)

    def get_description(self) -> str:
        return "RecordWhenExported"


def export_to(processor: SpanProcessor) -> None:
    """Send this process's spans to `processor` (the OTLP exporter, or a test's in-memory one) from now on."""
    sdk = provider()
    if sdk is None:
        return
    sdk.add_span_processor(processor)
    RecordWhenExported.exporting = True


def provider() -> TracerProvider | None:
    """The process's SDK provider, installed on first use (None when tracing is disabled).

    One provider per process, whatever the number of services in it (the tests run five): the service name of a
    span is its `portal.service` attribute, the process's resource names the first service set up.
    """
    if not enabled():
        return None
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    sdk = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or _process_service_name()}),
        sampler=RecordWhenExported(),
    )
    trace.set_tracer_provider(sdk)
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        export_to(BatchSpanProcessor(OTLPSpanExporter()))
    return trace.get_tracer_provider()  # type: ignore[return-value]


_service_name: list[str] = []


def _process_service_name() -> str:
    return _service_name[0] if _service_name else "portal"


def init_tracing(service: str) -> None:
    """Called by every process kind (web, relay, worker) before its first span."""
    if not _service_name:
        _service_name.append(service)
    provider()


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


SERVICE_ATTRIBUTE = "portal.service"


_IDS = RandomIdGenerator()


def _child_of(parent: otel_context.Context) -> trace.NonRecordingSpan:
    """What the SDK makes of a span it does not record: the caller's trace id (or a new one) and a new span id."""
    caller = trace.get_current_span(parent).get_span_context()
    trace_id = caller.trace_id if caller.is_valid else _IDS.generate_trace_id()
    return trace.NonRecordingSpan(trace.SpanContext(trace_id, _IDS.generate_span_id(), is_remote=False))


def instrument_app(app: Flask, service: str) -> None:
    """A server span per request, child of the caller's `traceparent`, holding the request's SQL and outbox rows.

    Not opentelemetry-instrumentation-flask: it builds every attribute and its metrics before sampling, about half a
    millisecond of CPU on each request while nothing records (a third of a small API read). Here a request that
    records nothing only gets its ids; a recorded one gets the semantic conventions' attributes.
    """
    if not enabled():
        return
    from flask import g, request

    server_tracer = trace.get_tracer(TRACER_NAME, tracer_provider=provider())
    excluded = {f"/{path}" for path in EXCLUDED_URLS.split(",")}

    @app.before_request
    def _start_span() -> None:
        if request.path in excluded:
            return
        parent = propagate.extract(request.headers)
        span: Span
        if RecordWhenExported.exporting:
            route = request.url_rule.rule if request.url_rule is not None else None
            span = server_tracer.start_span(
                f"{request.method} {route}" if route else request.method,
                context=parent,
                kind=SpanKind.SERVER,
                attributes={
                    SERVICE_ATTRIBUTE: service,
                    "http.request.method": request.method,
                    "url.path": request.path,
                    "url.scheme": request.scheme,
                    **({"http.route": route} if route else {}),
                },
            )
        else:
            span = _child_of(parent)
        g.portal_span = span
        g.portal_span_token = otel_context.attach(trace.set_span_in_context(span, parent))

    @app.after_request
    def _record_status(response: Any) -> Any:
        span = g.get("portal_span")
        if span is not None and span.is_recording():
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
        return response

    @app.teardown_request
    def _end_span(exc: BaseException | None) -> None:
        span, token = g.pop("portal_span", None), g.pop("portal_span_token", None)
        if span is None:
            return
        if exc is not None and span.is_recording():
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        span.end()
        otel_context.detach(token)


def instrument_engine(engine: Any) -> None:
    if not enabled():
        return
    from opentelemetry import metrics
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    class StatementTracer(EngineTracer):
        """No span at all for a statement while nothing exports: a non-recording one still costs the URL parsing
        and naming done before sampling (a tenth of a millisecond per statement) and has no child to carry."""

        def _before_cur_exec(self, conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
            if not RecordWhenExported.exporting:
                return statement, params
            return super()._before_cur_exec(conn, cursor, statement, params, context, executemany)  # type: ignore[no-untyped-call]

    # EngineTracer per engine rather than SQLAlchemyInstrumentor().instrument(engine=…): the instrumentor is a
    # process-wide singleton that instruments only the first engine it is given, and a test process has five.
    # The statement's text is recorded (bound values never are): what a slow span ran is what an operator needs.
    StatementTracer(  # type: ignore[no-untyped-call]
        trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", tracer_provider=provider()),
        engine,
        metrics.get_meter("opentelemetry.instrumentation.sqlalchemy").create_up_down_counter(
            "db.client.connections.usage", unit="connections"
        ),
    )


# --- carrying a context in an outbox row and in AMQP headers -------------------------------------------------
def current_carrier() -> str | None:
    """The current trace context as stored with an outbox row (`{"traceparent": …}` as JSON), None outside one."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return json.dumps(carrier, separators=(",", ":")) if carrier else None


def context_from_stored(stored: str | None) -> otel_context.Context | None:
    if not stored:
        return None
    try:
        carrier = json.loads(stored)
    except ValueError:
        return None
    return propagate.extract(carrier) if isinstance(carrier, dict) else None


def inject_headers(headers: dict[str, Any], ctx: otel_context.Context | None = None) -> dict[str, Any]:
    """Adds `traceparent` (and `tracestate`) of `ctx` (default: the current one) to AMQP headers."""
    propagate.inject(headers, context=ctx)
    return headers


def context_from_headers(headers: Mapping[str, Any] | None) -> otel_context.Context:
    carrier = {key: value.decode() if isinstance(value, bytes) else value for key, value in (headers or {}).items()}
    return propagate.extract({k: v for k, v in carrier.items() if isinstance(v, str)})


def start_span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: otel_context.Context | None = None,
    links: list[Link] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Span:
    """A span that is not made current (the relay keeps one open per row of a batch until its confirm)."""
    return tracer().start_span(name, context=parent, kind=kind, links=links, attributes=attributes)


@contextlib.contextmanager
def span_in(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: otel_context.Context | None = None,
    links: list[Link] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Span]:
    """A current span, child of `parent` when given (a message's context) else of the current one."""
    with tracer().start_as_current_span(
        name, context=parent, kind=kind, links=links, attributes=attributes, record_exception=True
    ) as span:
        yield span


def link_to(ctx: otel_context.Context | None) -> list[Link]:
    if ctx is None:
        return []
    span_context = trace.get_current_span(ctx).get_span_context()
    return [Link(span_context)] if span_context.is_valid else []


def fail(span: Span, reason: str) -> None:
    span.set_status(Status(StatusCode.ERROR, reason))


def current_ids() -> tuple[str | None, str | None]:
    """(trace id, span id) in hex of the current span, for log lines; (None, None) outside a trace."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None, None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")
