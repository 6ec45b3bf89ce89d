from seawall.config import BreakerPolicy
from seawall.resilience import breaker
from seawall.resilience.breaker import CLOSED, HALF_OPEN, OPEN, BreakerState

POLICY = BreakerPolicy(window_s=10, min_calls=10, failure_rate=0.5, open_s=5, half_open_probes=2)


def feed(state: BreakerState, outcomes: list[bool], now: float) -> list[str]:
    changes = []
    for ok in outcomes:
        if breaker.allow(state, POLICY, now):
            change = breaker.record(state, POLICY, ok, now)
            if change:
                changes.append(change)
    return changes


def test_does_not_open_below_min_calls_even_if_all_fail() -> None:
    state = BreakerState()
    assert feed(state, [False] * 9, now=1.0) == []
    assert state.state == CLOSED


def test_opens_on_failure_rate_over_window() -> None:
    state = BreakerState()
    assert feed(state, [True, False] * 5, now=1.0) == [OPEN]
    assert not breaker.allow(state, POLICY, 2.0)


def test_twenty_percent_errors_do_not_open() -> None:
    state = BreakerState()
    outcomes = ([True] * 4 + [False]) * 40
    assert feed(state, outcomes, now=1.0) == []


def test_old_failures_slide_out_of_the_window() -> None:
    state = BreakerState()
    feed(state, [False] * 4 + [True] * 4, now=0.5)
    # 11 s later the early failures have left the 10 s window.
    assert feed(state, [True] * 6 + [False] * 2, now=11.6) == []
    assert state.state == CLOSED


def test_half_open_probe_success_closes_and_failure_reopens() -> None:
    state = BreakerState()
    feed(state, [False] * 10, now=0.0)
    assert state.state == OPEN
    assert not breaker.allow(state, POLICY, 4.9)
    assert breaker.allow(state, POLICY, 5.0)
    assert state.state == HALF_OPEN
    assert not breaker.allow(state, POLICY, 5.0), "one probe at a time"
    assert breaker.record(state, POLICY, True, 5.1) is None
    assert breaker.allow(state, POLICY, 5.1)
    assert breaker.record(state, POLICY, True, 5.2) == CLOSED
    # A fresh window: a few failures right after closing do not reopen.
    assert feed(state, [False] * 3, now=5.3) == []

    feed(state, [False] * 10, now=6.0)
    assert breaker.allow(state, POLICY, 11.0)
    assert breaker.record(state, POLICY, False, 11.1) == OPEN
    assert not breaker.allow(state, POLICY, 11.2)
