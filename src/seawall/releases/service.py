"""Releasing prompt versions for real: start a canary, watch it, promote or roll it back.

``ReleaseManager`` does the I/O around the pure controller: it reads both arms' figures from
the call records, asks ``controller.advance`` for a decision and, when the release changes,
moves the labels (one transaction), saves the release, writes the audit entry naming the
metric and its figures and reports a ``canary_rollback`` event.

Order of effects on a change: labels, then the release row, then the audit entry. A crash in
between leaves the release live, so the next look decides again and repeats the (idempotent)
label move; the opposite order could mark a release promoted whose label never moved.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from seawall.core.clock import Clock
from seawall.core.errors import InvalidRequest, NotFound
from seawall.prompts.registry import SqlPromptRegistry
from seawall.prompts.spec import CanaryPolicy
from seawall.releases.controller import Release, Step, abort, advance, finish, start
from seawall.releases.metrics import SqlArmMetrics
from seawall.releases.sequential import Decision, decide
from seawall.releases.serving import CANARY, PRODUCTION
from seawall.releases.status import ReleaseStatus
from seawall.releases.store import SqlReleaseStore

log = logging.getLogger("seawall.releases")

SYSTEM_ACTOR = "system:canary"
LOOK_INTERVAL_S = 10.0  # a look every 10 s: the test stays valid however often it looks
HISTORY_LIMIT = 50

EventCallback = Callable[[dict[str, object]], None]


class Auditor(Protocol):
    """Where audited actions go (``seawall.security.Security`` satisfies it)."""

    async def record(
        self,
        action: str,
        actor: str,
        *,
        tenant: str | None = None,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> object:
        """Append one audit entry; durable when this returns."""


class _At:
    """A clock stopped at ``now`` (``tick(now)``: decide as of a given moment)."""

    def __init__(self, now: float) -> None:
        self._now = now

    def monotonic(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._now


class ReleaseManager:
    """Starts canaries, looks at live releases, and carries out promotions and rollbacks."""

    def __init__(
        self,
        registry: SqlPromptRegistry,
        releases: SqlReleaseStore,
        metrics: SqlArmMetrics,
        audit: Auditor,
        clock: Clock,
        *,
        on_event: EventCallback | None = None,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        self._registry = registry
        self._releases = releases
        self._metrics = metrics
        self._audit = audit
        self._clock = clock
        self._on_event = on_event
        self._on_change = on_change
        self._policies: dict[tuple[str, int], CanaryPolicy] = {}

    # ------------------------------------------------------------------ operator actions

    async def start_canary(
        self,
        name: str,
        candidate: int,
        actor: str,
        *,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
    ) -> Release:
        """Serve ``name@candidate`` to the policy's share; the first version goes straight in.

        ``evidence``: what the gate found (eval runs, verdict), kept in the audit entry.
        """
        version = await self._registry.get(name, candidate)  # PromptNotFound when absent
        live = await self._releases.live(name)
        if live:
            running = live[-1]
            raise InvalidRequest(
                f"{name} already has a live release (release {running.id}: {name}@"
                f"{running.candidate} on {running.share:.0%}, {running.state}); finish it or "
                "roll it back first",
                param="name",
            )
        production = (await self._registry.labels(name)).get(PRODUCTION)
        if production == candidate:
            raise InvalidRequest(f"{name}@{candidate} is already in production", param="version")
        policy = version.spec.canary
        release = start(name, candidate, production, policy, self._clock, actor=actor)
        extra = {"policy": _policy(policy), "evidence": dict(evidence or {})}
        if production is None:
            # Nothing to compare a canary with, and nothing to serve the other calls: the
            # eval gate was the whole check.
            return await self._promote_first(release, actor, reason, extra)
        why = f"canary release {release.id}: {policy.share:.0%} of traffic" + _why(reason)
        await self._move(name, {CANARY: candidate}, actor, why)
        await self._releases.save(release)
        await self._record("release.started", actor, release, None, extra)
        self._changed(name)
        return release

    async def finish(
        self, name: str, actor: str, *, reason: str = "", force: bool = False
    ) -> Release:
        """Promote the live candidate now (``promote --finish``); ``force`` before it passed."""
        release = await self._live(name)
        if release.state == "canary" and not force:
            raise InvalidRequest(
                f"the canary of {name}@{release.candidate} has not passed yet; wait for the "
                "controller, or force the promotion",
                param="name",
            )
        done = finish(release, self._clock, actor=actor, reason=reason)
        assert done.decision is not None
        why = done.decision.reason
        await self._move(name, {PRODUCTION: done.candidate, CANARY: None}, actor, why)
        await self._releases.save(done)
        await self._record("release.promoted", actor, done, done.decision, {"manual": True})
        self._changed(name)
        return done

    async def rollback(self, name: str, actor: str, *, reason: str = "") -> Release:
        """Stop the live canary, or else put the previous production version back, at once."""
        live = await self._releases.live(name)
        if live:
            done = abort(live[-1], self._clock, actor=actor, reason=reason)
            assert done.decision is not None
            await self._move(name, {CANARY: None}, actor, done.decision.reason)
            await self._releases.save(done)
            await self._record("release.rolled_back", actor, done, done.decision, {"manual": True})
            self._changed(name)
            return done
        return await self._restore_previous(name, actor, reason)

    async def audit_refusal(
        self, name: str, candidate: int, actor: str, detail: Mapping[str, Any]
    ) -> None:
        """Record that the eval gate refused ``name@candidate`` (who tried, and why not)."""
        await self._audit.record(
            "release.refused", actor, target=f"{name}@{candidate}", detail=dict(detail)
        )

    # ------------------------------------------------------------------ the controller

    async def tick(self, now: float | None = None) -> list[Step]:
        """Look at every live release once (as of ``now``); carry out what changed."""
        clock: Clock = self._clock if now is None else _At(now)
        steps = []
        for release in await self._releases.live():
            try:
                steps.append(await self.look(release, clock))
            except Exception:  # one broken release must not stop the others being watched
                log.exception("canary controller: could not look at release %s", release.id)
        return steps

    async def look(self, release: Release, clock: Clock | None = None) -> Step:
        """One look at one release: figures → decision → effects when it changed."""
        clock = clock or self._clock
        policy = await self._policy(release.prompt, release.candidate)
        arms = await self._metrics.arms(
            release.prompt, release.candidate, release.baseline, release.started_at
        )
        step = advance(release, policy, arms.canary, arms.baseline, clock)
        if step.changed:
            current = await self._releases.get(release.id)
            if current is None or not current.live:
                # An operator (or another replica's controller) ended it meanwhile.
                return Step(current or release, step.decision, changed=False)
            await self._apply(step)
        return step

    async def run(self, interval_s: float = LOOK_INTERVAL_S) -> None:
        """Look every ``interval_s`` seconds until cancelled (the server's controller loop)."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.tick()
            except Exception:  # the store may be briefly down; the next look catches up
                log.warning("canary controller: look failed; will retry", exc_info=True)

    # ------------------------------------------------------------------ status

    async def status(self, name: str | None = None) -> list[ReleaseStatus]:
        """Each prompt (or just ``name``): labels, the live release and its look, the history."""
        if name is not None:
            await self._registry.get(name)  # PromptNotFound for an unknown prompt
            return [await self._status(name)]
        return [await self._status(s.name) for s in await self._registry.list_prompts()]

    async def _status(self, name: str) -> ReleaseStatus:
        labels = await self._registry.labels(name)
        history = await self._releases.history(name, HISTORY_LIMIT)
        live = next((r for r in history if r.live), None)
        if live is None:
            return ReleaseStatus(name, labels, history=history)
        policy = await self._policy(name, live.candidate)
        arms = await self._metrics.arms(name, live.candidate, live.baseline, live.started_at)
        look = decide(arms.canary, arms.baseline, policy, self._clock.wall() - live.started_at)
        return ReleaseStatus(name, labels, live, look, arms.canary, arms.baseline, history)

    # ------------------------------------------------------------------ effects

    async def _apply(self, step: Step) -> None:
        release, decision = step.release, step.decision
        name = release.prompt
        if release.state == "rolled_back":
            await self._move(name, {CANARY: None}, SYSTEM_ACTOR, decision.reason)
            await self._releases.save(release)
            await self._record("release.rolled_back", SYSTEM_ACTOR, release, decision)
            self._report_rollback(release, decision)
        elif release.state == "promoted":
            moves = {PRODUCTION: release.candidate, CANARY: None}
            await self._move(name, moves, SYSTEM_ACTOR, decision.reason)
            await self._releases.save(release)
            await self._record("release.promoted", SYSTEM_ACTOR, release, decision)
        else:  # awaiting_promotion: passed, an operator finishes it
            await self._releases.save(release)
            await self._record("release.passed", SYSTEM_ACTOR, release, decision)
        self._changed(name)

    async def _promote_first(
        self, release: Release, actor: str, reason: str, extra: Mapping[str, Any]
    ) -> Release:
        name, now = release.prompt, self._clock.wall()
        decision = Decision(
            "promote",
            None,
            {"actor": actor},
            f"first production version of {name}: promoted by {actor} after its eval suite "
            "(no production version to run a canary against)" + _why(reason),
        )
        done = replace(release, state="promoted", decided_at=now, decision=decision)
        await self._move(name, {PRODUCTION: done.candidate, CANARY: None}, actor, decision.reason)
        await self._releases.save(done)
        await self._record("release.promoted", actor, done, decision, {**extra, "first": True})
        self._changed(name)
        return done

    async def _restore_previous(self, name: str, actor: str, reason: str) -> Release:
        current = (await self._registry.labels(name)).get(PRODUCTION)
        if current is None:
            await self._registry.get(name)  # PromptNotFound for an unknown prompt
            raise InvalidRequest(f"{name} has no production version to roll back", param="name")
        previous = await self._previous_production(name, current)
        if previous is None:
            raise InvalidRequest(
                f"{name}@{current} is the first production version: nothing to roll back to",
                param="name",
            )
        now = self._clock.wall()
        decision = Decision(
            "rollback",
            None,
            {"actor": actor, "from": current, "to": previous},
            f"production rolled back from {name}@{current} to {name}@{previous} by {actor}"
            + _why(reason),
        )
        # Kept as a finished release, so `release status` lists it among the decisions.
        record = Release(
            id=secrets.token_hex(16),
            prompt=name,
            candidate=current,
            baseline=previous,
            share=0.0,
            state="rolled_back",
            started_at=now,
            actor=actor,
            decided_at=now,
            decision=decision,
        )
        await self._move(name, {PRODUCTION: previous, CANARY: None}, actor, decision.reason)
        await self._releases.save(record)
        await self._record("release.rolled_back", actor, record, decision, {"manual": True})
        self._changed(name)
        return record

    async def _previous_production(self, name: str, current: int) -> int | None:
        # The baseline of the promotion that put ``current`` in: rolling back twice walks back
        # through the promotions (3 → 2 → 1), instead of flipping between the last two.
        for release in await self._releases.history(name, HISTORY_LIMIT * 4):
            if release.state == "promoted" and release.candidate == current:
                return release.baseline
        previous = await self._registry.previous_version(name, PRODUCTION)  # moved by hand
        return None if previous == current else previous

    async def _live(self, name: str) -> Release:
        live = await self._releases.live(name)
        if not live:
            await self._registry.get(name)  # PromptNotFound for an unknown prompt
            raise NotFound(f"{name} has no live release", param="name")
        return live[-1]

    async def _move(
        self, name: str, moves: Mapping[str, int | None], actor: str, reason: str
    ) -> None:
        await self._registry.set_labels(name, moves, actor=actor, reason=reason)

    async def _record(
        self,
        action: str,
        actor: str,
        release: Release,
        decision: Decision | None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        detail: dict[str, Any] = {
            "release_id": release.id,
            "prompt": release.prompt,
            "candidate": release.candidate,
            "baseline": release.baseline,
            "share": release.share,
            "state": release.state,
            **(extra or {}),
        }
        if decision is not None:
            detail.update(metric=decision.metric, figures=decision.figures, reason=decision.reason)
        target = f"{release.prompt}@{release.candidate}"
        await self._audit.record(action, actor, target=target, detail=detail)

    def _report_rollback(self, release: Release, decision: Decision) -> None:
        if self._on_event is None:
            return
        values = {k: float(v) for k, v in decision.figures.items() if _is_number(v)}
        event: dict[str, object] = {
            "kind": "canary_rollback",
            "summary": f"{release.prompt}@{release.candidate} rolled back: {decision.reason}",
            "prompt": release.prompt,
            "release": f"{release.prompt}@{release.candidate}",
            "baseline": f"{release.prompt}@{release.baseline}",
            "release_id": release.id,
            "metric": decision.metric or "",
            "values": values,
        }
        try:
            self._on_event(event)
        except Exception:  # an alert listener's failure must not undo the rollback
            log.warning("could not report the rollback of %s", release.id, exc_info=True)

    def _changed(self, name: str) -> None:
        if self._on_change is not None:
            self._on_change(name)

    async def _policy(self, name: str, version: int) -> CanaryPolicy:
        key = (name, version)
        policy = self._policies.get(key)
        if policy is None:
            policy = self._policies[key] = (await self._registry.get(name, version)).spec.canary
        return policy


def _why(reason: str) -> str:
    return f": {reason}" if reason else ""


def _policy(policy: CanaryPolicy) -> dict[str, Any]:
    return {
        "share": policy.share,
        "min_calls": policy.min_calls,
        "duration_s": policy.duration_s,
        "auto_promote": policy.auto_promote,
    }


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
