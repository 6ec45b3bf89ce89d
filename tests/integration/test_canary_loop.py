"""The canary loop end to end in process: prompt runs through the real pipeline, the sim scripted.

The simulator answers each version's rendered text with its own scenario: production's
(``VARIANT-A``) breaks the output schema on 1% of calls, the bad candidate's (``VARIANT-B``)
on 15%, a healthy candidate's (``VARIANT-C``) on 1%. Calls go through ``PromptRuns`` (sticky
assignment), the pipeline (validation without re-ask, so a broken answer is an invalid
output) and the record writer into SQLite; the controller reads the arms back with SQL. Time
is a ``FrozenClock``, moved a fixed step per 100 calls; the controller looks at each step.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from seawall.configload import parse_config
from seawall.core.clock import FrozenClock
from seawall.core.context import RequestContext
from seawall.core.errors import SeawallError
from seawall.prompts import PromptSpec
from seawall.releases.controller import Step
from seawall.releases.runtime import Releases
from seawall.stages.admit import parse_chat_request
from seawall.wiring import Runtime, build_runtime

CONFIG = """
store: {{url: "sqlite:///{db}"}}
providers:
  sim:
    kind: sim
    sim:
      seed: 11
      scenarios:
        - {{match: VARIANT-A, reply_json: {{label: refund}}, wrong_field: label, wrong_rate: 0.01}}
        - {{match: VARIANT-B, reply_json: {{label: refund}}, wrong_field: label, wrong_rate: 0.15}}
        - {{match: VARIANT-C, reply_json: {{label: refund}}, wrong_field: label, wrong_rate: 0.01}}
models:
  chat:
    targets: [{{provider: sim, model: unpriced}}]
    validation: {{reask: false}}
"""

CALLS_PER_LOOK = 100  # ~10 canary calls at a 10% share, as the simulations look
ROLLBACK_WITHIN = 150  # canary calls; the simulations of this case: median 50, p95 90, max 120


def spec(marker: str) -> PromptSpec:
    return PromptSpec.model_validate(
        {
            "name": "triage",
            "owner": "support",
            "model": "chat",
            "messages": [{"role": "user", "content": marker + ": classify {{ text }}"}],
            "variables": {"type": "object", "required": ["text"]},
            "output_schema": {
                "type": "object",
                "required": ["label"],
                "properties": {"label": {"type": "string"}},
            },
            "canary": {"share": 0.1, "min_calls": 200, "duration_s": 120},
        }
    )


@dataclass
class Loop:
    runtime: Runtime
    releases: Releases
    clock: FrozenClock
    events: list[dict[str, object]] = field(default_factory=list)
    served: dict[str, int] = field(default_factory=dict)

    async def call(self, user: str, rng: random.Random) -> str:
        """One prompt run as the HTTP route makes it; returns the release that served it."""
        chosen = await self.releases.runs.serve("triage", subject=user, rng=rng)
        body = chosen.prompt.chat_body({"text": f"ticket of {user}"})
        request = parse_chat_request(body, max_messages=64)
        ctx = RequestContext.begin(self.clock.monotonic(), self.clock.wall())
        ctx.prompt, ctx.release, ctx.user = "triage", chosen.release, user
        with contextlib.suppress(SeawallError):  # an invalid output: 502, the record says why
            await self.runtime.pipeline.chat(request, ctx)
        self.served[chosen.release] = self.served.get(chosen.release, 0) + 1
        return chosen.release

    async def until_decided(self, users: int, rng: random.Random, step_s: float = 1.0) -> Step:
        """Calls from distinct users, a look after every ``CALLS_PER_LOOK``, until a decision."""
        assert self.runtime.recorder is not None
        for n in range(users):
            await self.call(f"user-{n}", rng)
            if (n + 1) % CALLS_PER_LOOK == 0:
                await self.runtime.recorder.flush()
                self.clock.advance(step_s)
                [step] = await self.releases.manager.tick()
                if step.changed:
                    return step
        raise AssertionError(f"no decision after {users} calls: {step.decision.reason}")


@pytest.fixture
async def loop(tmp_path: Path) -> AsyncIterator[Loop]:
    config = parse_config(CONFIG.format(db=tmp_path / "seawall.db"), "test.yaml")
    clock = FrozenClock(1_700_000_000.0)
    runtime = build_runtime(config, clock=clock, seed=1)
    await runtime.start(server=False)
    assert runtime.store is not None
    assert runtime.security is not None
    events: list[dict[str, object]] = []
    engine = runtime.store.engine  # type: ignore[attr-defined]
    releases = Releases(engine, runtime.security, clock, on_event=events.append)
    try:
        await releases.registry.push(spec("VARIANT-A"), author="ada")
        await releases.manager.start_canary("triage", 1, "cli:ada")  # first: straight in
        yield Loop(runtime, releases, clock, events)
    finally:
        await releases.aclose()
        await runtime.close()


async def test_a_candidate_that_breaks_its_schema_is_rolled_back(loop: Loop) -> None:
    await loop.releases.registry.push(spec("VARIANT-B"), author="ada")
    release = await loop.releases.manager.start_canary("triage", 2, "cli:ada")
    step = await loop.until_decided(3000, random.Random(5))
    canary_calls = loop.served["triage@2"]
    assert step.release.state == "rolled_back"
    assert step.decision.metric == "invalid_output_rate"
    assert canary_calls <= ROLLBACK_WITHIN
    figures = step.decision.figures
    assert figures["canary_rate"] > 0.05 > figures["baseline_rate"]
    assert await loop.releases.registry.labels("triage") == {"production": 1}
    security = loop.runtime.security
    assert security is not None
    [entry] = await security.audit.entries(action="release.rolled_back")
    assert (entry.actor, entry.target) == ("system:canary", "triage@2")
    assert entry.detail["release_id"] == release.id
    assert entry.detail["metric"] == "invalid_output_rate"
    assert entry.detail["figures"]["canary_events"] == figures["canary_events"]
    [event] = loop.events
    assert (event["kind"], event["release"], event["metric"]) == (
        "canary_rollback",
        "triage@2",
        "invalid_output_rate",
    )
    # Rolled back means nobody is served the candidate any more.
    rng = random.Random(6)
    assert {await loop.call(f"user-{n}", rng) for n in range(200)} == {"triage@1"}


async def test_a_healthy_candidate_is_promoted_after_the_policy_minimum(loop: Loop) -> None:
    await loop.releases.registry.push(spec("VARIANT-C"), author="ada")
    await loop.releases.manager.start_canary("triage", 2, "cli:ada")
    step = await loop.until_decided(4000, random.Random(9), step_s=10.0)
    assert step.release.state == "promoted", step.decision.reason
    canary_calls = loop.served["triage@2"]
    # Promoted at the first look past both minimums (200 canary calls, 120 s), not later.
    assert 200 <= canary_calls < 200 + 2 * CALLS_PER_LOOK * 0.1 + 30
    assert step.decision.figures["canary_calls"] == canary_calls
    assert step.decision.figures["elapsed_s"] >= 120
    share = canary_calls / sum(loop.served.values())
    assert abs(share - 0.1) < 0.03  # sticky per user, ~1,200 users
    assert await loop.releases.registry.labels("triage") == {"production": 2}
    assert loop.events == []
    rng = random.Random(7)
    assert {await loop.call(f"late-{n}", rng) for n in range(50)} == {"triage@2"}
