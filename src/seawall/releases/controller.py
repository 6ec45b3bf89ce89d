"""The state machine of one canary release, as pure logic over a clock and metric snapshots.

::

    start ──► canary ──(regression, or starved at max_duration_s)──► rolled_back
                 │  ▲
                 │  └── still watched: a regression while waiting rolls back too
                 ├──(passed, auto_promote)──────────────────────────► promoted
                 └──(passed, manual)──► awaiting_promotion ──finish──► promoted
    finish (``promote --finish``) and abort (``rollback``) are the operator's overrides.

Nothing here does I/O: the caller gathers cumulative ``ArmStats`` since ``started_at``, calls
``advance`` and, when ``Step.changed`` is true, moves labels, writes the audit entry, raises
the alert and stores the new ``Release``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Literal

from seawall.core.clock import Clock
from seawall.prompts.spec import CanaryPolicy
from seawall.releases.sequential import ArmStats, Decision, decide

ReleaseState = Literal["canary", "awaiting_promotion", "promoted", "rolled_back"]
LIVE_STATES: tuple[ReleaseState, ...] = ("canary", "awaiting_promotion")


class ReleaseFinished(ValueError):
    """An operator action on a release that was already promoted or rolled back."""


@dataclass(frozen=True, slots=True)
class Release:
    """One canary release of a prompt version against the production version."""

    id: str  # also the salt of the sticky assignment
    prompt: str
    candidate: int
    baseline: int | None
    share: float
    state: ReleaseState
    started_at: float  # wall seconds
    actor: str
    decided_at: float | None = None
    decision: Decision | None = None

    @property
    def live(self) -> bool:
        """The candidate still serves its canary share."""
        return self.state in LIVE_STATES

    @property
    def canary_share(self) -> float:
        """The share the candidate serves as a canary now (0 once rolled back or promoted)."""
        return self.share if self.live else 0.0


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one look: the (maybe new) release, the decision, and whether it changed."""

    release: Release
    decision: Decision
    changed: bool


def start(
    prompt: str,
    candidate: int,
    baseline: int | None,
    policy: CanaryPolicy,
    clock: Clock,
    *,
    actor: str,
    release_id: str | None = None,
) -> Release:
    """A new release in the ``canary`` state, serving the policy's share from now."""
    return Release(
        id=release_id or secrets.token_hex(16),
        prompt=prompt,
        candidate=candidate,
        baseline=baseline,
        share=policy.share,
        state="canary",
        started_at=clock.wall(),
        actor=actor,
    )


def advance(
    release: Release, policy: CanaryPolicy, canary: ArmStats, baseline: ArmStats, clock: Clock
) -> Step:
    """Look at the arms once and move the release if the decision says so."""
    if not release.live:
        # Finished (a racing operator action, say): nothing to watch; keep the final decision.
        final = release.decision or Decision("continue", None, {}, f"release is {release.state}")
        return Step(release, final, changed=False)
    now = clock.wall()
    decision = decide(canary, baseline, policy, now - release.started_at)
    if decision.action == "rollback":
        return Step(_decided(release, "rolled_back", decision, now), decision, changed=True)
    if decision.action == "promote" and release.state == "canary":
        state: ReleaseState = "promoted" if policy.auto_promote else "awaiting_promotion"
        if state == "awaiting_promotion":
            decision = replace(decision, reason=f"{decision.reason}; waiting for promote --finish")
        return Step(_decided(release, state, decision, now), decision, changed=True)
    return Step(release, decision, changed=False)


def finish(release: Release, clock: Clock, *, actor: str, reason: str = "") -> Release:
    """The operator promotes the candidate now (``promote --finish``), whatever the figures."""
    _check_live(release)
    decision = Decision("promote", None, {"actor": actor}, _manual("promoted", actor, reason))
    return _decided(release, "promoted", decision, clock.wall())


def abort(release: Release, clock: Clock, *, actor: str, reason: str = "") -> Release:
    """The operator rolls the candidate back now."""
    _check_live(release)
    decision = Decision("rollback", None, {"actor": actor}, _manual("rolled back", actor, reason))
    return _decided(release, "rolled_back", decision, clock.wall())


def _decided(release: Release, state: ReleaseState, decision: Decision, now: float) -> Release:
    return replace(release, state=state, decided_at=now, decision=decision)


def _check_live(release: Release) -> None:
    if not release.live:
        raise ReleaseFinished(
            f"release {release.id} of {release.prompt} is already {release.state}"
        )


def _manual(what: str, actor: str, reason: str) -> str:
    return f"{what} by {actor}" + (f": {reason}" if reason else "")
