"""The alert engine over a real SQLite store, a frozen clock and a real webhook receiver."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from helpers.alert_receiver import Receiver, start_receiver
from helpers.postgres import fresh_database
from seawall.alerts.config import AlertsConfig
from seawall.alerts.engine import AlertEngine
from seawall.alerts.events import AlertSignal
from seawall.alerts.store import SqlAlertStore
from seawall.config import BreakerPolicy
from seawall.core.clock import FrozenClock
from seawall.state.memory import MemoryState
from seawall.store.calls import SqlCallStore, open_store
from seawall.telemetry.records import CallRecord

START = 1_700_000_000.0
_ids = itertools.count()


@pytest.fixture(scope="module")
def module_receiver() -> Iterator[Receiver]:
    with start_receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(module_receiver: Receiver) -> Receiver:
    module_receiver.received.clear()
    module_receiver.hits = 0
    module_receiver.script()
    return module_receiver


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlCallStore]:
    opened = await open_store(f"sqlite:///{tmp_path}/seawall.db")
    yield opened
    await opened.aclose()


def alerts(receiver: Receiver, rules: list[dict[str, Any]], **fields: Any) -> AlertsConfig:
    hook = {"kind": "webhook", "url": receiver.hook, "retry": {"base_delay_s": 0.001}}
    return AlertsConfig.model_validate(
        {"default_rules": False, "rules": rules, "notifiers": {"hook": hook}, **fields}
    )


def calls(
    at: float,
    n: int,
    *,
    errors: int = 0,
    model: str = "chat",
    spread_s: float = 50.0,
    **fields: Any,
) -> list[CallRecord]:
    """``n`` calls spread over ``spread_s`` seconds before ``at``; ``errors`` of them, evenly spaced, failed."""
    out = []
    for i in range(n):
        failed = (i * errors) // n != ((i + 1) * errors) // n
        record = CallRecord(
            trace_id=f"{next(_ids):032x}",
            started_at=at - spread_s + spread_s * i / max(n, 1),
            model=model,
            stream=False,
            status_code=502 if failed else 200,
            outcome="error" if failed else "ok",
            error_code="upstream_unavailable" if failed else None,
            latency_ms=100.0,
        )
        for name, value in fields.items():
            setattr(record, name, value)
        out.append(record)
    return out


class Harness:
    def __init__(
        self, config: AlertsConfig, store: SqlCallStore, clock: FrozenClock, **kw: Any
    ) -> None:
        self.engine = AlertEngine(config, store.engine, clock=clock, **kw)
        self.store, self.clock = store, clock
        self.events: list[Any] = []

    async def __aenter__(self) -> Harness:
        await self.engine.start(background=False)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.engine.aclose()

    async def tick(
        self, advance_s: float = 0.0, records: list[CallRecord] | None = None
    ) -> list[Any]:
        self.clock.advance(advance_s)
        if records:
            await self.store.write_calls(records)
        events = await self.engine.evaluate_once()
        self.events += events
        return events


ERROR_RATE = {
    "kind": "error_rate",
    "name": "error-rate",
    "threshold": 0.02,
    "resolve_threshold": 0.01,
    "window_s": 60,
    "resolve_for_s": 120,
}


async def test_error_rate_fires_notifies_and_resolves(
    store: SqlCallStore, receiver: Receiver
) -> None:
    clock = FrozenClock(START)
    async with Harness(alerts(receiver, [ERROR_RATE]), store, clock) as h:
        fired = await h.tick(0, calls(START, 200, errors=10))
        assert [(e.rule, e.status, e.labels) for e in fired] == [
            ("error-rate", "firing", {"model": "chat"})
        ]
        event = fired[0]
        assert event.value == pytest.approx(0.05)
        assert event.figures["calls"] == 200
        assert event.figures["matching"] == 10
        assert event.runbook_url == "docs/operations.md#alert-error-rate"
        (body,) = await receiver.wait_for(1)
        assert body["status"] == "firing"
        assert body["labels"] == {"model": "chat"}
        assert "5.0% (10 of 200 calls in 1m)" in body["summary"]
        # Healthy traffic: clear, but resolution waits resolve_for_s (120 s).
        assert await h.tick(60, calls(START + 60, 200)) == []
        assert await h.tick(60, calls(START + 120, 200)) == []
        resolved = await h.tick(60, calls(START + 180, 200))
        assert [(e.status, e.fired_at) for e in resolved] == [("resolved", START)]
        bodies = await receiver.wait_for(2)
    assert [b["status"] for b in bodies] == ["firing", "resolved"]
    history = await SqlAlertStore(store.engine).history()
    assert [e.status for e in history] == ["resolved", "firing"]


async def test_an_error_rate_oscillating_around_the_threshold_does_not_flap(
    store: SqlCallStore, receiver: Receiver
) -> None:
    clock = FrozenClock(START)
    async with Harness(alerts(receiver, [ERROR_RATE]), store, clock) as h:
        for step in range(12):  # 3% and 1.5% in turn, a minute each
            errors = 6 if step % 2 == 0 else 3
            await h.tick(60 if step else 0, calls(START + 60 * step, 200, errors=errors))
        assert [e.status for e in h.events] == ["firing"]
        for step in range(12, 15):  # then clean: resolves after resolve_for_s (120 s)
            await h.tick(60, calls(START + 60 * step, 200))
    assert [(e.status, e.at - START) for e in h.events] == [("firing", 0), ("resolved", 840)]
    await receiver.wait_for(2)
    assert len(receiver.received) == 2


async def test_minimum_data_keeps_a_quiet_model_from_paging(
    store: SqlCallStore, receiver: Receiver
) -> None:
    clock = FrozenClock(START)
    async with Harness(alerts(receiver, [ERROR_RATE]), store, clock) as h:
        assert await h.tick(0, calls(START, 2, errors=1, spread_s=5)) == []  # 50%, of 2 calls
        assert await h.tick(10, calls(START + 10, 10, spread_s=5)) == []  # 1 in 12: too few
        fired = await h.tick(10, calls(START + 20, 10, spread_s=5))  # 1 in 22: 4.5%
    assert [e.status for e in fired] == ["firing"]
    assert fired[0].figures["calls"] == 22


async def test_labels_carry_model_and_tenant(store: SqlCallStore, receiver: Receiver) -> None:
    rule = {**ERROR_RATE, "group_by": ["model", "tenant"], "labels": {"team": "search"}}
    clock = FrozenClock(START)
    records = [
        *calls(START, 100, errors=10, tenant="acme"),
        *calls(START, 100, tenant="globex"),
        *calls(START, 100, errors=10, model="embed", tenant=None),
    ]
    async with Harness(alerts(receiver, [rule]), store, clock) as h:
        fired = await h.tick(0, records)
    labels = sorted((e.labels for e in fired), key=lambda lab: lab["model"])
    assert labels == [
        {"team": "search", "model": "chat", "tenant": "acme"},
        {"team": "search", "model": "embed", "tenant": ""},
    ]


async def test_latency_quantile_rule_shows_the_exact_p95(
    store: SqlCallStore, receiver: Receiver
) -> None:
    rule = {"kind": "latency", "name": "slow", "threshold_ms": 1000, "window_s": 60, "for_s": 0}
    clock = FrozenClock(START)
    records = calls(START, 100)
    for i, record in enumerate(records):
        record.latency_ms = 10.0 * (i + 1)  # 10 .. 1000 ms
    for record in records[-6:]:
        record.latency_ms = 5000.0 + records.index(record)  # six calls above 1 s
    async with Harness(alerts(receiver, [rule]), store, clock) as h:
        fired = await h.tick(0, records)
    assert [e.status for e in fired] == ["firing"]
    assert fired[0].value == pytest.approx(5094.0)  # the 95th of 100 values, nearest rank
    assert "p95 latency 5,094 ms" in fired[0].summary


async def test_reported_events_fire_once_per_key_and_resolve_by_quiet(
    store: SqlCallStore, receiver: Receiver
) -> None:
    rule = {"kind": "event", "name": "budget", "event": "budget_soft_limit", "dedup_s": 3600}
    clock = FrozenClock(START)

    def soft_limit(period_start: int) -> AlertSignal:
        return AlertSignal(
            "budget_soft_limit",
            "tenant acme spent $80 of $100 this month",
            labels={"scope": "tenant:acme", "period": "month"},
            key=f"tenant:acme/month/{period_start}",
            values={"spent_usd": 80.0, "limit_usd": 100.0},
        )

    async with Harness(alerts(receiver, [rule]), store, clock) as h:
        h.engine.emit(soft_limit(1))
        h.engine.emit(soft_limit(1))  # a second replica saw the same crossing
        fired = await h.tick(0)
        assert [(e.rule, e.status) for e in fired] == [("budget", "firing")]
        assert fired[0].figures == {"spent_usd": 80.0, "limit_usd": 100.0}
        assert fired[0].runbook_url == "docs/operations.md#alert-budget-soft-limit"
        h.engine.emit(soft_limit(1))
        assert await h.tick(600) == []  # folded into the firing alert
        assert h.engine.series()[0].occurrences == 3
        h.engine.emit(soft_limit(2))  # the next period: a new alert
        assert [e.status for e in await h.tick(60)] == ["firing"]
        resolved = await h.tick(3600)  # no repeat for dedup_s: both resolve
        assert [e.status for e in resolved] == ["resolved", "resolved"]
        await receiver.wait_for(2)
    assert len(receiver.received) == 2  # resolutions of event rules are not notified by default
    assert h.engine.signals_unmatched == 0


async def test_unmatched_event_kinds_are_counted(store: SqlCallStore, receiver: Receiver) -> None:
    clock = FrozenClock(START)
    async with Harness(alerts(receiver, []), store, clock) as h:
        h.engine.emit(AlertSignal("no_such_event", "x"))
        assert await h.tick(0) == []
    assert h.engine.signals_unmatched == 1


async def test_slo_fast_burn_pages_and_a_slow_one_does_not(
    store: SqlCallStore, receiver: Receiver
) -> None:
    slos = [{"name": "chat-up", "objective": "availability", "target": 0.995}]
    clock = FrozenClock(START)
    # The last hour of "chat": 10% errors (20x the 0.5% budget); "embed": 2% (4x).
    records = [
        *calls(START, 600, errors=60, spread_s=3600),
        *calls(START, 60, errors=6, spread_s=290),
        *calls(START, 600, errors=12, model="embed", spread_s=3600),
        *calls(START, 60, errors=1, model="embed", spread_s=290),
    ]
    async with Harness(alerts(receiver, [], slos=slos), store, clock) as h:
        fired = await h.tick(0, records)
    # "chat" burns 20x: above both 14.4x (fast) and 6x (slow); "embed" at 4x fires neither.
    assert [(e.rule, e.labels["model"]) for e in fired] == [
        ("chat-up-fast", "chat"),
        ("chat-up-slow", "chat"),
    ]
    event = fired[0]
    assert event.kind == "slo_burn"
    assert event.severity == "page"
    assert event.labels["slo"] == "chat-up"
    assert event.figures["burn_rate_long"] == pytest.approx(66 / 660 / 0.005)
    assert event.figures["burn_rate_short"] > 14.4
    assert event.runbook_url == "docs/operations.md#alert-slo-burn-rate"
    assert "error budget burning at 20.0x over 1h" in event.summary


async def test_state_survives_a_restart_without_renotifying(
    store: SqlCallStore, receiver: Receiver
) -> None:
    clock = FrozenClock(START)
    config = alerts(receiver, [ERROR_RATE])
    async with Harness(config, store, clock) as h:
        assert len(await h.tick(0, calls(START, 200, errors=10))) == 1
    async with Harness(config, store, clock) as again:
        assert await again.tick(30, calls(START + 30, 100, errors=10)) == []
        (series,) = again.engine.series()
        assert series.state.phase == "firing"
        assert series.state.fired_at == START
        assert [e.rule for e in again.engine.firing()] == ["error-rate"]


async def test_breaker_rule_reads_the_shared_state(store: SqlCallStore, receiver: Receiver) -> None:
    clock = FrozenClock(START)
    state = MemoryState(clock)
    rule = {"kind": "breaker_open", "name": "breaker", "for_s": 60, "resolve_for_s": 0}
    target, policy = "openai/gpt-4o", BreakerPolicy(min_calls=5)
    async with Harness(alerts(receiver, [rule]), store, clock, breakers=state.breaker_states) as h:
        for _ in range(policy.min_calls):
            await state.breaker_record(target, policy, False)
        assert (await state.breaker_states())[target] == "open"
        assert await h.tick(0) == []  # open, but not yet for 60 s
        fired = await h.tick(60)
        assert [(e.status, e.labels) for e in fired] == [("firing", {"target": target})]


async def test_a_hanging_notifier_does_not_hold_up_evaluation(
    store: SqlCallStore, receiver: Receiver
) -> None:
    notifiers = {
        "stuck": {"kind": "webhook", "url": receiver.hang, "retry": {"timeout_s": 30}},
        "hook": {"kind": "webhook", "url": receiver.hook},
    }
    config = AlertsConfig.model_validate(
        {"default_rules": False, "rules": [ERROR_RATE], "notifiers": notifiers}
    )
    clock = FrozenClock(START)
    h = Harness(config, store, clock)
    await h.engine.start(background=False)
    try:
        fired = await h.tick(0, calls(START, 200, errors=10))  # returns without waiting
        assert len(fired) == 1
        await receiver.wait_for(1, timeout_s=5.0)
        assert h.engine.notifiers.stats()["stuck"]["sent"] == 0  # still hanging
        assert await h.tick(60, calls(START + 60, 200, errors=10)) == []
    finally:
        receiver.release()
        await h.engine.aclose(grace_s=0.5)


async def test_an_emitted_event_wakes_the_running_engine(
    store: SqlCallStore, receiver: Receiver
) -> None:
    rule = {"kind": "event", "name": "rollback", "event": "canary_rollback"}
    config = alerts(receiver, [rule], interval_s=3600)  # no round is due for an hour
    engine = AlertEngine(config, store.engine)
    await engine.start()  # the evaluation loop runs in the background
    try:
        deadline = time.monotonic() + 10
        while engine.rounds == 0:  # the first round (at start) is done: the next is an hour away
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        engine.emit(
            AlertSignal(
                "canary_rollback", "support-bot v7 rolled back", labels={"prompt": "support-bot"}
            )
        )
        (body,) = await receiver.wait_for(1, timeout_s=10.0)
    finally:
        await engine.aclose()
    assert body["rule"] == "rollback"
    assert body["labels"] == {"prompt": "support-bot"}
    assert body["runbook_url"] == "docs/operations.md#alert-canary-rollback"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


async def test_every_window_rule_kind_runs_on_postgresql(
    postgres_url: str, receiver: Receiver
) -> None:
    rules = [
        {**ERROR_RATE, "group_by": ["model", "tenant"]},
        {"kind": "latency", "name": "slow", "threshold_ms": 50, "window_s": 60, "for_s": 0},
        {"kind": "ttft", "name": "ttft", "threshold_ms": 50, "window_s": 60, "for_s": 0},
        {"kind": "degraded_rate", "name": "degraded", "threshold": 0.01, "window_s": 60},
        {"kind": "fallback_rate", "name": "fallback", "threshold": 0.01, "window_s": 60},
        {"kind": "validation_failure_rate", "name": "invalid", "threshold": 0.01, "window_s": 60},
        {"kind": "cost_per_hour", "name": "spend", "threshold_usd": 1, "window_s": 60},
        {"kind": "cost_per_call", "name": "dear", "threshold_usd": 0.001, "window_s": 60},
        {
            "kind": "token_anomaly",
            "name": "tokens",
            "window_s": 60,
            "for_s": 0,
            "min_history_calls": 10,
        },
    ]
    slos = [{"name": "up", "objective": "availability", "target": 0.995}]
    clock = FrozenClock(START)
    history = calls(START - 3600, 100, spread_s=3000, prompt_tokens=10, completion_tokens=10)
    now = calls(
        START,
        100,
        errors=10,
        tenant=None,
        degraded=True,
        fallback=True,
        validation="invalid",
        cost_usd=0.01,
        ttft_ms=100.0,
        prompt_tokens=100,
        completion_tokens=100,
    )
    store = await open_store(postgres_url)
    try:
        async with Harness(alerts(receiver, rules, slos=slos), store, clock) as h:
            fired = await h.tick(0, [*history, *now])
    finally:
        await store.aclose()
    assert sorted(e.rule for e in fired) == sorted(
        [r["name"] for r in rules] + ["up-fast", "up-slow"]
    )
    by_rule = {e.rule: e for e in fired}
    assert by_rule["error-rate"].labels == {"model": "chat", "tenant": ""}
    assert by_rule["slow"].value == pytest.approx(100.0)
    assert by_rule["tokens"].value == pytest.approx(10.0)
    assert by_rule["spend"].value == pytest.approx(60.0)


async def test_a_failing_window_read_does_not_stop_event_alerts(
    store: SqlCallStore, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    rules = [ERROR_RATE, {"kind": "event", "name": "drift", "event": "drift"}]
    clock = FrozenClock(START)
    async with Harness(alerts(receiver, rules), store, clock) as h:
        async with store.engine.begin() as conn:
            await conn.execute(sa.text("ALTER TABLE calls RENAME TO calls_gone"))
        h.engine.emit(
            AlertSignal("drift", "route chat drifted (PSI 0.31)", labels={"model": "chat"})
        )
        fired = await h.tick(30)
    assert [e.rule for e in fired] == ["drift"]
    assert "could not read call windows" in caplog.text
    (body,) = await receiver.wait_for(1)
    assert body["summary"] == "route chat drifted (PSI 0.31)"
