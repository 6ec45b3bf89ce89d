"""Chaos, seeded: the gateway keeps answering while the simulated primary misbehaves."""

from __future__ import annotations

import time
from pathlib import Path

import orjson

from helpers.gateway import start_gateway
from helpers.records import stored_records
from helpers.traffic import chat_bodies, send_many
from seawall.providers.sim import SimUpstream


def config(primary_faults: str, *, breaker: bool = True, retry: str = "") -> str:
    return f"""
providers:
  primary: {{kind: sim, sim: {{seed: 42, faults: {primary_faults}}}}}
  backup: {{kind: sim, sim: {{seed: 43}}}}
models:
  chat:
    targets: [{{provider: primary, model: p}}, {{provider: backup, model: b}}]
    timeout: {{attempt_s: 0.25, deadline_s: 5}}
    retry: {{max_attempts: 3, base_delay_ms: 1, max_delay_ms: 5, budget_ratio: 0.2, budget_min_per_s: 1 {retry}}}
    breaker: {{enabled: {str(breaker).lower()}, window_s: 10, min_calls: 20, failure_rate: 0.5, open_s: 30}}
"""


def primary_calls(gateway_runtime: object) -> int:
    provider = gateway_runtime.providers["primary"]  # type: ignore[attr-defined]
    assert isinstance(provider, SimUpstream)
    return provider.engine.stats()["calls"]


async def test_twenty_percent_5xx_with_a_healthy_fallback(tmp_path: Path) -> None:
    with start_gateway(config("{rate_500: 0.2}"), tmp_path) as gw:
        replies = await send_many(gw.url, chat_bodies(2000))
        stats = gw.runtime.providers["primary"].engine.stats()  # type: ignore[attr-defined]
    ok = [r for r in replies if r.status == 200]
    assert len(ok) / len(replies) >= 0.999
    for reply in ok:
        content = orjson.loads(reply.body)["choices"][0]["message"]["content"]
        assert content, "no empty answer passes as a success"
    # The faults really happened (seeded 20% rate; tolerance ±3 points over ~2,400 calls).
    assert 0.17 <= stats["500"] / stats["calls"] <= 0.23
    # A 20% error rate is not an outage: the breaker kept the primary serving most traffic.
    by_primary = sum(1 for r in ok if r.headers["x-seawall-upstream"] == "primary/p")
    assert by_primary / len(ok) >= 0.9


async def _outage_run(tmp_path: Path, *, breaker: bool) -> tuple[int, int, float, int]:
    """(calls to primary, successes, elapsed seconds, retries recorded) over 400 calls."""
    with start_gateway(config("{outage: true}", breaker=breaker), tmp_path) as gw:
        started = time.monotonic()
        replies = await send_many(gw.url, chat_bodies(400), concurrency=8)
        elapsed = time.monotonic() - started
        calls = primary_calls(gw.runtime)
        url = gw.runtime.config.store.url
    records = await stored_records(url)
    assert len(records) == 400
    return calls, sum(r.status == 200 for r in replies), elapsed, sum(r.retries for r in records)


async def test_breaker_spares_a_dead_primary_and_retries_stay_in_budget(tmp_path: Path) -> None:
    with_breaker, ok_b, _, _ = await _outage_run(tmp_path / "b", breaker=True)
    without, ok_nb, elapsed, retries = await _outage_run(tmp_path / "nb", breaker=False)
    assert ok_b == ok_nb == 400, "the backup answers every call during the outage"
    assert without >= 400, "without a breaker every call tries the dead primary first"
    assert with_breaker <= 0.1 * without, f"breaker: {with_breaker} calls vs {without} without"
    # Retry budget: 0.2 per call, 1/s trickle, and one second's worth to start.
    assert retries <= 0.2 * 400 + 1.0 * elapsed + 1.0
    assert without - 400 == retries, "every retry was an extra call to the primary"


async def test_a_hang_is_cut_at_the_attempt_timeout(tmp_path: Path) -> None:
    with start_gateway(config("{rate_hang: 1.0}", retry=", max_attempts: 1"), tmp_path) as gw:
        started = time.monotonic()
        replies = await send_many(gw.url, chat_bodies(5), concurrency=5)
        elapsed = time.monotonic() - started
        url = gw.runtime.config.store.url
    assert [r.status for r in replies] == [200] * 5
    assert {r.headers["x-seawall-upstream"] for r in replies} == {"backup/b"}
    assert elapsed < 2.0, "five hung calls in parallel are cut after 0.25 s each, not minutes"
    records = await stored_records(url)
    for record in records:
        first = record.attempts[0]
        assert first.error_class == "timeout"
        assert 250.0 <= first.latency_ms <= 450.0
