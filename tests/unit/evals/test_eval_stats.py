"""The statistics layer: exact tails, intervals, and the verdict's error rates under noise."""

from __future__ import annotations

import math
import random

import pytest

from seawall.evals.stats import (
    PairedCounts,
    Verdict,
    binomial_tail,
    mcnemar,
    min_flips_for_significance,
    paired_delta,
    percentile,
    verdict,
    wilson,
)


def test_wilson_matches_published_values() -> None:
    # Newcombe (1998), table I: 81/263 -> 0.2553-0.3662; 0/10 -> 0-0.2775.
    low, high = wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(10, 10)[1] == 1.0
    assert wilson(0, 0) == (0.0, 1.0)


def test_binomial_tail_is_exact() -> None:
    assert binomial_tail(5, 5) == 1 / 32
    assert binomial_tail(0, 7) == 1.0
    assert binomial_tail(8, 7) == 0.0
    assert binomial_tail(3, 4) == pytest.approx(5 / 16)
    assert binomial_tail(2, 3, p=0.2) == pytest.approx(3 * 0.04 * 0.8 + 0.008)


def test_verdicts_follow_the_one_sided_tests() -> None:
    assert verdict(mcnemar(5, 0)) is Verdict.REGRESSED  # p = 1/32
    assert verdict(mcnemar(4, 0)) is Verdict.NO_CHANGE  # p = 1/16: too few flips to tell
    assert verdict(mcnemar(0, 6)) is Verdict.IMPROVED
    assert verdict(mcnemar(6, 4)) is Verdict.NO_CHANGE
    assert verdict(mcnemar(0, 0)) is Verdict.NO_CHANGE
    assert verdict(mcnemar(4, 0), confidence=0.9) is Verdict.REGRESSED  # 1/16 <= 0.1
    assert min_flips_for_significance(0.95) == 5
    assert min_flips_for_significance(0.99) == 7


def test_paired_delta_is_consistent() -> None:
    counts = PairedCounts(both_pass=36, regressed=12, improved=2, both_fail=10)
    delta, low, high = paired_delta(counts)
    assert delta == pytest.approx((2 - 12) / 60)
    assert -1 <= low < delta < high <= 1
    assert high < 0, "10 more regressions than improvements in 60 pairs is a clear drop"
    # Swapping the runs mirrors the interval.
    swapped = paired_delta(PairedCounts(36, 2, 12, 10))
    assert swapped == pytest.approx((-delta, -high, -low))
    # More of the same evidence narrows it.
    _, low10, high10 = paired_delta(PairedCounts(360, 120, 20, 100))
    assert high10 - low10 < (high - low) / 2


def test_paired_delta_agrees_with_wald_for_large_samples() -> None:
    b, c, n = 300, 200, 5000
    delta, low, high = paired_delta(PairedCounts(4000, b, c, n - 4000 - b - c))
    wald = 1.959964 * math.sqrt(b + c - (c - b) ** 2 / n) / n
    assert low == pytest.approx(delta - wald, abs=0.002)
    assert high == pytest.approx(delta + wald, abs=0.002)


def test_paired_delta_stays_in_range_at_the_edges() -> None:
    for counts in (PairedCounts(10, 0, 0, 0), PairedCounts(0, 10, 0, 0), PairedCounts(0, 0, 0, 3)):
        delta, low, high = paired_delta(counts)
        assert -1 <= low <= delta <= high <= 1
    assert paired_delta(PairedCounts(0, 0, 0, 0)) == (0.0, -1.0, 1.0)


def test_percentile() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([0.0, 10.0], 0.95) == pytest.approx(9.5)


# --------------------------------------------------------------------------- error rates
# Seeded simulations of whole runs on the pure layer: cases with a per-sample pass rate,
# sampled 3 times, judged by the case threshold, paired and tested. Seeds make them exact;
# the tolerances are the statistical claims.

CASES = 60
SAMPLES = 3
REPEATS = 100


def _case_pass(rng: random.Random, p_sample: float, threshold: float) -> bool:
    passed = sum(rng.random() < p_sample for _ in range(SAMPLES))
    return passed / SAMPLES >= threshold


def _run(rng: random.Random, rates: list[float], threshold: float) -> list[bool]:
    return [_case_pass(rng, p, threshold) for p in rates]


def _verdict(baseline: list[bool], candidate: list[bool]) -> Verdict:
    regressed = sum(b and not c for b, c in zip(baseline, candidate, strict=True))
    improved = sum(c and not b for b, c in zip(baseline, candidate, strict=True))
    return verdict(mcnemar(regressed, improved), 0.95)


def _noisy_rates(rng: random.Random, flakiest: float) -> list[float]:
    # Most cases are solid, some flaky: per-sample pass rates drawn from a mix.
    return [rng.choice([1.0, 1.0, 0.97, 0.9, 0.8, flakiest]) for _ in range(CASES)]


@pytest.mark.parametrize("threshold", [0.5, 1.0])
@pytest.mark.parametrize("flakiest", [0.6, 0.3])
def test_an_unchanged_target_is_rarely_called_regressed(threshold: float, flakiest: float) -> None:
    """100 seeded repeats of two runs of the same noisy target: false "regressed" <= 5%."""
    rng = random.Random(20240601)
    false_alarms = 0
    for _ in range(REPEATS):
        rates = _noisy_rates(rng, flakiest)
        baseline, candidate = _run(rng, rates, threshold), _run(rng, rates, threshold)
        false_alarms += _verdict(baseline, candidate) is Verdict.REGRESSED
    assert false_alarms <= 5, f"{false_alarms} false regressions in {REPEATS} repeats"


def test_a_broken_tag_is_found() -> None:
    """The same noisy target, but a tag of 10 cases now fails: found with power >= 0.8."""
    rng = random.Random(77)
    found = 0
    for _ in range(REPEATS):
        rates = _noisy_rates(rng, 0.6)
        rates[:10] = [1.0] * 10  # the tag's cases passed reliably before the change
        broken = [0.0] * 10 + rates[10:]
        baseline, candidate = _run(rng, rates, 0.5), _run(rng, broken, 0.5)
        found += _verdict(baseline, candidate) is Verdict.REGRESSED
    assert found >= 80, f"found the regression in only {found} of {REPEATS} repeats"


def test_exact_test_level_is_never_exceeded() -> None:
    """Under the null, P(regressed) <= alpha for every number of discordant pairs."""
    for flips in range(1, 80):
        level = sum(
            math.comb(flips, k) * 0.5**flips
            for k in range(flips + 1)
            if verdict(mcnemar(k, flips - k)) is Verdict.REGRESSED
        )
        assert level <= 0.05 + 1e-12
