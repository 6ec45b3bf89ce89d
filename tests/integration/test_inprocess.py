"""``seawall.Seawall``: the same pipeline in process, records included."""

from __future__ import annotations

from pathlib import Path

import pytest

import seawall
from seawall.core.errors import UpstreamError
from seawall.store.calls import open_store

CONFIG = """
store: {{url: "sqlite:///{db}"}}
providers:
  flaky: {{kind: sim, sim: {{seed: 3, faults: {{rate_503: 1.0}}}}}}
  good: {{kind: sim, sim: {{seed: 4, scenarios: [{{match: "(?i)invoice", reply_json: {{total: 42}}}}]}}}}
  dead: {{kind: sim, sim: {{faults: {{outage: true}}}}}}
models:
  chat:
    targets: [{{provider: flaky, model: a}}, {{provider: good, model: gpt-4o-mini}}]
    retry: {{max_attempts: 2, base_delay_ms: 1}}
  down:
    targets: [{{provider: dead, model: x}}]
    retry: {{max_attempts: 1}}
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "seawall.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "calls.db"))
    return path


async def test_chat_runs_the_pipeline_and_records(config_file: Path, tmp_path: Path) -> None:
    async with seawall.Seawall.from_config(config_file, seed=1) as sw:
        result = await sw.chat(model="chat", messages=[{"role": "user", "content": "hello"}])
        assert result.content
        assert result.record.upstream == "good/gpt-4o-mini"
        assert result.record.fallback
        assert [a.status for a in result.record.attempts] == ["error", "error", "ok"]
        assert result.record.cost_usd > 0, "gpt-4o-mini has a built-in price"

        parsed = await sw.chat(
            model="chat",
            messages=[{"role": "user", "content": "invoice total?"}],
            response_format={"type": "json_object"},
        )
        assert parsed.parsed == {"total": 42}
        assert parsed.record.validation == "valid"

        chunks = [
            c
            async for c in sw.stream(model="chat", messages=[{"role": "user", "content": "hello"}])
        ]
        assert "".join(c.text for c in chunks) == result.content

        with pytest.raises(UpstreamError) as info:
            await sw.chat(model="down", messages=[{"role": "user", "content": "x"}])
        assert info.value.code == "upstream_unavailable"
        trace_ids = [result.trace_id, parsed.trace_id]

    store = await open_store(f"sqlite:///{tmp_path / 'calls.db'}")
    try:
        assert await store.count_calls() == 4
        for trace_id in trace_ids:
            assert await store.get_call(trace_id) is not None
    finally:
        await store.aclose()
