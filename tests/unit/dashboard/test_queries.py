"""Dashboard aggregates on SQLite and PostgreSQL: exact counts, rates, buckets, quantiles."""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from helpers.postgres import fresh_database
from seawall.core.errors import InvalidRequest
from seawall.dashboard.bucketcache import BucketCache
from seawall.dashboard.lookups import (
    TraceFilter,
    find_traces,
    release_arms,
    review_items_of,
    trace_prefix,
)
from seawall.dashboard.queries import BUCKETS, Cache, Window, overview, usage
from seawall.releases.controller import Release
from seawall.store import SqlCallStore, open_store
from seawall.store.schema import calls
from seawall.store.schema.reviews import feedback, review_items
from seawall.telemetry.records import AttemptRecord, CallRecord

START = 1_800_000_000.0  # a whole minute: 2027-01-15 08:00:00 UTC
HOUR = Window(START, START + 3600)  # 60 one-minute buckets


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/calls.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlCallStore]:
    opened = await open_store(store_url)
    async with opened.engine.begin() as conn:
        for table in (calls, feedback, review_items):
            await conn.execute(table.delete())
    yield opened
    await opened.aclose()


def record(i: int, at: float, **fields: object) -> CallRecord:
    values: dict[str, object] = {
        "trace_id": f"{i:032x}",
        "started_at": at,
        "model": "chat",
        "stream": False,
        "upstream": "sim/s",
        "latency_ms": 100.0,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cost_usd": 0.001,
        "tenant": "acme",
        "attempts": [AttemptRecord("sim/s", 0.0, 100.0, "ok")],
    }
    values.update(fields)
    return CallRecord(**values)  # type: ignore[arg-type]


def exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered) - 1e-9)) - 1]


async def test_overview_counts_rates_and_buckets(store: SqlCallStore) -> None:
    records = [
        record(0, START + 0.5, extra={"cache": "hit"}),
        record(1, START + 59.9, extra={"cache": "miss"}),
        record(2, START + 60.0, outcome="error", error_code="upstream_timeout", status_code=504),
        record(3, START + 61.0, outcome="error", error_code="rate_limited", status_code=429),
        record(4, START + 125.0, outcome="degraded", degraded=True, fallback=True),
        record(5, START + 3599.0, model="premium", tenant="globex", cost_usd=0.5),
        record(6, START + 3600.0),  # the window is half-open: not counted
        record(7, START - 0.1),
    ]
    await store.write_calls(records)
    found = await overview(store.engine, HOUR)
    total = found.total
    assert (total.calls, total.errors, total.rejected, total.degraded, total.fallback) == (
        6,
        1,
        1,
        1,
        1,
    )
    assert (total.cache_hits, total.cache_lookups, total.cache_hit_rate) == (1, 2, 0.5)
    assert (total.prompt_tokens, total.completion_tokens) == (60, 30)
    assert total.cost_usd == pytest.approx(0.505)
    assert [b.calls for b in found.series[:3]] == [2, 2, 1]
    assert found.series[59].calls == 1
    assert sum(b.calls for b in found.series) == 6
    assert len(found.series) == BUCKETS
    assert list(found.by_model) == ["chat", "premium"]
    assert found.by_model["premium"].cost_usd == pytest.approx(0.5)


async def test_a_tenant_sees_only_its_calls(store: SqlCallStore) -> None:
    await store.write_calls(
        [record(i, START + i, tenant="acme" if i % 3 else "globex") for i in range(30)]
    )
    acme = await overview(store.engine, Window(START, START + 3600, tenant="acme"))
    globex = await usage(store.engine, Window(START, START + 3600, tenant="globex"))
    everyone = await usage(store.engine, HOUR)
    assert acme.total.calls == 20
    assert globex.total.calls == 10
    assert list(globex.by_tenant) == ["globex"]
    assert {t: u.calls for t, u in everyone.by_tenant.items()} == {"acme": 20, "globex": 10}


async def test_latency_and_ttft_quantiles_are_within_five_percent(store: SqlCallStore) -> None:
    rng = random.Random(11)
    latencies = [rng.lognormvariate(5.5, 0.8) for _ in range(400)]
    records = [
        record(
            i,
            START + i * 9,
            latency_ms=lat,
            stream=i % 2 == 0,
            ttft_ms=lat / 4 if i % 2 == 0 else None,
        )
        for i, lat in enumerate(latencies)
    ]
    await store.write_calls(records)
    total = (await overview(store.engine, HOUR)).total
    for q in (0.5, 0.95):
        got = total.latency_q(q)
        assert got is not None
        assert abs(got - exact(latencies, q)) / exact(latencies, q) < 0.05
    ttfts = [lat / 4 for i, lat in enumerate(latencies) if i % 2 == 0]
    got = total.ttft_q(0.95)
    assert got is not None
    assert abs(got - exact(ttfts, 0.95)) / exact(ttfts, 0.95) < 0.05
    assert sum(total.ttft.values()) == len(ttfts)  # calls without a first token are left out


async def test_buckets_floor_on_every_backend(store: SqlCallStore) -> None:
    # 2.7 buckets in: PostgreSQL's CAST would round this to bucket 3.
    await store.write_calls([record(0, START + 60 * 2.7)])
    found = await overview(store.engine, HOUR)
    assert [i for i, b in enumerate(found.series) if b.calls] == [2]


async def test_per_release_totals(store: SqlCallStore) -> None:
    await store.write_calls(
        [
            record(0, START + 1, prompt="faq", release="faq@1"),
            record(
                1,
                START + 2,
                prompt="faq",
                release="faq@2",
                outcome="error",
                error_code="output_invalid",
            ),
            record(2, START + 3),
        ]
    )
    found = await overview(store.engine, HOUR)
    assert {name: t.calls for name, t in found.by_release.items()} == {"faq@1": 1, "faq@2": 1}
    assert found.by_release["faq@2"].errors == 1


async def test_trace_search_filters_and_pages(store: SqlCallStore) -> None:
    records = [
        record(
            i,
            START + i,
            model="chat" if i % 2 else "premium",
            outcome="error" if i % 5 == 0 else "ok",
        )
        for i in range(40)
    ]
    records.append(record(1000, START + 5, tenant="globex"))
    await store.write_calls(records)
    engine = store.engine
    everything = TraceFilter(START, START + 3600, limit=10)
    page = await find_traces(engine, everything)
    assert [r["trace_id"] for r in page] == [f"{i:032x}" for i in range(39, 29, -1)]
    after = TraceFilter(START, START + 3600, before=page[-1]["started_at"], limit=100)
    assert len(await find_traces(engine, after)) == 31  # 30 older of acme + globex's
    errors = await find_traces(
        engine, TraceFilter(START, START + 3600, outcome="error", model="premium")
    )
    assert {r["trace_id"] for r in errors} == {f"{i:032x}" for i in range(0, 40, 10)}
    acme = await find_traces(engine, TraceFilter(START, START + 3600, tenant="acme", limit=100))
    assert len(acme) == 40
    assert {r["tenant"] for r in acme} == {"acme"}
    prefix = "0" * 29 + "3e8"  # 1000 in hex: searched by id in any window
    found = await find_traces(engine, TraceFilter(0.0, 1.0, prefix=prefix[:30]))
    assert [r["trace_id"] for r in found] == [f"{1000:032x}"]
    hidden = await find_traces(engine, TraceFilter(0.0, 1.0, prefix=prefix, tenant="acme"))
    assert hidden == []


def test_a_trace_search_takes_hex_only() -> None:
    assert trace_prefix("  ABC123 ") == "abc123"
    assert trace_prefix("") is None
    with pytest.raises(InvalidRequest):
        trace_prefix("abc")  # too short to narrow a million calls
    with pytest.raises(InvalidRequest):
        trace_prefix("abc' OR 1=1 --")
    with pytest.raises(InvalidRequest):
        trace_prefix("a" * 33)


async def test_release_arms_side_by_side(store: SqlCallStore) -> None:
    release = Release(
        "r1", "faq", candidate=2, baseline=1, share=0.1, state="canary", started_at=START, actor="t"
    )
    records = [record(i, START + i, prompt="faq", release="faq@1") for i in range(20)]
    records += [
        record(
            100 + i,
            START + i,
            prompt="faq",
            release="faq@2",
            validation="invalid" if i < 2 else "valid",
            outcome="error" if i < 3 else "ok",
            review_id="rv1" if i == 4 else None,
        )
        for i in range(10)
    ]
    records.append(
        record(200, START - 10, prompt="faq", release="faq@2", outcome="error")
    )  # before
    records.append(record(201, START + 1, prompt="faq", release="faq@2", tenant="globex"))
    await store.write_calls(records)
    async with store.engine.begin() as conn:
        await conn.execute(
            feedback.insert(),
            [
                _feedback("f1", f"{100 + 5:032x}", True),
                _feedback("f2", f"{100 + 5:032x}", True),  # twice on one call: counted once
                _feedback("f3", f"{3:032x}", False),
            ],
        )
    arms = await release_arms(store.engine, release, START + 3600, "acme")
    canary, production = arms["faq@2"], arms["faq@1"]
    assert (canary.calls, production.calls) == (10, 20)
    assert canary.invalid == 2
    assert canary.errors == 1  # the controller's definition: invalid outputs are not errors too
    assert canary.escalated == 1
    assert (canary.negative_feedback, production.negative_feedback) == (1, 0)
    assert canary.latency_q(0.95) == pytest.approx(100.0, rel=0.05)


def _feedback(fid: str, trace_id: str, negative: bool) -> dict[str, object]:
    return {
        "id": fid,
        "trace_id": trace_id,
        "tenant": "acme",
        "kind": "complaint" if negative else "rating",
        "score": None,
        "label": None,
        "comment": None,
        "correction": None,
        "negative": negative,
        "created_at": START,
        "actor": "key:x",
        "review_id": None,
    }


async def test_review_items_of_a_trace_stay_in_their_tenant(store: SqlCallStore) -> None:
    base = {
        "trace_id": "t" * 32,
        "source": "complaint",
        "mode": "advise",
        "status": "pending",
        "reasons": [],
        "context": {},
        "answer": None,
        "created_at": START,
        "due_at": START + 10,
        "claim_timeout_s": 60.0,
        "overdue": False,
        "webhook_attempts": 0,
        "version": 0,
    }
    async with store.engine.begin() as conn:
        await conn.execute(
            review_items.insert(),
            [{**base, "id": "rv1", "tenant": "acme"}, {**base, "id": "rv2", "tenant": "globex"}],
        )
    assert [i["id"] for i in await review_items_of(store.engine, "t" * 32, "acme")] == ["rv1"]
    assert len(await review_items_of(store.engine, "t" * 32, None)) == 2


async def test_settled_buckets_come_from_the_cache(store: SqlCallStore) -> None:
    now = START + 3600  # buckets ending 15 minutes before now are settled: 0..44
    await store.write_calls(
        [record(i, START + 30 + 60 * i, latency_ms=10.0 + i) for i in range(60)]
    )
    cache: Cache = BucketCache()
    cold = await overview(store.engine, HOUR, cache=cache, now=now)
    assert len(cache) == 45
    assert cache.hits == 0
    late = [
        record(100, START + 10, latency_ms=5000.0),  # in a settled bucket: not read again
        record(101, START + 3500, latency_ms=5000.0),  # in the last bucket: read again
    ]
    await store.write_calls(late)
    warm = await overview(store.engine, HOUR, cache=cache, now=now)
    assert cache.hits == 45
    assert warm.total.calls == cold.total.calls + 1
    assert [b.calls for b in warm.series[:45]] == [b.calls for b in cold.series[:45]]
    assert warm.series[58].calls == 2
    fresh = await overview(store.engine, HOUR)  # no cache: everything, late calls included
    assert fresh.total.calls == cold.total.calls + 2
    assert fresh.total.latency_q(0.5) == warm.total.latency_q(0.5)
    usage_cold = await usage(store.engine, HOUR, cache=cache, now=now)  # its own entries
    usage_warm = await usage(store.engine, HOUR, cache=cache, now=now)
    assert usage_cold.total.calls == fresh.total.calls
    assert usage_warm.total == usage_cold.total
    assert usage_warm.by_tenant == usage_cold.by_tenant
