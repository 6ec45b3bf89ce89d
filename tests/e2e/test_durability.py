"""Every accepted call is in the store after a graceful shutdown under load (real SIGTERM)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx

from helpers.process import free_port, start_serve
from helpers.records import stored_records

CONFIG = """
server: {{port: {port}, drain_timeout_s: 20}}
store: {{url: "sqlite:///{db}", flush_interval_ms: 500, batch_size: 50}}
providers:
  main: {{kind: sim, sim: {{seed: 5, latency: {{p50_ms: 40, p99_ms: 120}}}}}}
models:
  chat:
    targets: [{{provider: main, model: m}}]
"""


async def test_sigterm_under_load_loses_no_accepted_call(tmp_path: Path) -> None:
    port, db = free_port(), tmp_path / "calls.db"
    config = tmp_path / "seawall.yaml"
    config.write_text(CONFIG.format(port=port, db=db))
    proc = start_serve(config, port, tmp_path)
    accepted: list[str] = []
    refused = 0
    halfway = asyncio.Event()

    async def one(client: httpx.AsyncClient, i: int) -> None:
        nonlocal refused
        body = {"model": "chat", "messages": [{"role": "user", "content": f"q{i}"}]}
        try:
            resp = await client.post("/v1/chat/completions", json=body)
        except httpx.TransportError:
            refused += 1  # sent after the server stopped accepting: never accepted
            return
        accepted.append(resp.headers["x-seawall-trace-id"])
        assert resp.status_code == 200, resp.text
        if len(accepted) == 150:
            halfway.set()

    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits
    ) as client:
        tasks = [asyncio.create_task(one(client, i)) for i in range(600)]
        await halfway.wait()
        proc.send_signal(signal.SIGTERM)
        await asyncio.gather(*tasks)
    assert proc.wait(timeout=60) == 0
    assert 150 <= len(accepted) <= 600
    assert len(accepted) + refused == 600

    stored = {r.trace_id for r in await stored_records(f"sqlite:///{db}")}
    assert set(accepted) <= stored, f"{len(set(accepted) - stored)} accepted calls have no record"
