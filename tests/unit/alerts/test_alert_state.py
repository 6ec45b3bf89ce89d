"""The alert state machine: for_s, resolve_for_s, the resolve band, no data."""

from __future__ import annotations

from seawall.alerts.state import SeriesState, Timing, Transition, Verdict, judge, step


def run(
    verdicts: list[Verdict], timing: Timing, every_s: float = 30.0
) -> tuple[SeriesState, list[tuple[float, Transition]]]:
    state, seen = SeriesState(), []
    for i, verdict in enumerate(verdicts):
        now = i * every_s
        state, transition = step(state, verdict, now, timing)
        if transition is not None:
            seen.append((now, transition))
    return state, seen


def test_fires_only_after_the_breach_held_for_for_s() -> None:
    timing = Timing(for_s=60.0)
    state, seen = run(["breach", "breach", "breach"], timing)
    assert seen == [(60.0, "fired")]
    assert state.phase == "firing"
    assert state.fired_at == 60.0


def test_a_broken_breach_starts_the_wait_again() -> None:
    timing = Timing(for_s=60.0)
    _, seen = run(["breach", "breach", "between", "breach", "breach"], timing)
    assert seen == []  # 30 s, reset, 30 s: never 60 s in a row
    _, seen = run(["breach", "no_data", "breach", "breach", "breach"], timing)
    assert seen == [(120.0, "fired")]


def test_zero_for_s_fires_on_the_first_breach() -> None:
    _, seen = run(["clear", "breach"], Timing())
    assert seen == [(30.0, "fired")]


def test_a_signal_oscillating_around_the_threshold_fires_once_and_never_flaps() -> None:
    # 2.1% / 1.9% around a 2% threshold with the resolve threshold at 1%: breach, between, ...
    values = [0.021 if i % 2 == 0 else 0.019 for i in range(40)]
    verdicts = [judge(v, 0.02, 0.01) for v in values]
    state, seen = run(verdicts, Timing(resolve_for_s=300.0))
    assert seen == [(0.0, "fired")]
    assert state.phase == "firing"


def test_dipping_under_the_resolve_threshold_briefly_does_not_resolve() -> None:
    timing = Timing(resolve_for_s=120.0)
    verdicts: list[Verdict] = ["breach", "clear", "clear", "breach", "clear", "clear", "clear"]
    _, seen = run(verdicts, timing)
    assert seen == [(0.0, "fired")]  # clear for 60 s, back up, clear for 60 s so far
    _, seen = run([*verdicts, "clear", "clear"], timing)
    # the second clear stretch began at 120 s: it resolves 120 s later
    assert seen == [(0.0, "fired"), (240.0, "resolved")]


def test_a_resolved_alert_fires_again_on_a_new_breach() -> None:
    timing = Timing(resolve_for_s=60.0)
    verdicts: list[Verdict] = ["breach", "clear", "clear", "clear", "breach"]
    state, seen = run(verdicts, timing)
    assert seen == [(0.0, "fired"), (90.0, "resolved"), (120.0, "fired")]
    assert state.fired_at == 120.0
    assert state.resolved_at is None


def test_no_data_holds_a_firing_alert_until_the_long_silence() -> None:
    timing = Timing(resolve_for_s=0.0, no_data_resolve_s=100.0)
    state, seen = run(["breach", "no_data", "no_data", "no_data"], timing)
    assert seen == [(0.0, "fired")]
    assert state.phase == "firing"
    state, seen = run(["breach", "no_data", "no_data", "no_data", "no_data"], timing)
    assert seen == [(0.0, "fired"), (120.0, "resolved")]
    held, seen = run(["breach", *["no_data"] * 10], Timing(no_data_resolve_s=None))
    assert seen == [(0.0, "fired")]
    assert held.active


def test_judge_bands() -> None:
    assert judge(0.03, 0.02, 0.01) == "breach"
    assert judge(0.02, 0.02, 0.01) == "between"  # at the threshold is not above it
    assert judge(0.015, 0.02, 0.01) == "between"
    assert judge(0.01, 0.02, 0.01) == "clear"
    assert judge(0.0, 0.02, 0.01) == "clear"
