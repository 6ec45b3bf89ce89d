"""A circuit breaker that trips on a failure *rate*, not a failure count.

A fixed "N failures then cool down" breaker treats a 20% error rate like an outage and moves
nearly all traffic to the fallback. This one counts calls and failures in a sliding window of
``BUCKETS`` buckets, opens only when the window holds at least ``min_calls`` calls and the
failure rate reaches ``failure_rate``, rejects for ``open_s``, then lets ``half_open_probes``
probe calls through one at a time: all succeed → closed (window cleared), any fails → open again.
Every function here is pure over ``BreakerState`` and a time in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from seawall.config import BreakerPolicy

BUCKETS = 10
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
PROBE_LEASE_MIN_S = 60.0  # at least the default call deadline


def probe_lease(policy: BreakerPolicy) -> float:
    """How long a probe slot stays taken without a result before the next caller gets it.

    A probe whose call was cancelled (the client went away) never reports back; without a
    lease the breaker would stay half-open, refusing every call, forever.
    """
    return max(PROBE_LEASE_MIN_S, policy.window_s)


@dataclass(slots=True)
class BreakerState:
    state: str = CLOSED
    opened_at: float = 0.0
    probes_in_flight: int = 0
    probe_at: float = 0.0  # when the probe in flight was let through
    probes_ok: int = 0
    bucket_start: float = 0.0  # start time of the newest bucket
    calls: list[int] = field(default_factory=lambda: [0] * BUCKETS)
    failures: list[int] = field(default_factory=lambda: [0] * BUCKETS)
    head: int = 0  # index of the newest bucket


def _advance(s: BreakerState, policy: BreakerPolicy, now: float) -> None:
    """Rotate buckets so that the newest one covers ``now``; old buckets are zeroed."""
    width = policy.window_s / BUCKETS
    steps = int((now - s.bucket_start) // width)
    if steps <= 0:
        return
    for _ in range(min(steps, BUCKETS)):
        s.head = (s.head + 1) % BUCKETS
        s.calls[s.head] = 0
        s.failures[s.head] = 0
    s.bucket_start += steps * width


def allow(s: BreakerState, policy: BreakerPolicy, now: float) -> bool:
    """May a call go to this target now? Reserves a probe slot when half-open."""
    if s.state == OPEN:
        if now - s.opened_at < policy.open_s:
            return False
        s.state, s.probes_in_flight, s.probes_ok = HALF_OPEN, 0, 0
    if s.state == HALF_OPEN:
        # One probe at a time: a recovered upstream closes within `half_open_probes` calls,
        # a still-dead one costs a single failed call per open period.
        if s.probes_in_flight >= 1 and now - s.probe_at < probe_lease(policy):
            return False
        s.probes_in_flight, s.probe_at = 1, now
    return True


def record(s: BreakerState, policy: BreakerPolicy, ok: bool, now: float) -> str | None:
    """Account one finished call; returns the new state when it changed."""
    if s.state == HALF_OPEN:
        s.probes_in_flight = max(0, s.probes_in_flight - 1)
        if not ok:
            return _open(s, now)
        s.probes_ok += 1
        if s.probes_ok >= policy.half_open_probes:
            _reset_window(s, now)
            s.state = CLOSED
            return CLOSED
        return None
    if s.state == OPEN:
        return None  # a straggler that started before the breaker opened
    _advance(s, policy, now)
    s.calls[s.head] += 1
    if not ok:
        s.failures[s.head] += 1
    total = sum(s.calls)
    if total >= policy.min_calls and sum(s.failures) >= policy.failure_rate * total:
        return _open(s, now)
    return None


def _open(s: BreakerState, now: float) -> str:
    s.state, s.opened_at, s.probes_in_flight, s.probes_ok = OPEN, now, 0, 0
    return OPEN


def _reset_window(s: BreakerState, now: float) -> None:
    s.calls = [0] * BUCKETS
    s.failures = [0] * BUCKETS
    s.head = 0
    s.bucket_start = now
