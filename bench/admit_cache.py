#!/usr/bin/env python3
"""What the admit (rate limits, budgets), cache and guard stages cost, and what a cache hit saves.

Part 1, in process: the same call through the pipeline with each stage switched on in turn,
against the simulator with no latency, sequentially; the CPU time per call is measured for
every variant in one run (interleaved rounds, so drift on a noisy machine affects all alike),
and the stage's cost is the difference to the plain variant.

Part 2, over HTTP: a gateway (`seawall serve`) in front of the simulator at 50 ms; the latency
of a cache hit against the latency of the same call answered by the upstream.

    .venv/bin/python bench/admit_cache.py [--calls 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from seawall.configload import parse_config  # noqa: E402
from seawall.core.context import RequestContext  # noqa: E402
from seawall.stages.admit import parse_chat_request  # noqa: E402
from seawall.wiring import Runtime, build_runtime  # noqa: E402

MODELS = """
prices: {sim-small: {input: 0.15, output: 0.6}}
providers:
  sim: {kind: sim}
models:
  plain: {targets: [{provider: sim, model: sim-small}]}
  limited:
    targets: [{provider: sim, model: sim-small}]
    limits: {requests_per_min: 100000000, tokens_per_min: 100000000000}
    budgets: [{limit_usd: 1000000, period: day}]
  cached:
    targets: [{provider: sim, model: sim-small}]
    cache: {enabled: true, ttl_s: 3600}
  guarded:
    targets: [{provider: sim, model: sim-small}]
    guards: {pii: {input: redact}, injection: {input: flag, canary: flag}}
limits:
  per_key: {requests_per_min: 100000000}
"""
MESSAGES = [
    {"role": "system", "content": "You are a concise support assistant for an online bookshop."},
    {
        "role": "user",
        "content": "I ordered a paperback last Tuesday and the tracking page still says "
        "'label created'. Should I worry, and what can I do?",
    },
]
VARIANTS = {
    "plain": "plain",
    "+ rate limits and budgets": "limited",
    "+ cache (every call a hit)": "cached",
    "+ guards (PII redact, injection flag)": "guarded",
}


async def cpu_per_call(runtime: Runtime, model: str, calls: int) -> float:
    body = {"model": model, "messages": MESSAGES, "temperature": 0}
    request = parse_chat_request(body, max_messages=100)
    start = time.process_time()
    for _ in range(calls):
        ctx = RequestContext.begin(time.monotonic(), time.time())
        ctx.key_id, ctx.tenant = "bench", "bench"
        await runtime.pipeline.chat(request, ctx)
    return (time.process_time() - start) / calls * 1000.0


async def part_one(calls: int, rounds: int, workdir: Path) -> dict[str, float]:
    config = parse_config(MODELS + f"store: {{url: 'sqlite:///{workdir}/p1.db'}}\n", "bench.yaml")
    runtime = build_runtime(config, seed=1)
    await runtime.start(server=False)
    try:
        for model in VARIANTS.values():  # warm up every path (and fill the cache)
            await cpu_per_call(runtime, model, 50)
        samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(rounds):
            for name, model in VARIANTS.items():
                samples[name].append(await cpu_per_call(runtime, model, calls))
    finally:
        await runtime.close()
    return {name: statistics.median(values) for name, values in samples.items()}


def part_two(workdir: Path, requests: int) -> tuple[float, float]:
    config = workdir / "seawall.yaml"
    config.write_text(
        """
store: {url: "sqlite:///.seawall/p2.db"}
providers:
  sim: {kind: sim, sim: {latency: {fixed_ms: 50}}}
models:
  cached:
    targets: [{provider: sim, model: sim-small}]
    cache: {enabled: true, ttl_s: 3600}
"""
    )
    port = 18_000 + os.getpid() % 1000
    proc = subprocess.Popen(
        [sys.executable, "-m", "seawall.cli", "serve", "-c", str(config), "--port", str(port)],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base)
        misses, hits = [], []
        with httpx.Client(base_url=base, timeout=10) as http:
            for n in range(requests):
                body = {
                    "model": "cached",
                    "temperature": 0,
                    "messages": [{"role": "user", "content": f"question number {n}"}],
                }
                for bucket in (misses, hits):  # the first answer comes upstream, the second hits
                    began = time.perf_counter()
                    response = http.post("/v1/chat/completions", json=body)
                    bucket.append((time.perf_counter() - began) * 1000.0)
                    expected = "miss" if bucket is misses else "hit"
                    assert response.headers.get("x-seawall-cache") == expected, response.headers
        return statistics.median(misses), statistics.median(hits)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # a bounded wait for the server to start
    raise TimeoutError("the gateway did not start in 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per variant per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="HTTP miss/hit pairs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        cpu = asyncio.run(part_one(args.calls, args.rounds, workdir))
        miss, hit = part_two(workdir, args.requests)
    base = cpu["plain"]
    print(
        f"Part 1: pipeline CPU per call, in process, median of {args.rounds} rounds x {args.calls}"
    )
    print(f"{'variant':42} {'ms/call':>9} {'stage cost':>11}")
    for name, value in cpu.items():
        cost = "" if name == "plain" else f"{value - base:+.3f} ms"
        print(f"{name:42} {value:9.3f} {cost:>11}")
    print("\nPart 2: over HTTP, simulator at 50 ms, median of", args.requests, "calls")
    print(f"  answered upstream (cache miss): {miss:7.2f} ms")
    print(f"  answered from the cache (hit):  {hit:7.2f} ms   ({miss / hit:.0f}x faster)")


if __name__ == "__main__":
    main()
