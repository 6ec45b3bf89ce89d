"""Record: one call record per call, handed to the batching writer; metrics from the same data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seawall.core.context import RequestContext
from seawall.core.errors import SeawallError
from seawall.core.types import ChatRequest, Usage
from seawall.review.confidence import Confidence
from seawall.stages.guard import GuardCall
from seawall.stages.invoke import InvokeLog
from seawall.telemetry.records import CallRecord


@dataclass(slots=True)
class Run:
    """The mutable state of one call as it moves through the stages."""

    ctx: RequestContext
    request: ChatRequest
    log: InvokeLog
    usage: Usage = field(default_factory=Usage)
    response_body: dict[str, Any] | None = None
    validation: str = "none"
    validation_error: str | None = None
    degraded: bool = False
    error: SeawallError | None = None  # the call failed with this
    cause: SeawallError | None = None  # the call degraded because of this
    ttft: float | None = None  # monotonic time the first chunk was handed to the client
    finished: float = 0.0
    record: CallRecord | None = None  # set by the record stage
    overhead_s: float | None = None  # streams: fixed when the first chunk is handed over
    cost_usd: float = 0.0
    guard: GuardCall | None = None  # what the guards found and changed
    resolved: str | None = None  # the logical model that served (a route's choice)
    route: str | None = None  # "route:rule index:model" when a routing rule chose
    estimated_tokens: int | None = None  # prompt tokens, estimated once per call
    cache_key: str | None = None  # set when the call may use the cache
    cache: str | None = None  # "hit" | "miss" | "stale"
    confidence: Confidence | None = None  # set by the score stage
    review_id: str | None = None  # the review item an escalation opened
    escalation: str | None = None  # its mode: "advise" | "hold" | "fallback"

    @property
    def upstream_messages(self) -> list[dict[str, Any]]:
        """The messages as sent upstream (rewritten by the guards, when they did)."""
        if self.guard is not None and self.guard.messages is not None:
            return self.guard.messages
        return self.request.messages


def build_record(
    run: Run, *, store_payloads: bool, redact: Callable[[object], object] | None = None
) -> CallRecord:
    ctx, log = run.ctx, run.log
    total = run.finished - ctx.started
    answered = log.answered_by
    error = run.error
    why = error or run.cause
    return CallRecord(
        trace_id=ctx.trace_id,
        started_at=ctx.started_wall,
        model=run.request.model,
        stream=run.request.stream,
        status_code=error.status_code if error else (202 if run.escalation == "hold" else 200),
        outcome=_outcome(run),
        error_code=why.code if why else None,
        error_message=why.message if why else None,
        upstream=answered.key if answered else None,
        attempts=log.attempts,
        retries=log.retries,
        fallback=log.answered_index > 0,
        latency_ms=total * 1000.0,
        ttft_ms=(run.ttft - ctx.started) * 1000.0 if run.ttft is not None else None,
        overhead_ms=max(0.0, overhead_s(run)) * 1000.0,
        prompt_tokens=run.usage.prompt_tokens,
        completion_tokens=run.usage.completion_tokens,
        cost_usd=run.cost_usd,
        validation=run.validation,
        degraded=run.degraded,
        tenant=ctx.tenant,
        key_id=ctx.key_id,
        prompt=ctx.prompt,
        release=ctx.release,
        confidence=run.confidence.score if run.confidence is not None else None,
        review_id=run.review_id,
        request=_payload(run.request.body, store_payloads, redact),
        response=_payload(run.response_body, store_payloads, redact),
        extra=_extra(run),
    )


def _outcome(run: Run) -> str:
    if run.error is not None:
        return "error"
    if run.escalation == "hold":
        return "held"
    return "degraded" if run.degraded else "ok"


def _payload(value: Any, store: bool, redact: Callable[[object], object] | None) -> Any:
    if not store or value is None:
        return None
    return redact(value) if redact is not None else value


def _extra(run: Run) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if run.validation_error:
        extra["validation_error"] = run.validation_error
    if run.guard is not None and run.guard.summary:
        extra["guards"] = run.guard.record()
    if run.cache is not None:
        extra["cache"] = run.cache
    if run.confidence is not None and run.confidence.components:
        extra["confidence"] = run.confidence.as_dict()
    if run.escalation is not None:
        extra["escalation"] = run.escalation
    ctx = run.ctx
    if ctx.user is not None:
        extra["user"] = ctx.user
    if ctx.tags:
        extra["tags"] = list(ctx.tags)
    if ctx.variables is not None:
        extra["variables"] = ctx.variables
    if run.route is not None:
        extra["route"] = run.route
    if run.ctx.parent_span_id is not None:
        extra["parent_span_id"] = run.ctx.parent_span_id
    return extra


def overhead_s(run: Run) -> float:
    """Seconds spent in Seawall itself: everything but upstream waits and backoff sleeps."""
    if run.overhead_s is not None:
        return run.overhead_s
    log = run.log
    return run.finished - run.ctx.started - log.upstream_s - log.backoff_s
