"""Composition root: config → concrete providers, shared state, store, recorder and pipeline.

The only module that knows which implementation backs each protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field

from seawall.config import Config, StateConfig
from seawall.configload import resolve_secret
from seawall.core.clock import Clock, SystemClock
from seawall.core.errors import InvalidRequest
from seawall.pipeline import Pipeline
from seawall.providers.base import Provider
from seawall.providers.registry import build_provider
from seawall.security.service import Security
from seawall.stages.resolve import ModelRuntime, TargetRuntime
from seawall.stages.validate import compile_schema
from seawall.state.base import SharedState
from seawall.state.factory import build_state as open_state
from seawall.store.calls import CallStore, open_store
from seawall.telemetry.metrics import Metrics
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

    def submit(self, record: CallRecord) -> None:
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
    store: CallStore | None = None
    security: Security | None = None
    _retention: asyncio.Task[None] | None = None

    @property
    def recorder(self) -> BatchingRecorder | None:
        return self.sink.recorder

    async def start(self) -> None:
        """Open the store (running migrations) and start the record writer."""
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
        if self.config.retention.purge_interval_s is not None:
            self._retention = asyncio.create_task(self._purge_forever(), name="retention")

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
        if self._retention is not None:
            self._retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retention
        if self.sink.recorder is not None:
            await self.sink.recorder.close(grace_s=30.0)
        for provider in self.providers.values():
            await provider.aclose()
        await self.state.aclose()
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
            config.url, clock, prefix=config.prefix, timeout_s=config.timeout_ms / 1000.0
        )
    except ValueError as exc:
        raise StartupError(f"state.url: {exc}") from exc


def build_models(config: Config, providers: dict[str, Provider]) -> dict[str, ModelRuntime]:
    models: dict[str, ModelRuntime] = {}
    for name, model in config.models.items():
        targets = tuple(
            TargetRuntime(f"{t.provider}/{t.model}", providers[t.provider], t.model)
            for t in model.targets
        )
        schema = model.validation.json_schema
        try:
            validator = (
                compile_schema(schema, f"models.{name}.validation.json_schema") if schema else None
            )
        except InvalidRequest as exc:
            raise StartupError(exc.message) from exc
        models[name] = ModelRuntime(name, model, targets, validator)
    return models


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
    sink = RecordSink(metrics)
    pipeline = Pipeline(
        models=build_models(config, providers),
        state=state,
        submit=sink.submit,
        metrics=metrics,
        prices=PriceTable(config.prices),
        clock=clock,
        rng=random.Random(seed),
        store_payloads=config.store.store_payloads,
    )
    return Runtime(config, providers, state, metrics, sink, pipeline, clock)
