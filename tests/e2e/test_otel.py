"""OpenTelemetry end to end: the app's traceparent in, spans out over OTLP/HTTP, traceparent upstream.

A real OTLP receiver (a loopback app decoding the protobuf export requests) and a real upstream
that records the headers it gets stand on either side of the gateway.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpers.gateway import start_gateway
from helpers.servers import serve_app

APP_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
APP_SPAN = "00f067aa0ba902b7"


@dataclass
class Collected:
    spans: list[Any] = field(default_factory=list)
    upstream_headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures: int = 1  # the upstream fails this many times first, so there is a retry


@pytest.fixture
def collected() -> Collected:
    return Collected()


@pytest.fixture
def receiver(collected: Collected) -> Iterator[str]:
    async def traces(request: Request) -> Response:
        export = ExportTraceServiceRequest()
        export.ParseFromString(await request.body())
        with collected.lock:
            for resource in export.resource_spans:
                for scope in resource.scope_spans:
                    collected.spans.extend(scope.spans)
        return Response(b"", media_type="application/x-protobuf")

    async def chat(request: Request) -> Response:
        with collected.lock:
            collected.upstream_headers.append(dict(request.headers))
            if collected.failures > 0:
                collected.failures -= 1
                return JSONResponse({"error": {"message": "busy"}}, status_code=503)
        return JSONResponse(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "hi"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
            }
        )

    app = Starlette(
        routes=[
            Route("/v1/traces", traces, methods=["POST"]),
            Route("/v1/chat/completions", chat, methods=["POST"]),
        ]
    )
    with serve_app(app) as url:
        yield url


def attributes(span: Any) -> dict[str, Any]:
    out = {}
    for kv in span.attributes:
        value = kv.value
        kind = value.WhichOneof("value")
        if kind == "array_value":
            out[kv.key] = [item.string_value for item in value.array_value.values]
        else:
            out[kv.key] = getattr(value, kind)
    return out


def test_spans_follow_the_genai_conventions_and_join_the_apps_trace(
    receiver: str, collected: Collected, tmp_path: Path
) -> None:
    config = f"""
otel: {{endpoint: "{receiver}/v1/traces", service_name: seawall-test}}
providers:
  up: {{kind: openai, base_url: "{receiver}/v1"}}
models:
  chat:
    targets: [{{provider: up, model: gpt-4o-mini}}]
    retry: {{max_attempts: 3, base_delay_ms: 1, max_delay_ms: 2}}
"""
    with start_gateway(config, tmp_path) as gateway:
        response = httpx.post(
            f"{gateway.url}/v1/chat/completions",
            json={"model": "chat", "messages": [{"role": "user", "content": "hello"}]},
            headers={"traceparent": f"00-{APP_TRACE}-{APP_SPAN}-01"},
        )
        assert response.status_code == 200
        assert response.headers["x-seawall-trace-id"] == APP_TRACE
    # Leaving the block shut the gateway down, which flushed the exporter.
    by_kind = {1: [], 2: [], 3: []}  # INTERNAL, SERVER, CLIENT
    for span in collected.spans:
        by_kind.setdefault(span.kind, []).append(span)
    (call,) = by_kind[2]
    attempts = sorted(by_kind[3], key=lambda s: s.start_time_unix_nano)
    assert call.trace_id.hex() == APP_TRACE
    assert call.parent_span_id.hex() == APP_SPAN
    assert call.name == "chat chat"
    attrs = attributes(call)
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.model"] == "chat"
    assert attrs["gen_ai.response.model"] == "gpt-4o-mini"
    assert attrs["gen_ai.usage.input_tokens"] == 3
    assert attrs["gen_ai.usage.output_tokens"] == 1
    assert attrs["gen_ai.response.finish_reasons"] == ["stop"]
    assert attrs["seawall.retries"] == 1
    assert len(attempts) == 2
    assert all(a.parent_span_id == call.span_id and a.trace_id == call.trace_id for a in attempts)
    assert attributes(attempts[0])["error.type"] == "http_5xx"
    assert attributes(attempts[0])["http.response.status_code"] == 503
    assert "error.type" not in attributes(attempts[1])
    assert call.start_time_unix_nano <= attempts[0].start_time_unix_nano
    assert attempts[1].end_time_unix_nano <= call.end_time_unix_nano
    # Each attempt told the upstream its own span: upstream spans join the same trace.
    sent = [h["traceparent"] for h in collected.upstream_headers]
    assert sent == [f"00-{APP_TRACE}-{a.span_id.hex()}-01" for a in attempts]


def test_without_a_traceparent_the_gateway_starts_the_trace(
    receiver: str, collected: Collected, tmp_path: Path
) -> None:
    collected.failures = 0
    config = f"""
otel: {{endpoint: "{receiver}/v1/traces", propagate: false}}
providers:
  up: {{kind: openai, base_url: "{receiver}/v1"}}
models:
  chat: {{targets: [{{provider: up, model: m}}]}}
"""
    with start_gateway(config, tmp_path) as gateway:
        response = httpx.post(
            f"{gateway.url}/v1/chat/completions",
            json={"model": "chat", "messages": [{"role": "user", "content": "hello"}]},
            headers={"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
        )
        trace_id = response.headers["x-seawall-trace-id"]
    assert trace_id != "0" * 32  # an invalid traceparent is ignored
    server = [s for s in collected.spans if s.kind == 2]
    assert [s.trace_id.hex() for s in server] == [trace_id]
    assert server[0].parent_span_id == b""
    assert "traceparent" not in collected.upstream_headers[0]  # propagate: false
