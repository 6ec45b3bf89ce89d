"""Two gateway replicas sharing Redis hold one breaker per target between them."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from helpers.gateway import start_gateway
from helpers.records import stored_records
from helpers.traffic import chat_bodies, send_many

REDIS_URL = os.environ.get("SEAWALL_TEST_REDIS", "redis://127.0.0.1:6379/0")

CONFIG = """
state: {{url: "{redis}", prefix: "{prefix}", timeout_ms: 5000}}
providers:
  dead: {{kind: sim, sim: {{faults: {{outage: true}}}}}}
  good: {{kind: sim, sim: {{seed: 2}}}}
models:
  chat:
    targets: [{{provider: dead, model: d}}, {{provider: good, model: g}}]
    retry: {{max_attempts: 1}}
    breaker: {{min_calls: 10, window_s: 30, open_s: 60}}
"""


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    name = f"seawall-e2e-{secrets.token_hex(6)}"
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        if os.environ.get("CI"):
            pytest.fail(f"Redis not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    yield name
    keys = [key async for key in client.scan_iter(match=f"{name}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_a_breaker_opened_by_one_replica_spares_the_other(
    prefix: str, tmp_path: Path
) -> None:
    config = CONFIG.format(redis=REDIS_URL, prefix=prefix)
    with (
        start_gateway(config, tmp_path / "a") as replica_a,
        start_gateway(config, tmp_path / "b") as replica_b,
    ):
        first = await send_many(replica_a.url, chat_bodies(10), concurrency=1)
        second = await send_many(replica_b.url, chat_bodies(10), concurrency=1)
        url_b = replica_b.runtime.config.store.url
    assert all(r.status == 200 for r in first + second)
    records = await stored_records(url_b)
    assert len(records) == 10
    for record in records:
        # Replica B never called the dead primary: replica A's failures opened the breaker.
        assert record.attempts[0].status == "skipped"
        assert record.attempts[0].error_class == "breaker_open"
