"""The statistics behind eval verdicts: pure functions, stdlib only.

* ``wilson`` — a 95% (or any) interval for a pass rate that stays honest at 0%, 100% and small n.
* ``binomial_tail`` / ``mcnemar`` — the exact McNemar test: on the cases that flipped between two
  runs, is "pass → fail" more frequent than chance (a coin) would make it?
* ``paired_delta`` — Newcombe's interval for the change of a paired pass rate.

Why exact tests: suites are small (tens of cases) and flips are few, where normal
approximations are wrong exactly when it matters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist


class Verdict(StrEnum):
    """What a comparison of two runs concludes."""

    REGRESSED = "regressed"
    IMPROVED = "improved"
    NO_CHANGE = "no significant change"


def z_for(confidence: float) -> float:
    """The two-sided normal quantile for ``confidence`` (1.96 for 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when there is no data."""
    if n <= 0:
        return 0.0, 1.0
    z = z_for(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def binomial_tail(k: int, n: int, p: float = 0.5) -> float:
    """P(X >= k) for X ~ Binomial(n, p), computed exactly."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return min(1.0, sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1)))


@dataclass(frozen=True, slots=True)
class McNemar:
    """Exact one-sided McNemar tests on the discordant pairs of a paired comparison."""

    regressed: int  # pass in the baseline, fail in the candidate
    improved: int  # fail in the baseline, pass in the candidate
    p_regressed: float  # chance of this many or more regressions if nothing changed
    p_improved: float


def mcnemar(regressed: int, improved: int) -> McNemar:
    """Under "no change" each flip is equally likely either way: a fair coin per flip."""
    flips = regressed + improved
    return McNemar(
        regressed, improved, binomial_tail(regressed, flips), binomial_tail(improved, flips)
    )


def verdict(test: McNemar, confidence: float = 0.95) -> Verdict:
    """Regressed or improved when its one-sided p-value is at most ``1 - confidence``.

    Each direction is tested on its own at level ``1 - confidence``, so an unchanged target is
    called "regressed" at most that often (less: the exact test is conservative). Both cannot
    be significant at once for any confidence above 0.5.
    """
    alpha = 1 - confidence
    if test.p_regressed <= alpha:
        return Verdict.REGRESSED
    if test.p_improved <= alpha:
        return Verdict.IMPROVED
    return Verdict.NO_CHANGE


def min_flips_for_significance(confidence: float = 0.95) -> int:
    """Fewest one-way flips (none the other way) that the exact test can call significant."""
    n = 1
    while 0.5**n > 1 - confidence:
        n += 1
    return n


@dataclass(frozen=True, slots=True)
class PairedCounts:
    """Per-case outcomes of two runs over the same cases."""

    both_pass: int
    regressed: int  # pass → fail
    improved: int  # fail → pass
    both_fail: int

    @property
    def n(self) -> int:
        return self.both_pass + self.regressed + self.improved + self.both_fail

    @property
    def baseline_rate(self) -> float:
        return (self.both_pass + self.regressed) / self.n if self.n else 0.0

    @property
    def candidate_rate(self) -> float:
        return (self.both_pass + self.improved) / self.n if self.n else 0.0


def paired_delta(counts: PairedCounts, confidence: float = 0.95) -> tuple[float, float, float]:
    """(delta, low, high): candidate minus baseline pass rate with Newcombe's interval.

    Newcombe (1998), method 10: combines the Wilson intervals of both rates with the
    correlation of the pairs, so it stays inside [-1, 1] and is sensible for small n.
    """
    n = counts.n
    if n == 0:
        return 0.0, -1.0, 1.0
    a, b, c, d = counts.both_pass, counts.regressed, counts.improved, counts.both_fail
    p1, p2 = counts.baseline_rate, counts.candidate_rate
    l1, u1 = wilson(a + b, n, confidence)
    l2, u2 = wilson(a + c, n, confidence)
    spread = (a + b) * (c + d) * (a + c) * (b + d)
    # Newcombe's corrected correlation: a positive association shrunk by n/2, and none
    # assumed when it is small; a negative one kept.
    cross = a * d - b * c
    corrected = cross - n / 2 if cross > n / 2 else min(cross, 0)
    phi = corrected / math.sqrt(spread) if spread else 0.0
    delta = p2 - p1
    below = math.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    above = math.sqrt(max(0.0, (u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2))
    return delta, max(-1.0, delta - below), min(1.0, delta + above)


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
