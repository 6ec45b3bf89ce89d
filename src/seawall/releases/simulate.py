"""Seeded simulation of a canary rollout, to size a policy before trusting it with traffic.

Calls arrive one by one, each goes to the canary with the policy's share, and each arm draws
its outcomes from an ``ArmModel`` (event rates, lognormal latency and cost). Every
``look_every`` canary calls the controller's decision runs on the cumulative counts, as the
live controller would. The tests and ``bench/canary_simulation.py`` use it to measure how fast
a regression is caught and how often a healthy candidate is rolled back by mistake.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from seawall.prompts.spec import CanaryPolicy
from seawall.releases.sequential import ArmStats, Decision, decide


@dataclass(frozen=True, slots=True)
class ArmModel:
    """How one version behaves: chance of each event per call, latency and cost distributions."""

    error_rate: float = 0.0
    invalid_output_rate: float = 0.0
    degraded_rate: float = 0.0
    escalation_rate: float = 0.0
    negative_feedback_rate: float = 0.0
    latency_median_ms: float | None = 400.0  # None: no latency samples
    latency_sigma: float = 0.5
    cost_median_usd: float | None = 0.002  # None: no cost samples
    cost_sigma: float = 0.3


@dataclass(frozen=True, slots=True)
class Rollout:
    """How a simulated rollout ended: the decision and the traffic it took to reach it."""

    action: str
    canary_calls: int
    baseline_calls: int
    decision: Decision | None


class _Arm:
    """One arm's cumulative counts and samples while the simulation runs."""

    def __init__(self, model: ArmModel) -> None:
        self.calls = 0
        self.counts = [0] * 5
        self.latencies: list[float] = []
        self.costs: list[float] = []
        rates = (
            model.error_rate,
            model.invalid_output_rate,
            model.degraded_rate,
            model.escalation_rate,
            model.negative_feedback_rate,
        )
        self._events = [(i, rate) for i, rate in enumerate(rates) if rate > 0]
        self._latency = (model.latency_median_ms, model.latency_sigma)
        self._cost = (model.cost_median_usd, model.cost_sigma)

    def call(self, rng: random.Random) -> None:
        self.calls += 1
        for i, rate in self._events:
            if rng.random() < rate:
                self.counts[i] += 1
        median, sigma = self._latency
        if median is not None:
            self.latencies.append(median * rng.lognormvariate(0.0, sigma))
        median, sigma = self._cost
        if median is not None:
            self.costs.append(median * rng.lognormvariate(0.0, sigma))

    def stats(self) -> ArmStats:
        errors, invalid, degraded, escalations, negative = self.counts
        return ArmStats(
            self.calls,
            errors=errors,
            invalid_outputs=invalid,
            degraded=degraded,
            escalations=escalations,
            negative_feedback=negative,
            latencies_ms=self.latencies,
            costs_usd=self.costs,
        )


def simulate_rollout(
    candidate: ArmModel,
    production: ArmModel,
    policy: CanaryPolicy,
    *,
    seed: int,
    look_every: int = 10,
    calls_per_second: float = 100.0,
    max_canary_calls: int = 100_000,
) -> Rollout:
    """Run one seeded rollout until the controller rolls back or promotes (or the cap)."""
    rng = random.Random(seed)
    canary, baseline = _Arm(candidate), _Arm(production)
    total = 0
    while canary.calls < max_canary_calls:
        target = canary.calls + look_every
        while canary.calls < target:
            total += 1
            # Per-call draws, as ``assign`` does for calls without a user id (inlined: hot loop).
            (canary if rng.random() < policy.share else baseline).call(rng)
        decision = decide(canary.stats(), baseline.stats(), policy, total / calls_per_second)
        if decision.action != "continue":
            return Rollout(decision.action, canary.calls, baseline.calls, decision)
    return Rollout("continue", canary.calls, baseline.calls, None)
