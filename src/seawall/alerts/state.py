"""The life of one alert series: a pure state machine with hysteresis.

    inactive ──breach──► pending ──breach held for_s──► FIRING ──clear──► resolving
        ▲                   │                             ▲                  │
        └──not breach───────┘                             └──breach/between──┤
        ▲                                                                    │
        └──────────────────────── clear held resolve_for_s (RESOLVED) ───────┘

A reading is ``breach`` above the firing threshold, ``clear`` at or below the (lower) resolve
threshold, ``between`` in the band, ``no_data`` below the rule's minimum data. A signal that
oscillates around the firing threshold neither fires twice nor resolves: it must fall through
the band and stay there for ``resolve_for_s``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Verdict = Literal["breach", "between", "clear", "no_data"]
Phase = Literal["inactive", "pending", "firing", "resolving"]
Transition = Literal["fired", "resolved"]


@dataclass(frozen=True, slots=True)
class Timing:
    """How long a condition must hold: to fire, to resolve, and without data to give up."""

    for_s: float = 0.0
    resolve_for_s: float = 0.0
    no_data_resolve_s: float | None = None  # None: no data never resolves


@dataclass(frozen=True, slots=True)
class SeriesState:
    """Where one (rule, label set) stands."""

    phase: Phase = "inactive"
    since: float | None = None  # start of the pending or resolving wait
    fired_at: float | None = None
    resolved_at: float | None = None
    last_data_at: float | None = None

    @property
    def active(self) -> bool:
        """True while the alert counts as firing (a resolving alert still fires)."""
        return self.phase in ("firing", "resolving")


def step(
    state: SeriesState, verdict: Verdict, now: float, timing: Timing
) -> tuple[SeriesState, Transition | None]:
    """The next state for one reading at ``now``, and the transition worth notifying, if any."""
    if verdict != "no_data":
        state = replace(state, last_data_at=now)
    if state.phase == "inactive":
        return _from_inactive(state, verdict, now, timing)
    if state.phase == "pending":
        return _from_pending(state, verdict, now, timing)
    return _from_active(state, verdict, now, timing)


def _from_inactive(
    state: SeriesState, verdict: Verdict, now: float, timing: Timing
) -> tuple[SeriesState, Transition | None]:
    if verdict != "breach":
        return state, None
    return _from_pending(replace(state, phase="pending", since=now), verdict, now, timing)


def _from_pending(
    state: SeriesState, verdict: Verdict, now: float, timing: Timing
) -> tuple[SeriesState, Transition | None]:
    # Only an unbroken breach counts towards for_s; anything else starts the wait again.
    if verdict != "breach":
        return replace(state, phase="inactive", since=None), None
    assert state.since is not None
    if now - state.since >= timing.for_s:
        return replace(state, phase="firing", since=None, fired_at=now, resolved_at=None), "fired"
    return state, None


def _from_active(
    state: SeriesState, verdict: Verdict, now: float, timing: Timing
) -> tuple[SeriesState, Transition | None]:
    if verdict == "no_data":
        # Absence of calls is not evidence of recovery; only a long silence resolves.
        quiet_since = state.last_data_at if state.last_data_at is not None else state.fired_at
        limit = timing.no_data_resolve_s
        if limit is not None and quiet_since is not None and now - quiet_since >= limit:
            return _resolved(state, now), "resolved"
        return state, None
    if verdict != "clear":
        return replace(state, phase="firing", since=None), None
    since = state.since if state.phase == "resolving" and state.since is not None else now
    if now - since >= timing.resolve_for_s:
        return _resolved(state, now), "resolved"
    return replace(state, phase="resolving", since=since), None


def _resolved(state: SeriesState, now: float) -> SeriesState:
    return replace(state, phase="inactive", since=None, resolved_at=now)


def judge(value: float, fire_above: float, clear_at_or_below: float) -> Verdict:
    """The verdict of a value against a firing threshold and a lower resolve threshold."""
    if value > fire_above:
        return "breach"
    if value <= clear_at_or_below:
        return "clear"
    return "between"
