"""The controller's decision on given counts: rollback, promote or continue, and why."""

from __future__ import annotations

import math

import pytest

from seawall.prompts import CanaryPolicy
from seawall.releases import ArmStats, Decision, decide, judge
from seawall.releases.sequential import log_evidence, quantile

POLICY = CanaryPolicy(min_calls=500, duration_s=600, max_duration_s=3600, burn_in_calls=50)
SEVEN = 7  # metrics watched by default


def rates(calls: int, invalid: int = 0, errors: int = 0) -> ArmStats:
    return ArmStats(calls, invalid_outputs=invalid, errors=errors)


def test_no_events_is_no_evidence() -> None:
    assert log_evidence(0, 0, 0.1, 1.0) == pytest.approx(0.0)


def test_evidence_grows_with_canary_events_and_shrinks_with_production_events() -> None:
    values = [log_evidence(x, 20, 0.1, 1.0) for x in range(0, 30, 3)]
    assert values == sorted(values)
    assert log_evidence(10, 40, 0.1, 1.0) < log_evidence(10, 20, 0.1, 1.0)


def test_the_tolerance_raises_the_bar() -> None:
    assert log_evidence(8, 40, 0.1, 1.5) < log_evidence(8, 40, 0.1, 1.0)


def test_a_clear_regression_rolls_back_naming_the_metric_and_the_figures() -> None:
    decision = decide(rates(100, invalid=15), rates(900, invalid=9), POLICY, elapsed_s=60)
    assert decision.action == "rollback"
    assert decision.metric == "invalid_output_rate"
    f = decision.figures
    assert (f["canary_rate"], f["baseline_rate"]) == (0.15, 0.01)
    assert (f["canary_events"], f["baseline_events"]) == (15, 9)
    assert (f["canary_calls"], f["baseline_calls"]) == (100, 900)
    assert f["threshold"] == pytest.approx(SEVEN / 0.05)
    assert f["evidence"] >= f["threshold"]
    assert decision.reason.startswith(
        "invalid_output_rate regressed: canary 15.00% (15 events) vs production 1.00% (9 events)"
    )


def test_the_worst_of_several_regressions_decides() -> None:
    canary = ArmStats(200, errors=20, invalid_outputs=40)
    decision = decide(canary, rates(1800, invalid=18, errors=36), POLICY, elapsed_s=60)
    assert decision.metric == "invalid_output_rate"
    statuses = {v.metric: v.status for v in decision.verdicts}
    assert statuses["error_rate"] == "regressed"
    assert statuses["escalation_rate"] == "ok"


def test_nothing_is_judged_before_the_burn_in() -> None:
    decision = decide(rates(49, invalid=49), rates(441, invalid=4), POLICY, elapsed_s=60)
    assert decision.action == "continue"
    assert {v.status for v in decision.verdicts} == {"waiting"}


def test_a_better_candidate_never_rolls_back() -> None:
    decision = decide(rates(2000, invalid=0), rates(18_000, invalid=900), POLICY, elapsed_s=60)
    assert decision.action == "continue"
    [verdict] = [v for v in decision.verdicts if v.metric == "invalid_output_rate"]
    assert verdict.evidence < 1.0


def test_a_worsening_within_the_tolerance_does_not_roll_back() -> None:
    # 5% worse on a lot of traffic: real, but inside the default 10% tolerance.
    canary, baseline = rates(20_000, invalid=2100), rates(180_000, invalid=18_000)
    assert decide(canary, baseline, POLICY, elapsed_s=60).action == "continue"
    worse = ArmStats(20_000, invalid_outputs=3000)  # 50% worse
    assert decide(worse, baseline, POLICY, elapsed_s=60).action == "rollback"


def test_an_unwatched_metric_is_ignored_and_the_bar_follows_the_watched_count() -> None:
    metrics = POLICY.metrics.model_copy(
        update={
            "invalid_output_rate": POLICY.metrics.invalid_output_rate.model_copy(
                update={"watch": False}
            )
        }
    )
    policy = POLICY.model_copy(update={"metrics": metrics})
    verdicts = judge(rates(100, invalid=50), rates(900, invalid=9), policy)
    assert "invalid_output_rate" not in {v.metric for v in verdicts}
    assert len(verdicts) == 6
    assert all(v.threshold == pytest.approx(6 / 0.05) for v in verdicts)
    assert decide(rates(100, invalid=50), rates(900, invalid=9), policy, 60).action == "continue"


def test_promotes_only_after_min_calls_and_duration() -> None:
    healthy, production = rates(500, invalid=5), rates(4500, invalid=45)
    assert decide(healthy, production, POLICY, elapsed_s=599).action == "continue"
    assert decide(rates(499, invalid=5), production, POLICY, elapsed_s=601).action == "continue"
    decision = decide(healthy, production, POLICY, elapsed_s=600)
    assert decision.action == "promote"
    assert decision.metric is None
    assert decision.reason.startswith("no regression in 500 canary calls over 10.0 min")


def test_a_starved_canary_rolls_back_at_max_duration() -> None:
    decision = decide(rates(120), rates(1080), POLICY, elapsed_s=3600)
    assert decision.action == "rollback"
    assert decision.metric is None
    assert "only 120 of 500 canary calls" in decision.reason
    assert decide(rates(120), rates(1080), POLICY, elapsed_s=3599).action == "continue"


def test_without_production_traffic_nothing_is_compared() -> None:
    decision = decide(rates(500, invalid=400), ArmStats(0), POLICY, elapsed_s=60)
    assert decision.action == "continue"
    assert {v.status for v in decision.verdicts} == {"waiting"}


def latencies(n: int, scale: float) -> list[float]:
    # A fixed, spread-out sample: n evenly spaced quantiles of a lognormal, times ``scale``.
    out = []
    for i in range(n):
        z = math.sqrt(2) * _erfinv(2 * (i + 0.5) / n - 1)
        out.append(scale * 300 * math.exp(0.5 * z))
    return out


def _erfinv(y: float) -> float:
    lo, hi = -6.0, 6.0
    for _ in range(80):  # bisection is plenty for a test fixture
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.erf(mid) < y else (lo, mid)
    return (lo + hi) / 2


def test_a_slower_candidate_rolls_back_on_p95_latency() -> None:
    canary = ArmStats(300, latencies_ms=latencies(300, 1.5))
    baseline = ArmStats(2700, latencies_ms=latencies(2700, 1.0))
    decision = decide(canary, baseline, POLICY, elapsed_s=60)
    assert decision.action == "rollback"
    assert decision.metric == "p95_latency_ms"
    f = decision.figures
    assert f["canary_value"] == pytest.approx(1.5 * f["baseline_value"], rel=0.02)
    assert f["line"] == pytest.approx(1.2 * f["baseline_value"])
    assert decision.reason.startswith("p95_latency_ms regressed: canary ")


def test_equal_or_slightly_slower_latency_stays() -> None:
    baseline = ArmStats(2700, latencies_ms=latencies(2700, 1.0))
    for scale in (1.0, 1.1):  # 10% slower is within the 20% tolerance
        canary = ArmStats(300, latencies_ms=latencies(300, scale))
        assert decide(canary, baseline, POLICY, elapsed_s=60).action == "continue"


def test_cost_compares_medians_and_reports_means() -> None:
    canary = ArmStats(300, costs_usd=[0.003] * 300)
    baseline = ArmStats(2700, costs_usd=[0.002] * 1350 + [0.0021] * 1350)
    decision = decide(canary, baseline, POLICY, elapsed_s=60)
    assert decision.metric == "cost_per_call"
    assert decision.figures["canary_mean"] == 0.003
    assert decision.figures["baseline_mean"] == pytest.approx(0.00205)


def test_too_few_samples_for_a_quantile() -> None:
    canary = ArmStats(300, latencies_ms=[9e9] * 19)
    verdicts = judge(canary, ArmStats(2700, latencies_ms=[1.0] * 2700), POLICY)
    [latency] = [v for v in verdicts if v.metric == "p95_latency_ms"]
    assert latency.status == "waiting"


def test_quantile_interpolates_like_numpy() -> None:
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile([5, 1, 3], 0.95) == pytest.approx(4.8)
    assert quantile([7], 0.95) == 7
    with pytest.raises(ValueError, match="no values"):
        quantile([], 0.5)


def test_decisions_round_trip_through_json() -> None:
    decision = decide(rates(100, invalid=15), rates(900, invalid=9), POLICY, elapsed_s=60)
    assert Decision.from_dict(decision.as_dict()) == decision
