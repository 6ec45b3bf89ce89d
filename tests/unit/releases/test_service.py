"""PromptRuns and ReleaseManager over a real SQLite store: serving, the canary's effects, status.

Call records are written through the real ``SqlCallStore`` with outcomes chosen by a seeded
draw, so the arm figures the controller reads come from the same SQL as in production.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from seawall.config import AuthConfig
from seawall.core.clock import FrozenClock
from seawall.core.errors import InvalidRequest, NotFound
from seawall.prompts import PromptNotFound, PromptSpec
from seawall.releases.controller import Release
from seawall.releases.runtime import Releases
from seawall.security.service import Security
from seawall.store.calls import SqlCallStore, open_store
from seawall.store.schema.reviews import feedback
from seawall.telemetry.records import CallRecord

T0 = 1_700_000_000.0
_ids = count()


def spec(name: str = "triage", *, wording: str = "Classify", **canary: Any) -> PromptSpec:
    policy = {"share": 0.1, "min_calls": 200, "duration_s": 600, "burn_in_calls": 50, **canary}
    return PromptSpec.model_validate(
        {
            "name": name,
            "owner": "team",
            "model": "chat",
            "messages": [{"role": "user", "content": wording + ": {{ text }}"}],
            "variables": {"type": "object", "required": ["text"]},
            "canary": policy,
        }
    )


@dataclass
class Env:
    store: SqlCallStore
    security: Security
    releases: Releases
    clock: FrozenClock
    events: list[dict[str, object]] = field(default_factory=list)

    async def push(self, s: PromptSpec) -> int:
        return (await self.releases.registry.push(s, author="ada")).version.version

    async def calls(self, release: str, n: int, rate: float, rng: random.Random, **kw: Any) -> None:
        """``n`` call records of ``release`` (``name@v``), each invalid with chance ``rate``."""
        fields = {"outcome": "ok", "validation": "valid", **kw}
        records = [
            CallRecord(
                trace_id=f"{next(_ids):032x}",
                started_at=self.clock.wall(),
                model="chat",
                stream=False,
                latency_ms=100.0 + rng.random() * 50,
                prompt=release.partition("@")[0],
                release=release,
                **fields,
            )
            for _ in range(n)
        ]
        for record in records:
            if rng.random() < rate:
                record.validation, record.outcome, record.status_code = "invalid", "error", 502
        await self.store.write_calls(records)

    async def audit(self, action: str) -> list[Any]:
        return await self.security.audit.entries(action=action)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    url = f"sqlite:///{tmp_path / 'seawall.db'}"
    store = await open_store(url)
    clock = FrozenClock(T0)
    security = Security(url, AuthConfig(), clock)
    await security.start(refresh_in_background=False)
    events: list[dict[str, object]] = []
    releases = Releases(store.engine, security, clock, on_event=events.append, refresh_s=5.0)
    try:
        yield Env(store, security, releases, clock, events)
    finally:
        await releases.aclose()
        await security.aclose()
        await store.aclose()


async def canary_of(env: Env, **policy: Any) -> Release:
    """triage@1 in production (promoted as the first version), triage@2 as a live canary."""
    await env.push(spec())
    await env.releases.manager.start_canary("triage", 1, "cli:ada")
    env.clock.advance(60)
    await env.push(spec(wording="Sort", **policy))
    return await env.releases.manager.start_canary("triage", 2, "cli:ada")


# --------------------------------------------------------------------------- serving


async def test_unknown_prompts_and_labels_are_404s_that_name_them(env: Env) -> None:
    runs, rng = env.releases.runs, random.Random(0)
    with pytest.raises(PromptNotFound, match="no prompt named 'nope'") as missing:
        await runs.serve("nope", rng=rng)
    assert missing.value.status_code == 404
    await env.push(spec())
    runs.invalidate()
    with pytest.raises(PromptNotFound, match="has no label 'production'"):
        await runs.serve("triage", rng=rng)
    served = await runs.serve("triage", label="latest", rng=rng)
    assert (served.version, served.release, served.arm) == (1, "triage@1", None)
    with pytest.raises(InvalidRequest, match="not a valid label"):
        await runs.serve("triage", label="Prod!", rng=rng)


async def test_labels_are_cached_for_refresh_s_then_read_again(env: Env) -> None:
    await env.push(spec())
    await env.releases.manager.start_canary("triage", 1, "cli:ada")
    v2 = await env.push(spec(wording="Sort"))
    runs, rng = env.releases.runs, random.Random(0)
    assert (await runs.serve("triage", rng=rng)).release == "triage@1"
    # A move made elsewhere (another replica, the CLI) is seen once the cache expires.
    await env.releases.registry.set_labels("triage", {"production": v2}, actor="other")
    assert (await runs.serve("triage", rng=rng)).release == "triage@1"
    env.clock.advance(5.0)
    assert (await runs.serve("triage", rng=rng)).release == "triage@2"
    rendered = (await runs.serve("triage", rng=rng)).prompt.render({"text": "hi"})
    assert rendered == [{"role": "user", "content": "Sort: hi"}]


async def test_a_live_canary_splits_production_stickily_at_its_share(env: Env) -> None:
    release = await canary_of(env)
    runs, rng = env.releases.runs, random.Random(1)
    first = {}
    for user in range(4000):
        served = await runs.serve("triage", subject=f"user-{user}", rng=rng)
        first[user] = served.release
        assert served.arm == ("canary" if served.version == 2 else "baseline")
        assert served.release_id == release.id
    share = sum(r == "triage@2" for r in first.values()) / len(first)
    assert abs(share - 0.1) < 0.015  # 5 standard deviations of a binomial of 4,000
    for user in range(0, 4000, 7):  # the same user always gets the same version
        assert (await runs.serve("triage", subject=f"user-{user}", rng=rng)).release == first[user]
    # Other labels are served as they point, never split.
    assert (await runs.serve("triage", label="canary", rng=rng)).release == "triage@2"


# --------------------------------------------------------------------------- starting


async def test_the_first_version_goes_straight_to_production(env: Env) -> None:
    await env.push(spec())
    release = await env.releases.manager.start_canary("triage", 1, "cli:ada", reason="launch")
    assert (release.state, release.baseline) == ("promoted", None)
    assert await env.releases.registry.labels("triage") == {"production": 1}
    [entry] = await env.audit("release.promoted")
    assert entry.actor == "cli:ada"
    assert entry.detail["first"] is True
    assert "launch" in entry.detail["reason"]


async def test_a_canary_moves_the_canary_label_and_is_audited(env: Env) -> None:
    release = await canary_of(env)
    assert (release.state, release.candidate, release.baseline) == ("canary", 2, 1)
    assert await env.releases.registry.labels("triage") == {"production": 1, "canary": 2}
    [entry] = await env.audit("release.started")
    assert (entry.target, entry.detail["release_id"]) == ("triage@2", release.id)
    with pytest.raises(InvalidRequest, match="already has a live release"):
        await env.releases.manager.start_canary("triage", 2, "cli:bob")
    with pytest.raises(PromptNotFound):
        await env.releases.manager.start_canary("triage", 9, "cli:bob")


async def test_promoting_the_production_version_is_refused(env: Env) -> None:
    await env.push(spec())
    await env.releases.manager.start_canary("triage", 1, "cli:ada")
    with pytest.raises(InvalidRequest, match="already in production"):
        await env.releases.manager.start_canary("triage", 1, "cli:ada")


# --------------------------------------------------------------------------- the controller


async def test_an_invalid_output_regression_is_rolled_back_with_audit_and_alert(env: Env) -> None:
    release = await canary_of(env)
    rng = random.Random(7)
    manager = env.releases.manager
    canary_calls = 0
    while canary_calls < 300:
        await env.calls("triage@1", 90, 0.01, rng)
        await env.calls("triage@2", 10, 0.15, rng)
        canary_calls += 10
        env.clock.advance(1.0)
        [step] = await manager.tick()
        if step.changed:
            break
    assert step.release.state == "rolled_back"
    assert step.decision.metric == "invalid_output_rate"
    assert canary_calls <= 150  # the simulations: p95 90, max 120 canary calls
    assert await env.releases.registry.labels("triage") == {"production": 1}
    [entry] = await env.audit("release.rolled_back")
    assert (entry.actor, entry.target) == ("system:canary", "triage@2")
    figures = entry.detail["figures"]
    assert entry.detail["metric"] == "invalid_output_rate"
    assert figures["canary_rate"] > figures["baseline_rate"]
    assert figures["evidence"] >= figures["threshold"]
    assert "invalid_output_rate regressed" in entry.detail["reason"]
    [event] = env.events
    assert event["kind"] == "canary_rollback"
    assert (event["release"], event["baseline"]) == ("triage@2", "triage@1")
    assert event["metric"] == "invalid_output_rate"
    assert await manager.tick() == []  # nothing live any more
    # Serving stopped splitting at once (the manager invalidates the cache it changed).
    runs = env.releases.runs
    for user in range(300):
        served = await runs.serve("triage", subject=f"u{user}", rng=rng)
        assert served.release == "triage@1"
    assert (await env.releases.store.get(release.id)) == step.release


async def test_a_healthy_canary_is_promoted_after_the_policy_minimum(env: Env) -> None:
    await canary_of(env)
    rng = random.Random(3)
    manager = env.releases.manager
    for _ in range(25):  # 250 canary calls over 25 looks, 25 s
        await env.calls("triage@1", 90, 0.01, rng)
        await env.calls("triage@2", 10, 0.01, rng)
        env.clock.advance(1.0)
        [step] = await manager.tick()
        assert not step.changed, step.decision.reason  # min_calls reached, duration not yet
    assert step.decision.action == "continue"
    env.clock.advance(600)
    [step] = await manager.tick()
    assert step.release.state == "promoted"
    assert "no regression in 250 canary calls" in step.decision.reason
    assert await env.releases.registry.labels("triage") == {"production": 2}
    assert [e.detail["state"] for e in await env.audit("release.promoted")] == [
        "promoted",
        "promoted",
    ]
    assert env.events == []


async def test_a_manual_policy_waits_for_finish(env: Env) -> None:
    await canary_of(env, auto_promote=False, min_calls=50, duration_s=0)
    manager = env.releases.manager
    with pytest.raises(InvalidRequest, match="has not passed yet"):
        await manager.finish("triage", "cli:ada")
    await env.calls("triage@1", 600, 0.0, random.Random(1))
    await env.calls("triage@2", 60, 0.0, random.Random(2))
    [step] = await manager.tick()
    assert step.release.state == "awaiting_promotion"
    assert "waiting for promote --finish" in step.decision.reason
    assert await env.releases.registry.labels("triage") == {"production": 1, "canary": 2}
    [passed] = await env.audit("release.passed")
    assert passed.detail["state"] == "awaiting_promotion"
    done = await manager.finish("triage", "cli:bob", reason="looks good")
    assert (done.state, done.decision and done.decision.reason) == (
        "promoted",
        "promoted by cli:bob: looks good",
    )
    assert await env.releases.registry.labels("triage") == {"production": 2}
    with pytest.raises(NotFound, match="no live release"):
        await manager.finish("triage", "cli:bob")


async def test_a_release_ended_meanwhile_is_left_alone(env: Env) -> None:
    release = await canary_of(env, min_calls=10, duration_s=0, burn_in_calls=10)
    await env.calls("triage@1", 200, 0.0, random.Random(1))
    await env.calls("triage@2", 20, 0.0, random.Random(2))
    await env.releases.manager.rollback("triage", "cli:ada")  # an operator, just before the look
    step = await env.releases.manager.look(release)
    assert (step.changed, step.release.state) == (False, "rolled_back")
    assert await env.releases.registry.labels("triage") == {"production": 1}
    assert await env.audit("release.promoted") != []  # only the first version's
    assert len(await env.audit("release.promoted")) == 1


# --------------------------------------------------------------------------- rollback


async def test_rollback_stops_a_live_canary(env: Env) -> None:
    await canary_of(env)
    done = await env.releases.manager.rollback("triage", "cli:ada", reason="bad tone")
    assert (done.state, done.canary_share) == ("rolled_back", 0.0)
    assert done.decision is not None
    assert done.decision.reason == "rolled back by cli:ada: bad tone"
    assert await env.releases.registry.labels("triage") == {"production": 1}
    [entry] = await env.audit("release.rolled_back")
    assert entry.detail["manual"] is True


async def test_rollback_walks_back_through_promotions(env: Env) -> None:
    manager = env.releases.manager
    for wording in ("A", "B", "C"):
        version = await env.push(spec(wording=wording))
        await manager.start_canary("triage", version, "cli:ada")
        if version > 1:
            await manager.finish("triage", "cli:ada", force=True)
        env.clock.advance(60)
    assert (await env.releases.registry.labels("triage"))["production"] == 3
    back = await manager.rollback("triage", "cli:bob")
    assert (back.candidate, back.baseline) == (3, 2)
    assert back.decision is not None
    assert back.decision.reason == "production rolled back from triage@3 to triage@2 by cli:bob"
    assert (await env.releases.registry.labels("triage"))["production"] == 2
    await manager.rollback("triage", "cli:bob")
    assert (await env.releases.registry.labels("triage"))["production"] == 1
    with pytest.raises(InvalidRequest, match="first production version"):
        await manager.rollback("triage", "cli:bob")
    with pytest.raises(PromptNotFound):
        await manager.rollback("nope", "cli:bob")


# --------------------------------------------------------------------------- status, metrics


async def test_status_shows_the_live_look_and_every_decision(env: Env) -> None:
    release = await canary_of(env)
    await env.calls("triage@1", 180, 0.0, random.Random(1))
    await env.calls("triage@2", 20, 0.0, random.Random(2))
    [status] = await env.releases.manager.status("triage")
    assert status.live == release
    assert status.look is not None
    assert status.look.action == "continue"
    assert "watching: 20/200 canary calls" in status.look.reason
    data = status.as_dict()
    assert data["arms"]["canary"]["calls"] == 20
    assert data["arms"]["production"]["calls"] == 180
    metrics = {v["metric"]: v for v in data["look"]["verdicts"]}
    assert metrics["invalid_output_rate"]["status"] == "waiting"  # burn-in: 50 canary calls
    assert [r["state"] for r in data["history"]] == ["canary", "promoted"]
    assert data["history"][1]["decision"]["reason"].startswith("first production version")
    everything = await env.releases.manager.status()
    assert [s.prompt for s in everything] == ["triage"]
    with pytest.raises(PromptNotFound):
        await env.releases.manager.status("nope")


async def test_arm_figures_count_each_signal_once(env: Env) -> None:
    await canary_of(env)
    rng = random.Random(0)
    await env.calls("triage@2", 10, 0.0, rng)  # plain successes
    await env.calls("triage@2", 3, 1.0, rng)  # invalid outputs (outcome error too)
    await env.calls("triage@2", 2, 0.0, rng, outcome="error", error_code="upstream_timeout")
    await env.calls("triage@2", 4, 0.0, rng, outcome="degraded", degraded=True)
    await env.calls("triage@2", 5, 0.0, rng, review_id="r1")
    await env.calls("triage@1", 7, 0.0, rng)
    await env.calls("other@2", 9, 0.0, rng)  # another prompt's release: not counted
    env.clock.advance(-10)  # before the release started: not counted either
    await env.calls("triage@2", 6, 1.0, rng)
    env.clock.advance(10)
    async with env.store.engine.connect() as conn:
        ids = [
            r[0]
            for r in await conn.execute(sa.text("SELECT trace_id FROM calls ORDER BY trace_id"))
        ]
    mine = ids[:2]  # two of the plain successes get negative feedback, one of them twice
    async with env.store.engine.begin() as conn:
        for n, trace in enumerate([*mine, mine[0]]):
            await conn.execute(
                feedback.insert().values(
                    id=f"f{n}",
                    trace_id=trace,
                    kind="complaint",
                    negative=True,
                    created_at=T0,
                    actor="key:x",
                )
            )
    [status] = await env.releases.manager.status("triage")
    arms = status.as_dict()["arms"]
    canary = arms["canary"]
    assert canary["calls"] == 24
    assert round(canary["invalid_output_rate"] * 24) == 3
    assert round(canary["error_rate"] * 24) == 2  # invalid outputs are not errors twice
    assert round(canary["degraded_rate"] * 24) == 4
    assert round(canary["escalation_rate"] * 24) == 5
    assert round(canary["negative_feedback_rate"] * 24) == 2
    assert arms["production"]["calls"] == 7
    assert 100 <= canary["p95_latency_ms"] <= 150
