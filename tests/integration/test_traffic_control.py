"""Budgets, rate limits, the response cache and routing, through the real pipeline in process.

A ``FrozenClock`` drives the budget periods and cache expiry; the simulator answers. Records
land in a real SQLite store and are read back to check that nothing was lost.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from helpers.records import stored_records
from seawall.configload import parse_config
from seawall.core.clock import FrozenClock
from seawall.core.context import RequestContext
from seawall.core.errors import BudgetExceeded, RateLimited, UpstreamError
from seawall.limits.budget import period_end
from seawall.pipeline import Completion
from seawall.stages.admit import parse_chat_request
from seawall.stages.cache import fingerprint
from seawall.wiring import Runtime, build_runtime

PRICE = 100.0  # dollars per million tokens, in and out: cents per call, easy to sum

CONFIG = f"""
prices:
  sim-small: {{input: {PRICE}, output: {PRICE}}}
providers:
  sim: {{kind: sim}}
  down: {{kind: sim, sim: {{faults: {{outage: true}}}}}}
  slow: {{kind: sim, sim: {{latency: {{fixed_ms: 50}}}}}}
models:
  budgeted:
    targets: [{{provider: sim, model: sim-small}}]
    budgets: [{{limit_usd: 1.0, period: day, soft_usd: 0.5}}]
  limited:
    targets: [{{provider: sim, model: sim-small}}]
    limits: {{requests_per_min: 600, burst_s: 1}}
  cached:
    targets: [{{provider: sim, model: sim-small}}]
    cache: {{enabled: true, ttl_s: 60, stale_if_error_s: 600}}
  capped:
    targets: [{{provider: slow, model: sim-small}}, {{provider: sim, model: sim-large}}]
    concurrency: {{max_in_flight: 1, max_queue: 0}}
  cheap:
    targets: [{{provider: sim, model: sim-small}}]
  smart:
    targets: [{{provider: sim, model: sim-large}}]
routes:
  support:
    rules:
      - {{model: cheap, match: "(?i)opening hours|refund policy", max_input_tokens: 200}}
      - {{model: smart, json_output: true}}
      - {{model: smart, tags: [vip]}}
      - {{model: cheap}}
"""


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(1_800_000_000.0)


@pytest.fixture
async def runtime(tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Runtime]:
    config = parse_config(CONFIG + f"store: {{url: 'sqlite:///{tmp_path}/s.db'}}\n", "t.yaml")
    built = build_runtime(config, clock=clock, seed=7)
    await built.start()
    yield built
    await built.close()


async def call(
    runtime: Runtime,
    model: str,
    text: str = "hello",
    *,
    tenant: str | None = None,
    tags: list[str] | None = None,
    **params: object,
) -> Completion:
    body = {"model": model, "messages": [{"role": "user", "content": text}], **params}
    ctx = RequestContext.begin(runtime.clock.monotonic(), runtime.clock.wall())
    ctx.tenant, ctx.tags = tenant, tags or []
    return await runtime.pipeline.chat(parse_chat_request(body, max_messages=100), ctx)


# --------------------------------------------------------------------------- budgets


async def test_a_thousand_concurrent_calls_never_overspend_and_none_is_lost(
    runtime: Runtime, tmp_path: Path
) -> None:
    results = await asyncio.gather(
        *(call(runtime, "budgeted", f"question {n}", max_tokens=200) for n in range(1000)),
        return_exceptions=True,
    )
    ok = [r for r in results if isinstance(r, Completion)]
    refused = [r for r in results if isinstance(r, BudgetExceeded)]
    assert len(ok) + len(refused) == 1000  # nothing else went wrong
    spent = sum(c.record.cost_usd for c in ok)
    assert spent <= 1.0 + 1e-9  # never overspent: each call reserved its worst case first
    # Each call's worst case is ~3 cents and it really costs ~1, so well over 33 calls fit.
    assert len(ok) >= 34
    assert all("resets at" in str(r) and r.resets_at is not None for r in refused)
    assert runtime.recorder is not None
    await runtime.recorder.flush()
    records = await stored_records(runtime.config.store.url, limit=5000)
    assert len(records) == 1000
    assert sum(1 for r in records if r.error_code == "budget_exceeded") == len(refused)
    # The budget's own counter equals the sum of the stored records.
    model = runtime.pipeline.models["budgeted"]
    admission = runtime.pipeline._admission
    assert admission is not None
    (scope,) = admission.budget_scopes(RequestContext.begin(0, 0), model)
    usage = await runtime.state.budget_usage(
        f"{scope.name}:day", period_end(runtime.clock.wall(), "day")
    )
    assert usage is not None
    assert usage.reserved_usd == pytest.approx(0.0, abs=1e-9)
    assert usage.spent_usd == pytest.approx(sum(r.cost_usd for r in records), abs=1e-6)


async def test_a_soft_limit_raises_one_event_per_period(
    runtime: Runtime, clock: FrozenClock
) -> None:
    for n in range(1000):
        try:
            await call(runtime, "budgeted", f"q {n}", max_tokens=200)
        except BudgetExceeded:
            break
    else:
        raise AssertionError("the budget never ran out")
    soft = [e for e in runtime.events.recent if e["kind"] == "budget_soft_limit"]
    assert len(soft) == 1
    assert soft[0]["scope"] == "model:budgeted"
    clock.advance(86_400)  # the next day: a fresh budget
    assert (await call(runtime, "budgeted", "tomorrow", max_tokens=200)).record.outcome == "ok"


# --------------------------------------------------------------------------- rate limits


async def test_rate_limit_refuses_with_an_exact_retry_after(
    runtime: Runtime, clock: FrozenClock
) -> None:
    # 600 per minute with a one-second bucket: 10 at once, then one every 100 ms.
    for _ in range(10):
        await call(runtime, "limited")
    with pytest.raises(RateLimited) as caught:
        await call(runtime, "limited")
    assert caught.value.retry_after == pytest.approx(0.1, abs=1e-5)  # float time at 1.8e9 s
    clock.advance(caught.value.retry_after)
    assert (await call(runtime, "limited")).record.outcome == "ok"


async def test_rate_over_a_seeded_minute_matches_the_limit(
    runtime: Runtime, clock: FrozenClock
) -> None:
    rng = random.Random(3)
    admitted = 0
    for _ in range(2000):  # arrivals at ~3x the limit over about a minute
        clock.advance(rng.expovariate(30.0))
        try:
            await call(runtime, "limited")
            admitted += 1
        except RateLimited:
            pass
    elapsed = clock.wall() - 1_800_000_000.0
    expected = 10 + elapsed * 10  # the burst, then the rate
    assert abs(admitted - expected) <= 0.02 * expected


# --------------------------------------------------------------------------- cache


async def test_cache_hits_are_byte_identical_and_scoped(
    runtime: Runtime, clock: FrozenClock
) -> None:
    first = await call(
        runtime, "cached", "what is the refund policy?", temperature=0, tenant="acme"
    )
    again = await call(
        runtime, "cached", "what is the refund policy?", temperature=0, tenant="acme"
    )
    assert first.run.cache == "miss"
    assert again.run.cache == "hit"
    assert orjson.dumps(again.response.body) == orjson.dumps(first.response.body)
    assert again.record.cost_usd == 0.0
    assert again.record.attempts == []
    other_tenant = await call(
        runtime, "cached", "what is the refund policy?", temperature=0, tenant="globex"
    )
    assert other_tenant.run.cache == "miss"
    other_params = await call(
        runtime, "cached", "what is the refund policy?", temperature=0, tenant="acme", max_tokens=5
    )
    assert other_params.run.cache == "miss"
    warm = await call(
        runtime, "cached", "what is the refund policy?", temperature=0.7, tenant="acme"
    )
    assert warm.run.cache is None  # not deterministic, not opted in: the cache is not consulted
    clock.advance(61)  # past the TTL
    expired = await call(
        runtime, "cached", "what is the refund policy?", temperature=0, tenant="acme"
    )
    assert expired.run.cache == "miss"


async def test_stale_if_error_stands_in_during_an_outage(
    runtime: Runtime, clock: FrozenClock
) -> None:
    first = await call(runtime, "cached", "status?", temperature=0)
    clock.advance(120)  # stale now: past ttl_s, within stale_if_error_s
    sim = runtime.providers["sim"]
    sim.engine.set_outage(True)  # type: ignore[attr-defined]
    try:
        stale = await call(runtime, "cached", "status?", temperature=0)
    finally:
        sim.engine.set_outage(False)  # type: ignore[attr-defined]
    assert stale.run.cache == "stale"
    assert stale.record.degraded
    assert stale.record.error_code == "upstream_unavailable"
    assert stale.response.content == first.response.content
    sim.engine.set_outage(True)  # type: ignore[attr-defined]
    try:
        with pytest.raises(UpstreamError):
            await call(runtime, "cached", "never asked before", temperature=0)
    finally:
        sim.engine.set_outage(False)  # type: ignore[attr-defined]


async def test_a_changed_target_never_shares_entries(tmp_path: Path) -> None:
    def runtime_for(target: str) -> Runtime:
        yaml = CONFIG.replace(
            "cached:\n    targets: [{provider: sim, model: sim-small}]",
            f"cached:\n    targets: [{{provider: sim, model: {target}}}]",
        )
        config = parse_config(
            yaml + f"store: {{url: 'sqlite:///{tmp_path}/s.db'}}\nstate: {{url: 'memory://'}}\n",
            "t",
        )
        return build_runtime(config, clock=FrozenClock(), seed=1)

    small = runtime_for("sim-small").pipeline.models["cached"]
    large = runtime_for("sim-large").pipeline.models["cached"]
    assert fingerprint(small) != fingerprint(large)


# --------------------------------------------------------------------------- concurrency


async def test_a_full_target_sheds_to_the_next_without_touching_its_breaker(
    runtime: Runtime,
) -> None:
    # One slot and no queue on the primary: of two calls at once, one holds the slot while it
    # waits on the upstream, the other is shed at once to the fallback target.
    first, second = await asyncio.gather(call(runtime, "capped", "a"), call(runtime, "capped", "b"))
    upstreams = sorted([first.record.upstream, second.record.upstream])
    assert upstreams == ["sim/sim-large", "slow/sim-small"]
    shed = first if first.record.upstream == "sim/sim-large" else second
    assert [a.error_class for a in shed.record.attempts] == ["saturated", None]
    assert (await runtime.state.breaker_states())["slow/sim-small"] == "closed"
    limiter = runtime.pipeline.models["capped"].targets[0].limiter
    assert limiter is not None
    assert limiter.shed == 1
    assert limiter.in_flight == 0  # every slot given back


# --------------------------------------------------------------------------- routing


@pytest.mark.parametrize(
    ("text", "params", "tags", "chosen"),
    [
        ("What are your opening hours?", {}, [], "support:0:cheap"),
        ("What are your opening hours? " + "x " * 400, {}, [], "support:3:cheap"),
        ("Extract the order", {"response_format": {"type": "json_object"}}, [], "support:1:smart"),
        ("Help me", {}, ["vip"], "support:2:smart"),
        ("Help me with my invoice", {}, [], "support:3:cheap"),
    ],
)
async def test_routes_pick_by_declared_conditions(
    runtime: Runtime, text: str, params: dict[str, object], tags: list[str], chosen: str
) -> None:
    done = await call(runtime, "support", text, tags=tags, **params)
    assert done.run.route == chosen
    assert done.record.extra["route"] == chosen
    assert done.record.model == "support"
    expected_upstream = "sim/sim-large" if chosen.endswith("smart") else "sim/sim-small"
    assert done.record.upstream == expected_upstream
