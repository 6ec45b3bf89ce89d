"""A dead, silent or flapping Redis never raises into the pipeline nor stalls a call.

Breakers fail open, retries fail closed, states fall back to the last ones seen; rate limits,
budgets and the cache fail open, and budget settlements wait until Redis is back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from urllib.parse import urlsplit

import pytest
from redis import Redis as SyncRedis
from redis.exceptions import RedisError

from seawall.config import BreakerPolicy, RetryPolicy
from seawall.core.clock import FrozenClock
from seawall.state.base import (
    BudgetCharge,
    BudgetDecision,
    BudgetSettle,
    BudgetUsage,
    RateCharge,
    RateDecision,
)
from seawall.state.factory import build_state
from seawall.state.memory import MemoryState
from seawall.state.redis import RECONNECT_AFTER_S, WARN_EVERY_S, RedisState

BREAKER = BreakerPolicy(window_s=10, min_calls=2, failure_rate=0.5, open_s=5)
BUDGET = RetryPolicy(budget_min_per_s=5.0)
TIMEOUT_S = 0.25
T = "sim/model-a"
PREFIX = f"seawall-test-{secrets.token_hex(6)}"


async def timed_ops(state: RedisState) -> list[tuple[str, object, float]]:
    """Every operation once: (name, answer, seconds taken)."""
    ops: dict[str, Callable[[], Awaitable[object]]] = {
        "breaker_allow": lambda: state.breaker_allow(T, BREAKER),
        "breaker_record": lambda: state.breaker_record(T, BREAKER, False),
        "breaker_states": state.breaker_states,
        "retry_deposit": lambda: state.retry_deposit(T, BUDGET),
        "retry_withdraw": lambda: state.retry_withdraw(T, BUDGET),
        "rate_acquire": lambda: state.rate_acquire([RATE]),
        "rate_adjust": lambda: state.rate_adjust([RATE]),
        "budget_reserve": lambda: state.budget_reserve([SPEND]),
        "budget_settle": lambda: state.budget_settle([SETTLE]),
        "budget_usage": lambda: state.budget_usage("k", DAY_END),
        "cache_get": lambda: state.cache_get("c"),
        "cache_set": lambda: state.cache_set("c", b"v", 60.0, 60.0),
    }
    results: list[tuple[str, object, float]] = []
    for name, op in ops.items():
        start = time.perf_counter()
        answer = await op()
        results.append((name, answer, time.perf_counter() - start))
    return results


DAY_END = 2e9
RATE = RateCharge("k:rpm", rate_per_s=1.0, burst=1.0, amount=1.0)
SPEND = BudgetCharge("k", limit_usd=1.0, estimate_usd=0.5, period_end=DAY_END)
SETTLE = BudgetSettle("k", DAY_END, estimate_usd=0.0, actual_usd=0.25)

FAIL_SAFE = {
    "breaker_allow": True,
    "breaker_record": None,
    "breaker_states": {T: "closed"},
    "retry_deposit": None,
    "retry_withdraw": False,
    "rate_acquire": RateDecision(True, remaining=float("inf"), degraded=True),
    "rate_adjust": None,
    "budget_reserve": BudgetDecision(True, degraded=True),
    "budget_settle": (),
    "budget_usage": None,
    "cache_get": None,
    "cache_set": None,
}


async def test_closed_port_never_raises_allows_calls_and_refuses_retries() -> None:
    clock = FrozenClock()
    state = RedisState("redis://127.0.0.1:1/0", clock=clock, timeout_s=TIMEOUT_S)
    for _ in range(3):
        results = await timed_ops(state)
        assert {name: answer for name, answer, _ in results} == FAIL_SAFE
        assert all(took < TIMEOUT_S for _, _, took in results), results
        clock.advance(RECONNECT_AFTER_S)
    await state.aclose()


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A server that accepts connections and never answers (a hung or black-holed Redis)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_silent_redis_costs_one_timeout_then_nothing(silent_port: int) -> None:
    clock = FrozenClock()
    state = RedisState(f"redis://127.0.0.1:{silent_port}/0", clock=clock, timeout_s=TIMEOUT_S)
    (first, *rest) = await timed_ops(state)
    assert first[1] is True
    assert TIMEOUT_S * 0.8 < first[2] < TIMEOUT_S + 0.2, "bounded by the timeout"
    assert {name: answer for name, answer, _ in rest} == {
        name: answer for name, answer in FAIL_SAFE.items() if name != first[0]
    }
    assert all(took < 0.01 for _, _, took in rest), "Redis is left alone after a failure"

    clock.advance(RECONNECT_AFTER_S)
    probe = asyncio.create_task(state.retry_withdraw(T, BUDGET))
    await asyncio.sleep(0.05)
    start = time.perf_counter()
    assert await state.breaker_allow(T, BREAKER), "others fail open while one caller probes"
    assert time.perf_counter() - start < 0.01
    assert await probe is False
    await state.aclose()


async def test_warns_at_most_every_ten_seconds(caplog: pytest.LogCaptureFixture) -> None:
    clock = FrozenClock()
    state = RedisState("redis://127.0.0.1:1/0", clock=clock, timeout_s=TIMEOUT_S)
    with caplog.at_level(logging.WARNING, logger="seawall.state.redis"):
        for _ in range(int(WARN_EVERY_S / RECONNECT_AFTER_S)):
            assert await state.breaker_allow(T, BREAKER)
            clock.advance(RECONNECT_AFTER_S)
        assert len(caplog.records) == 1
        assert await state.breaker_allow(T, BREAKER)
    assert len(caplog.records) == 2
    assert "127.0.0.1:1" in caplog.text
    assert "retries are refused" in caplog.text
    await state.aclose()


async def test_logs_never_show_the_password(caplog: pytest.LogCaptureFixture) -> None:
    state = RedisState("redis://user:s3cret@127.0.0.1:1/0", timeout_s=TIMEOUT_S)
    with caplog.at_level(logging.WARNING, logger="seawall.state.redis"):
        assert await state.retry_withdraw(T, BUDGET) is False
    await state.aclose()
    assert "redis://127.0.0.1:1/0" in caplog.text
    assert "s3cret" not in caplog.text


# --------------------------------------------------------------------------- recovery


class CuttableProxy:
    """A TCP proxy to Redis that can be cut (a network partition) and restored."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self._writers += [writer, up_writer]
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(_pipe(src, dst))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    except ConnectionError:
        pass
    finally:
        dst.close()


REDIS_URL = os.environ.get("SEAWALL_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_client() -> Iterator[SyncRedis]:
    """The test Redis (skipped when unreachable, except in CI); deletes test keys afterwards."""
    client = SyncRedis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1, retry=None)
    try:
        client.ping()
    except (RedisError, OSError) as exc:
        client.close()
        if os.environ.get("CI"):
            pytest.fail(f"Redis not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    yield client
    keys = list(client.scan_iter(match=f"{PREFIX}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
async def proxy(redis_client: SyncRedis) -> AsyncIterator[CuttableProxy]:
    port: int = redis_client.connection_pool.connection_kwargs.get("port", 6379)
    started = CuttableProxy(port)
    await started.start()
    yield started
    await started.cut()


async def test_recovers_when_redis_comes_back(
    proxy: CuttableProxy, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FrozenClock()
    url = f"redis://127.0.0.1:{proxy.port}/{urlsplit(REDIS_URL).path.strip('/') or 0}"
    state = RedisState(url, prefix=PREFIX, clock=clock, timeout_s=TIMEOUT_S)
    policy = RetryPolicy(budget_ratio=0.0, budget_min_per_s=2.0)
    assert await state.retry_withdraw(T, policy)

    await proxy.cut()
    with caplog.at_level(logging.WARNING, logger="seawall.state.redis"):
        assert await state.retry_withdraw(T, policy) is False
        assert await state.breaker_allow(T, BREAKER)
        await proxy.start()
        assert await state.retry_withdraw(T, policy) is False, "still leaving Redis alone"
        clock.advance(RECONNECT_AFTER_S)
        granted = [await state.retry_withdraw(T, policy) for _ in range(4)]
        assert granted == [True] * 3 + [False], "1 token left + 2 trickled: it survived"
    assert "reachable again" in caplog.text
    await state.aclose()


async def test_settles_made_during_an_outage_are_written_when_redis_returns(
    proxy: CuttableProxy,
) -> None:
    clock = FrozenClock()
    url = f"redis://127.0.0.1:{proxy.port}/{urlsplit(REDIS_URL).path.strip('/') or 0}"
    state = RedisState(url, prefix=PREFIX, clock=clock, timeout_s=TIMEOUT_S)
    soft = BudgetCharge("k", 1.0, 0.25, period_end=DAY_END, soft_usd=0.75)
    assert (await state.budget_reserve([soft])).allowed  # reserved in Redis

    await proxy.cut()
    degraded = await state.budget_reserve([soft])
    assert degraded == BudgetDecision(True, degraded=True), "fails open"
    settles = [
        BudgetSettle("k", DAY_END, 0.25, 0.5),  # the reservation Redis holds
        BudgetSettle("k", DAY_END, 0.0, 0.5),  # the degraded one: nothing was reserved
    ]
    assert await state.budget_settle(settles) == ()
    assert await state.budget_usage("k", DAY_END) is None, "unknown, not zero"

    await proxy.start()
    clock.advance(RECONNECT_AFTER_S)
    refused = await state.budget_reserve([soft])
    assert not refused.allowed, "the outage's spend counts as soon as Redis is back"
    assert refused.soft_crossed == ("k",), "and its soft alert fires then"
    assert (refused.spent_usd, refused.reserved_usd) == (1.0, 0.0)
    await state.aclose()


async def test_a_burst_beyond_the_connection_pool_queues_instead_of_failing_open(
    redis_client: SyncRedis,
) -> None:
    state = RedisState(REDIS_URL, prefix=PREFIX, clock=FrozenClock(), timeout_s=5.0)
    charge = BudgetCharge("burst", 1.0, 0.001, period_end=DAY_END)
    decisions = await asyncio.gather(*(state.budget_reserve([charge]) for _ in range(1500)))
    assert not any(d.degraded for d in decisions)
    assert sum(d.allowed for d in decisions) == 1000
    assert await state.budget_usage("burst", DAY_END) == BudgetUsage(0.0, 1.0)
    await state.aclose()


# --------------------------------------------------------------------------- factory


def test_factory_builds_each_backend_without_connecting() -> None:
    clock = FrozenClock()
    assert isinstance(build_state("memory://", clock), MemoryState)
    bounded = build_state("memory://", clock, cache_max_bytes=4096)
    assert isinstance(bounded, MemoryState)
    assert bounded.cache.max_bytes == 4096
    for url in ("redis://127.0.0.1:1/0", "rediss://:pw@example.invalid:6380/2"):
        assert isinstance(build_state(url, clock), RedisState)


@pytest.mark.parametrize("url", ["postgresql://u:s3cret@db/x", "localhost:6379", ""])
def test_factory_rejects_other_urls_clearly(url: str) -> None:
    with pytest.raises(ValueError, match=r"use memory:// .* redis://host:port/db") as caught:
        build_state(url, FrozenClock())
    assert "s3cret" not in str(caught.value)
