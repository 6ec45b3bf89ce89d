"""Composition root: config → concrete providers, shared state, store, recorder and pipeline.

The only module that knows which implementation backs each protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from dataclasses import dataclass, field

from seawall.alerts.engine import AlertEngine
from seawall.config import Config, StateConfig
from seawall.configload import resolve_secret
from seawall.core.clock import Clock, SystemClock
from seawall.core.errors import InvalidRequest
from seawall.drift.monitor import DriftMonitor
from seawall.limits.budget import BudgetGuard
from seawall.limits.concurrency import ConcurrencyLimiter
from seawall.limits.ratelimit import RateLimiter
from seawall.pipeline import Pipeline
from seawall.providers.base import Provider
from seawall.providers.registry import build_provider
from seawall.releases.runtime import Releases
from seawall.releases.service import LOOK_INTERVAL_S
from seawall.review.service import ReviewService
from seawall.security.service import Security
from seawall.sinks import AuditSink, EscalationSink, EventSink, alert_signal, report_drift
from seawall.stages.admission import Admission
from seawall.stages.guard import GuardRuntime
from seawall.stages.resolve import ModelRuntime, TargetRuntime
from seawall.stages.route import RouteRuntime
from seawall.stages.validate import compile_schema
from seawall.state.base import SharedState
from seawall.state.factory import build_state as open_state
from seawall.store.calls import CallStore, open_store
from seawall.telemetry.metrics import Metrics
from seawall.telemetry.otel import SpanEmitter
from seawall.telemetry.prices import PriceTable
from seawall.telemetry.recorder import BatchingRecorder
from seawall.telemetry.records import CallRecord

log = logging.getLogger("seawall")


class StartupError(Exception):
    """The deployment cannot start; the message says what to fix."""


@dataclass
class RecordSink:
    """Where the pipeline hands records: the batching writer once the store is open."""

    metrics: Metrics
    recorder: BatchingRecorder | None = None
    pending: list[CallRecord] = field(default_factory=list)
    spans: SpanEmitter | None = None

    def submit(self, record: CallRecord) -> None:
        if self.spans is not None:
            try:
                self.spans.emit(record)
            except Exception:  # tracing must never cost a record
                log.warning("could not build the spans of trace %s", record.trace_id, exc_info=True)
        if self.recorder is None:
            self.pending.append(record)  # before start(): kept, written once the store opens
            return
        self.recorder.submit(record)

    def attach(self, recorder: BatchingRecorder) -> None:
        self.recorder = recorder
        for record in self.pending:
            recorder.submit(record)
        self.pending.clear()


@dataclass
class Runtime:
    """Everything a running gateway (or an in-process ``Seawall``) holds."""

    config: Config
    providers: dict[str, Provider]
    state: SharedState
    metrics: Metrics
    sink: RecordSink
    pipeline: Pipeline
    clock: Clock = field(default_factory=SystemClock)
    audit_sink: AuditSink = field(default_factory=AuditSink)
    events: EventSink = field(default_factory=lambda: EventSink())
    escalations: EscalationSink = field(default_factory=lambda: EscalationSink())
    store: CallStore | None = None
    security: Security | None = None
    reviews: ReviewService | None = None
    releases: Releases | None = None
    alerts: AlertEngine | None = None
    drift: DriftMonitor | None = None
    _drift_task: asyncio.Task[None] | None = None
    _retention: asyncio.Task[None] | None = None

    @property
    def recorder(self) -> BatchingRecorder | None:
        return self.sink.recorder

    async def start(self, *, server: bool = True) -> None:
        """Open the store (running migrations) and start the record writer.

        ``server``: also the background work of a gateway (retention purges, the alert
        engine); an in-process ``Seawall`` leaves them to the server.
        """
        try:
            self.store = await open_store(self.config.store.url)
        except Exception as exc:
            raise StartupError(f"cannot open the store at {self.config.store.url}: {exc}") from exc
        recorder = BatchingRecorder.from_config(
            self.store,
            self.config.store,
            on_drop=self.metrics.records_dropped.inc,
            on_depth=self.metrics.queue_depth.set,
        )
        recorder.start()
        self.sink.attach(recorder)
        self.security = Security(
            self.config.store.url, self.config.auth, self.clock, audit_key(self.config)
        )
        try:
            await self.security.start()
        except Exception as exc:
            raise StartupError(f"cannot read API keys from the store: {exc}") from exc
        self.audit_sink.security = self.security
        self.reviews = ReviewService.open(
            self.config.store.url, self.security, self.clock, on_overdue=self.events.review_overdue
        )
        await self.reviews.start()
        self.escalations.reviews = self.reviews
        self.releases = await Releases.open(
            self.config.store.url,
            self.security,
            self.clock,
            on_event=self.events.release_event,
            migrate=False,
        )
        if server:
            self.releases.start(LOOK_INTERVAL_S)
        if server:  # each start (and so each config change) is on the audit trail
            await self.security.record(
                "config.loaded",
                "system",
                detail={
                    "sha256": hashlib.sha256(self.config.model_dump_json().encode()).hexdigest(),
                    "models": sorted(self.config.models),
                    "auth": self.security.mode,
                },
            )
        if server and self.config.retention.purge_interval_s is not None:
            self._retention = asyncio.create_task(self._purge_forever(), name="retention")
        if server and self.config.alerts.enabled:
            await self._start_alerts()

    async def _start_alerts(self) -> None:
        engine = getattr(self.store, "engine", None)
        if engine is None:
            return
        self.alerts = AlertEngine(
            self.config.alerts, engine, clock=self.clock, breakers=self.state.breaker_states
        )
        await self.alerts.start(background=True)
        alerts = self.alerts
        self.events.listeners.append(lambda event: alerts.emit(alert_signal(event)))
        if self.config.drift.enabled:
            self.drift = DriftMonitor(engine, self.config.drift, clock=self.clock)
            self._drift_task = asyncio.create_task(
                self.drift.run(lambda found: report_drift(alerts, found)), name="drift"
            )

    async def _purge_forever(self) -> None:
        retention = self.config.retention
        assert self.security is not None
        assert retention.purge_interval_s is not None
        while True:
            try:
                await self.security.purge("system:retention", retention)
            except Exception:  # the store may be briefly down; the next round catches up
                log.warning("retention purge failed; will retry", exc_info=True)
            await asyncio.sleep(retention.purge_interval_s)

    async def close(self) -> None:
        """Flush every record, then release connections."""
        if self._drift_task is not None:
            self._drift_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drift_task
        if self.alerts is not None:
            await self.alerts.aclose()
        if self._retention is not None:
            self._retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retention
        if self.sink.recorder is not None:
            await self.sink.recorder.close(grace_s=30.0)
        if self.sink.spans is not None:
            await asyncio.to_thread(self.sink.spans.shutdown)
        for provider in self.providers.values():
            await provider.aclose()
        await self.state.aclose()
        if self.releases is not None:
            await self.releases.aclose()
        if self.reviews is not None:
            await self.reviews.aclose()
        if self.security is not None:
            await self.security.aclose()
        if self.store is not None:
            await self.store.aclose()


def audit_key(config: Config) -> bytes | None:
    """The audit chain's HMAC key, when configured."""
    value = resolve_secret(config.audit.hmac_key)
    if config.audit.hmac_key is not None and not value:
        raise StartupError(f"audit.hmac_key: {config.audit.hmac_key} is not set")
    return value.encode() if value else None


def build_state(config: StateConfig, clock: Clock) -> SharedState:
    try:
        return open_state(
            config.url,
            clock,
            prefix=config.prefix,
            timeout_s=config.timeout_ms / 1000.0,
            cache_max_bytes=int(config.cache_max_mb * 1024 * 1024),
        )
    except ValueError as exc:
        raise StartupError(f"state.url: {exc}") from exc


def build_models(config: Config, providers: dict[str, Provider]) -> dict[str, ModelRuntime]:
    models: dict[str, ModelRuntime] = {}
    for name, model in config.models.items():
        cap = model.concurrency
        targets = tuple(
            TargetRuntime(
                f"{t.provider}/{t.model}",
                providers[t.provider],
                t.model,
                ConcurrencyLimiter(
                    f"{t.provider}/{t.model}", cap.max_in_flight, cap.max_queue, cap.queue_timeout_s
                )
                if cap is not None
                else None,
            )
            for t in model.targets
        )
        schema = model.validation.json_schema
        try:
            validator = (
                compile_schema(schema, f"models.{name}.validation.json_schema") if schema else None
            )
        except InvalidRequest as exc:
            raise StartupError(exc.message) from exc
        models[name] = ModelRuntime(name, model, targets, validator, build_guard(config, name))
    return models


def build_admission(
    config: Config, state: SharedState, clock: Clock, prices: PriceTable
) -> Admission | None:
    """Rate limits and budgets, when any are configured (no cost per call otherwise)."""
    limits, budgets = config.limits, config.budgets
    anything = (
        limits.per_key
        or limits.per_tenant
        or limits.keys
        or limits.tenants
        or budgets.per_key
        or budgets.per_tenant
        or budgets.keys
        or budgets.tenants
        or any(m.limits is not None or m.budgets for m in config.models.values())
    )
    if not anything:
        return None
    return Admission(limits, budgets, RateLimiter(state), BudgetGuard(state, clock), prices)


def build_spans(config: Config) -> SpanEmitter | None:
    """The OpenTelemetry span emitter, when ``otel`` is configured."""
    if config.otel is None:
        return None
    headers = {k: resolve_secret(v) or "" for k, v in config.otel.headers.items()}
    try:
        return SpanEmitter(config.otel, headers)
    except RuntimeError as exc:
        raise StartupError(f"otel: {exc}") from exc


def build_guard(config: Config, name: str) -> GuardRuntime | None:
    """The model's compiled guards (its own section, else the deployment's), or None."""
    guards = config.models[name].guards or config.guards
    if not guards.enabled:
        return None
    where = f"models.{name}.guards" if config.models[name].guards else "guards"
    try:
        return GuardRuntime.build(guards, resolve_secret(config.audit.hmac_key))
    except (ValueError, RuntimeError) as exc:
        raise StartupError(f"{where}: {exc}") from exc


def build_runtime(
    config: Config, *, clock: Clock | None = None, seed: int | None = None
) -> Runtime:
    """Wire a runtime; call ``await runtime.start()`` inside the event loop before serving."""
    clock = clock or SystemClock()
    providers = {
        name: build_provider(name, cfg, resolve_secret) for name, cfg in config.providers.items()
    }
    state = build_state(config.state, clock)
    metrics = Metrics()
    sink = RecordSink(metrics, spans=build_spans(config))
    events = EventSink()
    escalations = EscalationSink()
    audit_sink = AuditSink()
    prices = PriceTable(config.prices)
    pipeline = Pipeline(
        models=build_models(config, providers),
        state=state,
        submit=sink.submit,
        metrics=metrics,
        prices=prices,
        clock=clock,
        rng=random.Random(seed),
        store_payloads=config.store.store_payloads,
        on_blocked=audit_sink.guard_blocked,
        trace_upstream=config.otel is not None and config.otel.propagate,
        routes={name: RouteRuntime.build(name, route) for name, route in config.routes.items()},
        admission=build_admission(config, state, clock, prices),
        on_soft_limit=events.soft_limit,
        on_escalate=escalations.escalate,
    )
    return Runtime(
        config, providers, state, metrics, sink, pipeline, clock, audit_sink, events, escalations
    )
