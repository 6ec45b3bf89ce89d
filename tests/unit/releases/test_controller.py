"""The release state machine, driven by a frozen clock and metric snapshots."""

from __future__ import annotations

import pytest

from seawall.core.clock import FrozenClock
from seawall.prompts import CanaryPolicy
from seawall.releases import ArmStats, ReleaseFinished, abort, advance, finish, start

POLICY = CanaryPolicy(min_calls=500, duration_s=600, max_duration_s=3600)
MANUAL = POLICY.model_copy(update={"auto_promote": False})
HEALTHY = (ArmStats(500, invalid_outputs=5), ArmStats(4500, invalid_outputs=45))
BROKEN = (ArmStats(100, invalid_outputs=15), ArmStats(900, invalid_outputs=9))
EARLY = (ArmStats(20), ArmStats(180))


def test_start_opens_a_canary_at_the_policy_share() -> None:
    clock = FrozenClock(1000.0)
    release = start("support", 4, 3, POLICY, clock, actor="ada", release_id="r1")
    assert (release.id, release.prompt, release.candidate, release.baseline) == (
        "r1",
        "support",
        4,
        3,
    )
    assert (release.state, release.share, release.canary_share) == ("canary", 0.1, 0.1)
    assert (release.started_at, release.actor, release.decided_at) == (1000.0, "ada", None)
    assert len(start("support", 4, 3, POLICY, clock, actor="ada").id) == 32


def test_a_regression_rolls_back_at_once() -> None:
    clock = FrozenClock(1000.0)
    release = start("support", 4, 3, POLICY, clock, actor="ada")
    clock.advance(90)
    step = advance(release, POLICY, *BROKEN, clock)
    assert step.changed
    assert step.release.state == "rolled_back"
    assert step.release.canary_share == 0.0
    assert step.release.decided_at == 1090.0
    assert step.release.decision == step.decision
    assert step.decision.metric == "invalid_output_rate"


def test_healthy_traffic_waits_then_promotes() -> None:
    clock = FrozenClock(1000.0)
    release = start("support", 4, 3, POLICY, clock, actor="ada")
    clock.advance(300)
    step = advance(release, POLICY, *HEALTHY, clock)
    assert (step.changed, step.release, step.decision.action) == (False, release, "continue")
    clock.advance(300)
    step = advance(release, POLICY, *HEALTHY, clock)
    assert step.changed
    assert (step.release.state, step.decision.action) == ("promoted", "promote")
    assert step.release.decided_at == 1600.0


def test_manual_promotion_waits_and_keeps_watching() -> None:
    clock = FrozenClock(0.0)
    release = start("support", 4, 3, MANUAL, clock, actor="ada")
    clock.advance(600)
    step = advance(release, MANUAL, *HEALTHY, clock)
    assert step.changed
    assert step.release.state == "awaiting_promotion"
    assert step.release.canary_share == 0.1  # still serving while it waits
    assert step.decision.reason.endswith("waiting for promote --finish")
    waiting = step.release
    clock.advance(60)
    again = advance(waiting, MANUAL, *HEALTHY, clock)
    assert (again.changed, again.release) == (False, waiting)
    worse = (ArmStats(1000, invalid_outputs=150), ArmStats(9000, invalid_outputs=90))
    rolled = advance(waiting, MANUAL, *worse, clock)
    assert (rolled.changed, rolled.release.state) == (True, "rolled_back")


def test_the_operator_finishes_or_aborts() -> None:
    clock = FrozenClock(0.0)
    release = start("support", 4, 3, MANUAL, clock, actor="ada")
    clock.advance(10)
    promoted = finish(release, clock, actor="bob", reason="looks good")
    assert (promoted.state, promoted.decided_at) == ("promoted", 10.0)
    assert promoted.decision is not None
    assert promoted.decision.reason == "promoted by bob: looks good"
    rolled = abort(release, clock, actor="carol")
    assert rolled.state == "rolled_back"
    assert rolled.decision is not None
    assert rolled.decision.reason == "rolled back by carol"
    for done in (promoted, rolled):
        with pytest.raises(ReleaseFinished, match="already"):
            finish(done, clock, actor="dave")
        with pytest.raises(ReleaseFinished):
            abort(done, clock, actor="dave")


def test_a_finished_release_does_not_move_again() -> None:
    clock = FrozenClock(0.0)
    release = abort(start("support", 4, 3, POLICY, clock, actor="ada"), clock, actor="bob")
    clock.advance(7200)
    step = advance(release, POLICY, *HEALTHY, clock)
    assert (step.changed, step.release) == (False, release)
    assert step.decision == release.decision


def test_a_starved_canary_is_rolled_back_at_max_duration() -> None:
    clock = FrozenClock(0.0)
    release = start("support", 4, 3, POLICY, clock, actor="ada")
    clock.advance(3599)
    assert not advance(release, POLICY, *EARLY, clock).changed
    clock.advance(1)
    step = advance(release, POLICY, *EARLY, clock)
    assert (step.release.state, step.decision.metric) == ("rolled_back", None)
