#!/usr/bin/env python3
"""Prompt runs and the canary loop through the real pipeline: serving cost, rollback speed.

1. ``PromptRuns.serve`` per call (cached labels and compiled versions; with and without a live
   canary release), and rendering the chat body.
2. The canary loop in process, as ``tests/integration/test_canary_loop.py`` runs it: the sim
   scripted so the candidate's invalid-output rate is 15% against 1% in production, a 10%
   share, a look every 100 calls (~10 canary calls); canary calls until the rollback, over
   seeded runs. And a healthy candidate (1% vs 1%): how often it is rolled back by mistake.

    .venv/bin/python bench/prompt_release.py            # 20 seeded loops of each kind
    .venv/bin/python bench/prompt_release.py --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
from pathlib import Path

from seawall.configload import parse_config
from seawall.core.clock import FrozenClock
from seawall.core.context import RequestContext
from seawall.core.errors import SeawallError
from seawall.prompts import PromptSpec
from seawall.releases.runtime import Releases
from seawall.stages.admit import parse_chat_request
from seawall.wiring import Runtime, build_runtime

CONFIG = """
store: {{url: "sqlite:///{db}"}}
providers:
  sim:
    kind: sim
    sim:
      seed: {seed}
      scenarios:
        - {{match: VARIANT-A, reply_json: {{label: refund}}, wrong_field: label, wrong_rate: 0.01}}
        - {{match: VARIANT-B, reply_json: {{label: refund}}, wrong_field: label, wrong_rate: {bad}}}
models:
  chat:
    targets: [{{provider: sim, model: unpriced}}]
    validation: {{reask: false}}
"""


def spec(marker: str) -> PromptSpec:
    return PromptSpec.model_validate(
        {
            "name": "triage",
            "owner": "bench",
            "model": "chat",
            "messages": [{"role": "user", "content": marker + ": classify {{ text }}"}],
            "variables": {"type": "object", "required": ["text"]},
            "output_schema": {
                "type": "object",
                "required": ["label"],
                "properties": {"label": {"type": "string"}},
            },
            "canary": {"share": 0.1, "min_calls": 500, "duration_s": 60},
        }
    )


async def setup(tmp: Path, seed: int, bad: float) -> tuple[Runtime, Releases, FrozenClock]:
    db = tmp / f"s{seed}-{bad}.db"
    config = parse_config(CONFIG.format(db=db, seed=seed, bad=bad), "bench")
    clock = FrozenClock(1_700_000_000.0)
    runtime = build_runtime(config, clock=clock, seed=seed)
    await runtime.start(server=False)
    assert runtime.store is not None
    assert runtime.security is not None
    engine = runtime.store.engine  # type: ignore[attr-defined]
    releases = Releases(engine, runtime.security, clock)
    await releases.registry.push(spec("VARIANT-A"), author="bench")
    await releases.manager.start_canary("triage", 1, "bench")
    await releases.registry.push(spec("VARIANT-B"), author="bench")
    await releases.manager.start_canary("triage", 2, "bench")
    return runtime, releases, clock


async def loop(tmp: Path, seed: int, bad: float) -> tuple[str, int]:
    """(final state, canary calls) of one seeded canary, ~100 calls per second of clock."""
    runtime, releases, clock = await setup(tmp, seed, bad)
    rng, canary = random.Random(seed), 0
    try:
        assert runtime.recorder is not None
        for n in range(20_000):
            served = await releases.runs.serve("triage", subject=f"u{seed}-{n}", rng=rng)
            canary += served.arm == "canary"
            request = parse_chat_request(served.prompt.chat_body({"text": str(n)}), max_messages=8)
            ctx = RequestContext.begin(clock.monotonic(), clock.wall())
            ctx.prompt, ctx.release = "triage", served.release
            with contextlib.suppress(SeawallError):
                await runtime.pipeline.chat(request, ctx)
            if (n + 1) % 100 == 0:
                await runtime.recorder.flush()
                clock.advance(1.0)
                [step] = await releases.manager.tick()
                if step.changed:
                    return step.release.state, canary
        return "continue", canary
    finally:
        await releases.aclose()
        await runtime.close()


async def serving_cost(tmp: Path) -> None:
    runtime, releases, _ = await setup(tmp, 0, 0.15)
    rng, runs = random.Random(0), releases.runs
    try:
        for label, what in ((None, "production, live canary split"), ("canary", "a plain label")):
            await runs.serve("triage", label=label, subject="warm", rng=rng)
            n = 20_000
            started = time.perf_counter()
            for i in range(n):
                await runs.serve("triage", label=label, subject=f"user-{i}", rng=rng)
            per = (time.perf_counter() - started) / n * 1e6
            print(f"PromptRuns.serve ({what}): {per:.1f} µs per call")
        served = await runs.serve("triage", subject="x", rng=rng)
        started = time.perf_counter()
        for i in range(n):
            served.prompt.chat_body({"text": f"ticket {i}"})
        per = (time.perf_counter() - started) / n * 1e6
        print(f"CompiledPrompt.chat_body (1 message, schema): {per:.1f} µs per call")
    finally:
        await releases.aclose()
        await runtime.close()


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        await serving_cost(tmp)
        for title, bad in (("candidate 15% invalid vs 1%", 0.15), ("healthy 1% vs 1%", 0.01)):
            started = time.perf_counter()
            results = [await loop(tmp, 100 + i, bad) for i in range(runs)]
            states = [state for state, _ in results]
            calls = sorted(c for state, c in results if state == "rolled_back")
            line = f"{title}, {runs} runs: {states.count('rolled_back')} rolled back"
            line += f", {states.count('promoted')} promoted"
            if calls:
                line += (
                    f"; canary calls to rollback median {statistics.median(calls):.0f}, "
                    f"max {calls[-1]}"
                )
            print(f"{line} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    asyncio.run(main(parser.parse_args().runs))
