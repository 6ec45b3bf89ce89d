"""Prometheus metrics of one gateway, in a registry of its own (no global state)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from seawall.telemetry.records import CallRecord

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_OVERHEAD_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1)
_BREAKER_VALUE = {"closed": 0, "half_open": 1, "open": 2}


class Metrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry(auto_describe=True)
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.requests = Counter(
            "seawall_requests",
            "Calls by logical model and outcome",
            ["model", "outcome", "code"],
            registry=r,
        )
        self.attempts = Counter(
            "seawall_attempts",
            "Upstream attempts",
            ["model", "target", "status", "error_class"],
            registry=r,
        )
        self.latency = Histogram(
            "seawall_request_latency_seconds",
            "Call latency",
            ["model"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "seawall_time_to_first_token_seconds",
            "Streams: time to first token",
            ["model"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.overhead = Histogram(
            "seawall_overhead_seconds",
            "Time spent in Seawall itself per call",
            buckets=_OVERHEAD_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "seawall_tokens", "Tokens by direction", ["model", "direction"], registry=r
        )
        self.cost = Counter("seawall_cost_usd", "Cost in US dollars", ["model"], registry=r)
        self.retries = Counter("seawall_retries", "Retries", ["model"], registry=r)
        self.fallbacks = Counter(
            "seawall_fallbacks", "Calls answered by a fallback target", ["model"], registry=r
        )
        self.degraded = Counter(
            "seawall_degraded", "Calls answered by the degrade policy", ["model"], registry=r
        )
        self.validation = Counter(
            "seawall_validation", "Output validation outcomes", ["model", "result"], registry=r
        )
        self.feedback = Counter(
            "seawall_feedback",
            "Feedback on calls (negative: a complaint, a correction or a low rating)",
            ["model", "prompt", "release", "kind", "negative"],
            registry=r,
        )
        self.escalations = Counter(
            "seawall_escalations", "Calls sent to the review queue", ["model", "mode"], registry=r
        )
        self.breaker = Gauge(
            "seawall_breaker_state",
            "Breaker state per target (0 closed, 1 half-open, 2 open)",
            ["target"],
            registry=r,
        )
        self.breaker_transitions = Counter(
            "seawall_breaker_transitions", "Breaker state changes", ["target", "state"], registry=r
        )
        self.queue_depth = Gauge(
            "seawall_record_queue_depth", "Call records waiting to be written", registry=r
        )
        self.records_dropped = Counter(
            "seawall_records_dropped",
            "Call records dropped because the writer queue was full",
            registry=r,
        )
        self._written_seen = 0
        self.records_written = Counter(
            "seawall_records_written", "Call records written to the store", registry=r
        )

    def _child(self, metric: MetricWrapperBase, *labels: str) -> Any:
        # prometheus-client validates labels on every .labels() call; this runs per call.
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe(self, record: CallRecord) -> None:
        """Account one finished call."""
        model, child = record.model, self._child
        child(self.requests, model, record.outcome, record.error_code or "").inc()
        for attempt in record.attempts:
            labels = (model, attempt.target, attempt.status, attempt.error_class or "")
            child(self.attempts, *labels).inc()
        child(self.latency, model).observe(record.latency_ms / 1000.0)
        if record.ttft_ms is not None:
            child(self.ttft, model).observe(record.ttft_ms / 1000.0)
        self.overhead.observe(record.overhead_ms / 1000.0)
        if record.prompt_tokens or record.completion_tokens:
            child(self.tokens, model, "input").inc(record.prompt_tokens)
            child(self.tokens, model, "output").inc(record.completion_tokens)
        if record.cost_usd:
            child(self.cost, model).inc(record.cost_usd)
        if record.retries:
            child(self.retries, model).inc(record.retries)
        if record.fallback:
            child(self.fallbacks, model).inc()
        if record.degraded:
            child(self.degraded, model).inc()
        if record.validation != "none":
            child(self.validation, model, record.validation).inc()
        if record.review_id is not None:
            child(self.escalations, model, str(record.extra.get("escalation", ""))).inc()

    def feedback_received(self, record: CallRecord | None, kind: str, negative: bool) -> None:
        """Account one feedback, labelled by the call it is about (its model and release)."""
        labels = (
            record.model if record is not None else "",
            (record.prompt or "") if record is not None else "",
            (record.release or "") if record is not None else "",
            kind,
            "true" if negative else "false",
        )
        self._child(self.feedback, *labels).inc()

    def breaker_changed(self, target: str, state: str) -> None:
        self.breaker.labels(target).set(_BREAKER_VALUE.get(state, 0))
        self.breaker_transitions.labels(target, state).inc()

    def refresh(self, breakers: dict[str, str], queue_depth: int, written: int) -> None:
        """Bring scrape-time gauges up to date (half-open is only seen here)."""
        for target, state in breakers.items():
            self.breaker.labels(target).set(_BREAKER_VALUE.get(state, 0))
        self.queue_depth.set(queue_depth)
        # The writer counts what it wrote; the counter catches up by the difference.
        behind = written - self._written_seen
        if behind > 0:
            self.records_written.inc(behind)
            self._written_seen = written

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
