"""Seeded simulated rollouts through the real decision: regressions caught, healthy ones kept.

The figures for many more runs are printed by ``bench/canary_simulation.py``.
"""

from __future__ import annotations

import statistics

from seawall.prompts import CanaryPolicy
from seawall.releases.simulate import ArmModel, simulate_rollout

# The default policy (share 10%, alpha 5% over 7 metrics, burn-in 50, min_calls 500), with a
# one-minute minimum duration at 100 simulated calls a second.
POLICY = CanaryPolicy(duration_s=60.0)
HEALTHY = ArmModel(
    error_rate=0.02,
    invalid_output_rate=0.01,
    degraded_rate=0.005,
    escalation_rate=0.03,
    negative_feedback_rate=0.01,
)
ROLLBACK_WITHIN = 150  # canary calls (about 1,500 calls in all at a 10% share)


def test_invalid_output_15_percent_against_1_percent_rolls_back_fast() -> None:
    bad = ArmModel(invalid_output_rate=0.15)
    good = ArmModel(invalid_output_rate=0.01)
    runs = [simulate_rollout(bad, good, POLICY, seed=seed) for seed in range(200)]
    assert {r.action for r in runs} == {"rollback"}
    assert {r.decision.metric for r in runs if r.decision} == {"invalid_output_rate"}
    calls = sorted(r.canary_calls for r in runs)
    assert calls[-1] <= ROLLBACK_WITHIN
    assert statistics.median(calls) <= 60  # most runs decide at the first look after burn-in
    assert calls[0] >= POLICY.burn_in_calls


def test_a_healthy_candidate_is_promoted_and_rarely_rolled_back() -> None:
    runs = [
        simulate_rollout(HEALTHY, HEALTHY, POLICY, seed=10_000 + seed, look_every=25)
        for seed in range(50)
    ]
    false_rollbacks = sum(r.action == "rollback" for r in runs)
    assert false_rollbacks <= 0.05 * len(runs)
    promoted = [r for r in runs if r.action == "promote"]
    assert len(promoted) == len(runs) - false_rollbacks
    # Promotion waits for the policy's minimum: 500 canary calls and 60 s (6,000 calls).
    assert all(r.canary_calls >= POLICY.min_calls for r in promoted)
    assert all(r.canary_calls + r.baseline_calls >= 6000 for r in promoted)


def test_healthy_rollouts_over_500_seeds_on_the_rate_metrics() -> None:
    rates_only = ArmModel(
        error_rate=0.02, invalid_output_rate=0.01, latency_median_ms=None, cost_median_usd=None
    )
    policy = CanaryPolicy(duration_s=0.0)
    runs = [
        simulate_rollout(rates_only, rates_only, policy, seed=50_000 + s, look_every=25)
        for s in range(500)
    ]
    assert sum(r.action == "rollback" for r in runs) <= 25  # 5%
    assert sum(r.action == "promote" for r in runs) >= 475


def test_a_slower_candidate_is_rolled_back_on_latency() -> None:
    slow = ArmModel(latency_median_ms=600.0)  # 1.5x everywhere, tolerance 20%
    runs = [simulate_rollout(slow, ArmModel(), POLICY, seed=seed) for seed in range(20)]
    assert {(r.action, r.decision.metric if r.decision else None) for r in runs} == {
        ("rollback", "p95_latency_ms")
    }
    assert max(r.canary_calls for r in runs) <= 300
