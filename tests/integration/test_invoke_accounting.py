"""What the record says about attempts and retries is what happened, even when a breaker trips."""

from __future__ import annotations

from pathlib import Path

import seawall

CONFIG = """
store: {{url: "sqlite:///{db}"}}
providers:
  bad: {{kind: sim, sim: {{faults: {{rate_500: 1.0}}}}}}
  good: {{kind: sim, sim: {{seed: 1}}}}
models:
  chat:
    targets: [{{provider: bad, model: b}}, {{provider: good, model: g}}]
    retry: {{max_attempts: 3, base_delay_ms: 1, max_delay_ms: 1}}
    breaker: {{min_calls: 1, failure_rate: 0.5, open_s: 60}}
"""


async def test_a_breaker_that_opens_during_backoff_cancels_the_retry(tmp_path: Path) -> None:
    path = tmp_path / "seawall.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "calls.db"))
    async with seawall.Seawall.from_config(path, seed=1) as sw:
        first = await sw.chat(model="chat", messages=[{"role": "user", "content": "hi"}])
        second = await sw.chat(model="chat", messages=[{"role": "user", "content": "hi"}])
    # The first failure opened the breaker (1 call, 100% failed), so no retry was sent.
    assert [(a.target, a.status) for a in first.record.attempts] == [
        ("bad/b", "error"),
        ("good/g", "ok"),
    ]
    assert first.record.retries == 0
    assert first.record.fallback
    assert [(a.target, a.status) for a in second.record.attempts] == [
        ("bad/b", "skipped"),
        ("good/g", "ok"),
    ]
