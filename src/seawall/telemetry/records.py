"""One record per call: what happened to it, attempt by attempt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class AttemptRecord:
    """One try at one target."""

    target: str  # "provider/model"
    started_ms: float  # since the call started
    latency_ms: float
    status: str  # "ok" | "error" | "skipped" (breaker open)
    error_class: str | None = None  # UpstreamError.kind, e.g. "http_5xx", "timeout"
    upstream_status: int | None = None
    retry_delay_ms: float = 0.0  # backoff slept before this attempt
    purpose: str = "call"  # "call" | "reask"
    span_id: str | None = None  # the attempt's span, sent upstream in traceparent

    def as_dict(self) -> dict[str, Any]:
        out = {
            "target": self.target,
            "started_ms": round(self.started_ms, 3),
            "latency_ms": round(self.latency_ms, 3),
            "status": self.status,
            "error_class": self.error_class,
            "upstream_status": self.upstream_status,
            "retry_delay_ms": round(self.retry_delay_ms, 3),
            "purpose": self.purpose,
        }
        if self.span_id is not None:
            out["span_id"] = self.span_id
        return out


@dataclass(slots=True)
class CallRecord:
    """Everything the store keeps about one call through the pipeline."""

    trace_id: str
    started_at: float  # unix seconds
    model: str  # logical model asked for
    stream: bool
    status_code: int = 200
    outcome: str = "ok"  # "ok" | "degraded" | "error"
    error_code: str | None = None  # stable error code when the call failed or degraded
    error_message: str | None = None
    upstream: str | None = None  # "provider/model" that answered
    attempts: list[AttemptRecord] = field(default_factory=list)
    retries: int = 0
    fallback: bool = False  # answered by a target other than the first
    latency_ms: float = 0.0
    ttft_ms: float | None = None  # streams: time to first token sent to the client
    overhead_ms: float = 0.0  # time spent in Seawall itself
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    validation: str = "none"  # "none" | "valid" | "repaired" | "reasked" | "invalid"
    degraded: bool = False
    tenant: str | None = None
    key_id: str | None = None
    prompt: str | None = None  # the registry prompt a prompt run rendered
    release: str | None = None  # which version served: "name@version"
    confidence: float | None = None  # 0-1, from the signals the call had (review.confidence)
    review_id: str | None = None  # the review item this call opened, when it escalated
    request: dict[str, Any] | None = None  # payloads, only when store_payloads is on
    response: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # stage findings later issues add
