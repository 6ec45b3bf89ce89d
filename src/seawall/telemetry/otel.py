"""OpenTelemetry traces from call records: one span per call, one child span per attempt.

Spans are built from the finished record with its own timestamps, so tracing adds nothing to
a call's path but the span bookkeeping when the record is handed over; the SDK's batch
processor exports them from its own thread. Attributes follow the OpenTelemetry GenAI semantic
conventions (``gen_ai.*``), plus ``seawall.*`` for what the conventions do not cover.

The call span uses the record's trace id (the app's, when it sent a ``traceparent``) and the
app's span as its parent; each attempt span has the id that invoke already sent upstream in
that attempt's ``traceparent``, so upstream spans join the same trace.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from seawall.config import OtelConfig
from seawall.telemetry.records import AttemptRecord, CallRecord

try:
    from opentelemetry import trace
    from opentelemetry.context import Context
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.id_generator import IdGenerator
    from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, StatusCode, TraceFlags
except ImportError:  # pragma: no cover - exercised when the extra is absent
    _AVAILABLE = False
else:
    _AVAILABLE = True

_NS = 1_000_000  # ns per ms


def otel_available() -> bool:
    return _AVAILABLE


class _Ids(IdGenerator if _AVAILABLE else object):  # type: ignore[misc]
    """Hands the SDK the ids Seawall already chose (trace id, attempt span ids)."""

    def __init__(self) -> None:
        self.trace_id: int | None = None
        self.span_id: int | None = None
        self._random = random.Random()

    def generate_trace_id(self) -> int:
        chosen, self.trace_id = self.trace_id, None
        return chosen or self._random.getrandbits(128) or 1

    def generate_span_id(self) -> int:
        chosen, self.span_id = self.span_id, None
        return chosen or self._random.getrandbits(64) or 1


class SpanEmitter:
    """Turns call records into spans exported over OTLP/HTTP."""

    def __init__(self, config: OtelConfig, headers: Mapping[str, str]) -> None:
        if not _AVAILABLE:
            raise RuntimeError(
                "OpenTelemetry is not installed: pip install 'seawall[otel]' (or remove 'otel:')"
            )
        self._ids = _Ids()
        self._provider = TracerProvider(
            resource=Resource.create({"service.name": config.service_name}), id_generator=self._ids
        )
        exporter = OTLPSpanExporter(
            endpoint=config.endpoint, headers=dict(headers), timeout=config.timeout_s
        )
        self._provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
        self._tracer = self._provider.get_tracer("seawall")

    def emit(self, record: CallRecord) -> None:
        """The call's span and its attempts' spans, with the record's own times."""
        start = int(record.started_at * 1e9)
        parent = record.extra.get("parent_span_id")
        trace_id = int(record.trace_id, 16)
        if isinstance(parent, str):
            remote = SpanContext(
                trace_id, int(parent, 16), is_remote=True, trace_flags=TraceFlags(1)
            )
            context = trace.set_span_in_context(NonRecordingSpan(remote))
        else:
            context = Context()
            self._ids.trace_id = trace_id
        span = self._tracer.start_span(
            f"chat {record.model}",
            context=context,
            kind=SpanKind.SERVER,
            start_time=start,
            attributes=call_attributes(record),
        )
        inside = trace.set_span_in_context(span)
        for attempt in record.attempts:
            self._attempt_span(attempt, record, start, inside)
        if record.outcome == "error":
            span.set_status(StatusCode.ERROR, record.error_message or record.error_code or "")
        span.end(end_time=start + int(record.latency_ms * _NS))

    def _attempt_span(
        self, attempt: AttemptRecord, record: CallRecord, call_start: int, context: Any
    ) -> None:
        provider, _, model = attempt.target.partition("/")
        if attempt.span_id is not None:
            self._ids.span_id = int(attempt.span_id, 16)
        begin = call_start + int(attempt.started_ms * _NS)
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": model,
            "seawall.attempt.status": attempt.status,
            "seawall.attempt.purpose": attempt.purpose,
        }
        if attempt.error_class is not None:
            attributes["error.type"] = attempt.error_class
        if attempt.upstream_status is not None:
            attributes["http.response.status_code"] = attempt.upstream_status
        span = self._tracer.start_span(
            f"chat {model}",
            context=context,
            kind=SpanKind.CLIENT,
            start_time=begin,
            attributes=attributes,
        )
        if attempt.status == "error":
            span.set_status(StatusCode.ERROR, attempt.error_class or "error")
        span.end(end_time=begin + int(attempt.latency_ms * _NS))

    def shutdown(self) -> None:
        """Export what is pending, then stop."""
        self._provider.shutdown()


def call_attributes(record: CallRecord) -> dict[str, Any]:
    """GenAI and Seawall attributes of a call span (never payloads)."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": record.model,
        "gen_ai.usage.input_tokens": record.prompt_tokens,
        "gen_ai.usage.output_tokens": record.completion_tokens,
        "seawall.trace_id": record.trace_id,
        "seawall.outcome": record.outcome,
        "seawall.attempts": len(record.attempts),
        "seawall.retries": record.retries,
        "seawall.fallback": record.fallback,
        "seawall.degraded": record.degraded,
        "seawall.validation": record.validation,
        "seawall.cost_usd": record.cost_usd,
        "seawall.stream": record.stream,
    }
    if record.upstream is not None:
        provider, _, model = record.upstream.partition("/")
        attributes["gen_ai.provider.name"] = provider
        attributes["gen_ai.response.model"] = model
    if record.error_code is not None:
        attributes["error.type"] = record.error_code
    if record.ttft_ms is not None:
        attributes["seawall.ttft_ms"] = record.ttft_ms
    if record.tenant is not None:
        attributes["seawall.tenant"] = record.tenant
    finish = finish_reason(record.response)
    if finish is not None:
        attributes["gen_ai.response.finish_reasons"] = (finish,)
    return attributes


def finish_reason(response: Any) -> str | None:
    """From a stored answer: an OpenAI body, or a relayed stream's summary."""
    if not isinstance(response, dict):
        return None
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        response = choices[0]
    finish = response.get("finish_reason")
    return finish if isinstance(finish, str) else None
