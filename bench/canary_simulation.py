#!/usr/bin/env python3
"""Canary statistics on seeded simulated rollouts: speed of rollback, false rollbacks, power.

Runs the pure controller decision (``seawall.releases.sequential.decide``) on simulated traffic
(``seawall.releases.simulate``): share 10%, the default policy (alpha 5% over 7 metrics,
burn-in 50 canary calls, min_calls 500) with ``duration_s`` set to 60 s at 100 calls/s, and a
look every 10 canary calls unless stated.

    .venv/bin/python bench/canary_simulation.py            # full run, a few minutes
    .venv/bin/python bench/canary_simulation.py --quick    # fewer runs, under a minute
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable

from seawall.prompts.spec import CanaryPolicy
from seawall.releases.simulate import ArmModel, Rollout, simulate_rollout

POLICY = CanaryPolicy(duration_s=60.0)
HEALTHY = ArmModel(
    error_rate=0.02,
    invalid_output_rate=0.01,
    degraded_rate=0.005,
    escalation_rate=0.03,
    negative_feedback_rate=0.01,
)


def many(runs: int, seed0: int, one: Callable[[int], Rollout]) -> list[Rollout]:
    return [one(seed0 + i) for i in range(runs)]


def percentile(values: list[int], p: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def report_regression(title: str, results: list[Rollout], seconds: float) -> None:
    calls = [r.canary_calls for r in results if r.action == "rollback"]
    metrics = Counter(r.decision.metric for r in results if r.decision and r.action == "rollback")
    line = f"{title}: {len(calls)}/{len(results)} rolled back"
    if calls:
        line += (
            f"; canary calls to rollback median {statistics.median(calls):.0f}, "
            f"p95 {percentile(calls, 0.95)}, max {max(calls)}; by {dict(metrics)}"
        )
    print(f"{line}  [{seconds:.1f} s]")


def regression(runs: int) -> None:
    started = time.perf_counter()
    bad = ArmModel(invalid_output_rate=0.15)
    good = ArmModel(invalid_output_rate=0.01)
    results = many(runs, 0, lambda s: simulate_rollout(bad, good, POLICY, seed=s))
    report_regression("invalid output 15% vs 1%", results, time.perf_counter() - started)
    started = time.perf_counter()
    slow = ArmModel(latency_median_ms=600.0)
    results = many(runs, 0, lambda s: simulate_rollout(slow, ArmModel(), POLICY, seed=s))
    report_regression(
        "latency x1.5 (p95 +50%, tolerance 20%)", results, time.perf_counter() - started
    )


def healthy(runs: int, look_every: int) -> None:
    started = time.perf_counter()
    results = many(
        runs,
        10_000,
        lambda s: simulate_rollout(HEALTHY, HEALTHY, POLICY, seed=s, look_every=look_every),
    )
    seconds = time.perf_counter() - started
    false = [r for r in results if r.action == "rollback"]
    promoted = [r.canary_calls for r in results if r.action == "promote"]
    by = Counter(r.decision.metric for r in false if r.decision)
    print(
        f"healthy candidate, all 7 metrics, look every {look_every} canary calls: "
        f"{len(false)}/{runs} false rollbacks ({100 * len(false) / runs:.1f}%) {dict(by)}; "
        f"{len(promoted)} promoted at median {statistics.median(promoted) if promoted else '-'} "
        f"canary calls  [{seconds:.1f} s]"
    )


def long_watch(runs: int) -> None:
    # Never promote: watch a healthy candidate for 5,000 canary calls (50,000 calls), looking
    # every 10 canary calls, to show the false-rollback rate does not creep up with looks.
    policy = CanaryPolicy(duration_s=1e9, max_duration_s=1e9)
    rate_only = ArmModel(
        error_rate=0.02, invalid_output_rate=0.01, latency_median_ms=None, cost_median_usd=None
    )
    started = time.perf_counter()
    results = many(
        runs,
        20_000,
        lambda s: simulate_rollout(rate_only, rate_only, policy, seed=s, max_canary_calls=5000),
    )
    false = sum(r.action == "rollback" for r in results)
    print(
        f"healthy, rates only, 500 looks over 5,000 canary calls: {false}/{runs} false "
        f"rollbacks ({100 * false / runs:.1f}%)  [{time.perf_counter() - started:.1f} s]"
    )


def power(runs: int) -> None:
    print("power, invalid-output baseline 2%: share of runs rolled back before promotion at the")
    print("policy's minimum, and canary calls by which 80% of runs roll back when never promoted:")
    unbounded = CanaryPolicy(duration_s=1e9, max_duration_s=1e9)
    for ratio in (1.5, 2.0, 3.0, 5.0):
        started = time.perf_counter()
        bad = ArmModel(
            invalid_output_rate=0.02 * ratio, latency_median_ms=None, cost_median_usd=None
        )
        good = ArmModel(invalid_output_rate=0.02, latency_median_ms=None, cost_median_usd=None)
        results = many(
            runs, 30_000, lambda s, b=bad, g=good: simulate_rollout(b, g, POLICY, seed=s)
        )
        caught = sum(r.action == "rollback" for r in results)
        endless = many(
            runs,
            40_000,
            lambda s, b=bad, g=good: simulate_rollout(
                b, g, unbounded, seed=s, look_every=50, max_canary_calls=20_000
            ),
        )
        calls = [r.canary_calls if r.action == "rollback" else 10**9 for r in endless]
        p80 = percentile(calls, 0.80)
        print(
            f"  canary {2 * ratio:.0f}% vs 2% (x{ratio:g}): {100 * caught / runs:.0f}% before "
            f"promotion; 80% by {p80 if p80 < 10**9 else '> 20,000'} canary calls  "
            f"[{time.perf_counter() - started:.1f} s]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    regression(50 if args.quick else 200)
    healthy(50 if args.quick else 500, look_every=10)
    long_watch(40 if args.quick else 200)
    power(40 if args.quick else 200)


if __name__ == "__main__":
    main()
