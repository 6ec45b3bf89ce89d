"""/metrics and /readyz tell an operator what the pipeline did."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from helpers.gateway import start_gateway
from helpers.traffic import chat_bodies, send_many

CONFIG = """
providers:
  dead: {kind: sim, sim: {faults: {outage: true}}}
  good: {kind: sim, sim: {seed: 2}}
models:
  chat:
    targets: [{provider: dead, model: d}, {provider: good, model: gpt-4o-mini}]
    retry: {max_attempts: 2, base_delay_ms: 1}
    breaker: {min_calls: 5, window_s: 10, open_s: 60}
"""


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return sum(v for (n, ls), v in found.items() if n == name and set(labels.items()) <= ls)


async def test_metrics_and_readiness_after_an_outage(tmp_path: Path) -> None:
    with start_gateway(CONFIG, tmp_path) as gw:
        replies = await send_many(gw.url, chat_bodies(40), concurrency=4)
        assert all(r.status == 200 for r in replies)
        async with httpx.AsyncClient(base_url=gw.url) as client:
            ready = (await client.get("/readyz")).json()
            text = (await client.get("/metrics")).text
    found = samples(text)
    assert value(found, "seawall_requests_total", model="chat", outcome="ok") == 40
    assert value(found, "seawall_fallbacks_total", model="chat") == 40
    assert value(found, "seawall_breaker_transitions_total", target="dead/d", state="open") == 1
    assert value(found, "seawall_breaker_state", target="dead/d") == 2
    assert (
        value(
            found,
            "seawall_attempts_total",
            target="dead/d",
            status="skipped",
            error_class="breaker_open",
        )
        >= 30
    )
    assert value(found, "seawall_attempts_total", target="dead/d", error_class="http_5xx") >= 5
    assert value(found, "seawall_tokens_total", direction="output") > 0
    assert value(found, "seawall_cost_usd_total", model="chat") > 0
    assert value(found, "seawall_overhead_seconds_count") == 40
    assert value(found, "seawall_records_dropped_total") == 0
    assert ready["status"] == "ready"
    assert ready["breakers"]["dead/d"] == "open"
