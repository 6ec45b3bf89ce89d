"""The gateway records every call into PostgreSQL, the store for scale, as into SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.gateway import start_gateway
from helpers.postgres import fresh_database
from helpers.records import stored_records
from helpers.traffic import chat_bodies, send_many

CONFIG = """
store: {{url: "{url}", flush_interval_ms: 50}}
providers:
  flaky: {{kind: sim, sim: {{seed: 8, faults: {{rate_500: 0.3}}}}}}
  good: {{kind: sim, sim: {{seed: 9}}}}
models:
  chat:
    targets: [{{provider: flaky, model: a}}, {{provider: good, model: b}}]
    retry: {{max_attempts: 2, base_delay_ms: 1}}
"""


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


async def test_records_land_in_postgresql(pg_url: str, tmp_path: Path) -> None:
    with start_gateway(CONFIG.format(url=pg_url), tmp_path) as gw:
        replies = await send_many(gw.url, chat_bodies(300), concurrency=16)
    assert all(r.status == 200 for r in replies)
    records = {r.trace_id: r for r in await stored_records(pg_url)}
    assert set(records) == {r.headers["x-seawall-trace-id"] for r in replies}
    retried = [r for r in records.values() if r.retries]
    assert retried, "30% faults on the primary produce retries"
    for record in records.values():
        # Every attempt is either the first at its target or a retry.
        assert len(record.attempts) == len({a.target for a in record.attempts}) + record.retries
        assert record.fallback == (record.upstream == "good/b")
