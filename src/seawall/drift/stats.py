"""The statistics of drift: PSI over fixed bins, the chi-square test, and the verdict.

Pure functions over value counts (``{value: calls}``), so the database does the counting and
a million calls cost no more here than a thousand. Every comparison is a 2 x k table (reference
and current over k bins or categories): PSI measures how far the distribution moved (an effect
size that does not grow with traffic), the chi-square test says whether the move is more than
sampling noise. A change must pass both to count.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["stable", "watch", "drift", "insufficient", "unavailable"]

PSI_EPSILON = 1e-4
"""Floor of a bin's share in PSI: an empty bin would make the logarithm infinite."""
MIN_EXPECTED = 5.0
"""Categories expected to hold fewer calls than this are pooled before the chi-square test."""

_GAMMA_EPS = 1e-15
_GAMMA_TINY = 1e-300
_GAMMA_MAX_ITER = 10_000


# --------------------------------------------------------------------------- bins and PSI


def quantile_edges(reference: Mapping[float, int], bins: int) -> list[float]:
    """Cut points at the reference's ``1/bins … (bins-1)/bins`` quantiles (nearest rank), deduplicated.

    Bin ``i`` holds the values in ``(edges[i-1], edges[i]]``; the last bin everything above the
    last edge (so values beyond the reference's range stand out). Ties collapse edges: a
    reference where most calls have the same value gets fewer, fuller bins, not empty ones.
    """
    values = sorted(v for v, n in reference.items() if n > 0)
    total = sum(reference[v] for v in values)
    if total == 0:
        return []
    edges: list[float] = []
    cumulative, index = 0, 0
    for i in range(1, bins):
        rank = math.ceil(i * total / bins - 1e-9)
        while cumulative < rank:
            cumulative += reference[values[index]]
            index += 1
        edge = values[index - 1]
        if not edges or edge > edges[-1]:
            edges.append(edge)
    return edges


def bin_counts(values: Mapping[float, int], edges: Sequence[float]) -> list[int]:
    """Calls per bin (``len(edges) + 1`` bins) of a value-count table."""
    counts = [0] * (len(edges) + 1)
    for value, n in values.items():
        counts[bisect.bisect_left(edges, value)] += n
    return counts


def psi(reference: Sequence[int], current: Sequence[int], epsilon: float = PSI_EPSILON) -> float:
    """Population stability index: sum of ``(c - r) * ln(c / r)`` over the bins' shares.

    Shares are floored at ``epsilon``. 0 means the same distribution; by the usual rule of
    thumb below 0.1 is stable, 0.1 to 0.25 a moderate shift, above 0.25 a major one.
    """
    ref_total, cur_total = sum(reference), sum(current)
    if ref_total == 0 or cur_total == 0:
        raise ValueError("PSI needs calls in both windows")
    result = 0.0
    for r, c in zip(reference, current, strict=True):
        r_share = max(r / ref_total, epsilon)
        c_share = max(c / cur_total, epsilon)
        result += (c_share - r_share) * math.log(c_share / r_share)
    return result


# --------------------------------------------------------------------------- chi-square


def regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function.

    A series for P = 1 - Q below ``x = a + 1`` and Lentz's continued fraction for Q above it,
    each where it converges fast (Numerical Recipes, 6.2).
    """
    if a <= 0 or x < 0 or math.isnan(x):
        raise ValueError(f"Q(a, x) needs a > 0 and x >= 0, got a={a}, x={x}")
    if x == 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        return max(0.0, 1.0 - math.exp(log_prefix) * _gamma_series(a, x))
    return math.exp(log_prefix) * _gamma_fraction(a, x)


def _gamma_series(a: float, x: float) -> float:
    term = total = 1.0 / a
    denominator = a
    for _ in range(_GAMMA_MAX_ITER):
        denominator += 1.0
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * _GAMMA_EPS:
            return total
    raise ArithmeticError(f"the gamma series did not converge for a={a}, x={x}")


def _gamma_fraction(a: float, x: float) -> float:
    b = x + 1.0 - a
    c = 1.0 / _GAMMA_TINY
    d = 1.0 / b
    result = d
    for i in range(1, _GAMMA_MAX_ITER):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _GAMMA_TINY if abs(d) < _GAMMA_TINY else d
        c = b + an / c
        c = _GAMMA_TINY if abs(c) < _GAMMA_TINY else c
        d = 1.0 / d
        step = d * c
        result *= step
        if abs(step - 1.0) < _GAMMA_EPS:
            return result
    raise ArithmeticError(f"the gamma continued fraction did not converge for a={a}, x={x}")


def chi_square_sf(statistic: float, dof: int) -> float:
    """P(X >= statistic) for X chi-square distributed with ``dof`` degrees of freedom."""
    if dof <= 0:
        raise ValueError(f"degrees of freedom must be positive, got {dof}")
    return regularized_gamma_q(dof / 2.0, max(0.0, statistic) / 2.0)


@dataclass(frozen=True, slots=True)
class ChiSquare:
    """Pearson's chi-square test of independence of a contingency table."""

    statistic: float
    dof: int
    p_value: float


def chi_square_test(table: Sequence[Sequence[int]]) -> ChiSquare:
    """Test rows against columns; empty rows and columns are dropped (a 1-column table gives p=1)."""
    rows = [list(row) for row in table if sum(row) > 0]
    if not rows:
        return ChiSquare(0.0, 0, 1.0)
    columns = [j for j in range(len(rows[0])) if any(row[j] for row in rows)]
    rows = [[row[j] for j in columns] for row in rows]
    dof = (len(rows) - 1) * (len(columns) - 1)
    if dof == 0:
        return ChiSquare(0.0, 0, 1.0)
    total = sum(map(sum, rows))
    col_totals = [sum(col) for col in zip(*rows, strict=True)]
    statistic = 0.0
    for row in rows:
        row_total = sum(row)
        for observed, col_total in zip(row, col_totals, strict=True):
            expected = row_total * col_total / total
            statistic += (observed - expected) ** 2 / expected
    return ChiSquare(statistic, dof, chi_square_sf(statistic, dof))


def pool_sparse(
    reference: Sequence[int], current: Sequence[int], min_expected: float = MIN_EXPECTED
) -> tuple[list[int], list[int]]:
    """Merge the columns of a 2 x k table whose smaller expected count is under ``min_expected``.

    The chi-square approximation is poor for cells expected to hold a handful of calls: one
    stray ``degraded`` call would otherwise look like a significant change.
    """
    ref_total, cur_total = sum(reference), sum(current)
    total = ref_total + cur_total
    smaller = min(ref_total, cur_total)
    if total == 0:
        return list(reference), list(current)
    keep: list[tuple[int, int]] = []
    pooled = [0, 0]
    for r, c in zip(reference, current, strict=True):
        if (r + c) * smaller / total < min_expected:
            pooled[0] += r
            pooled[1] += c
        else:
            keep.append((r, c))
    if sum(pooled):
        if sum(pooled) * smaller / total < min_expected and len(keep) > 1:
            # Still sparse: fold it into the smallest kept column. Not when one column is
            # left: a category that only the current window has would vanish into it.
            i = min(range(len(keep)), key=lambda k: sum(keep[k]))
            keep[i] = (keep[i][0] + pooled[0], keep[i][1] + pooled[1])
        else:
            keep.append((pooled[0], pooled[1]))
    return [r for r, _ in keep], [c for _, c in keep]


# --------------------------------------------------------------------------- comparisons


@dataclass(frozen=True, slots=True)
class Comparison:
    """How a feature's current distribution compares with its reference."""

    reference_n: int
    current_n: int
    psi: float
    p_value: float
    statistic: float
    dof: int


def compare_counts(reference: Sequence[int], current: Sequence[int]) -> Comparison:
    """PSI and the chi-square test of one 2 x k table (bins or categories)."""
    test = chi_square_test(pool_sparse(reference, current))
    return Comparison(
        reference_n=sum(reference),
        current_n=sum(current),
        psi=psi(reference, current),
        p_value=test.p_value,
        statistic=test.statistic,
        dof=test.dof,
    )


def compare_numeric(
    reference: Mapping[float, int], current: Mapping[float, int], bins: int
) -> Comparison:
    """Bin both windows at the reference's quantiles, then compare."""
    edges = quantile_edges(reference, bins)
    return compare_counts(bin_counts(reference, edges), bin_counts(current, edges))


def compare_categorical(
    reference: Mapping[Hashable, int], current: Mapping[Hashable, int]
) -> Comparison:
    """Compare over the union of the categories seen in either window."""
    categories = sorted(set(reference) | set(current), key=str)
    return compare_counts(
        [reference.get(k, 0) for k in categories], [current.get(k, 0) for k in categories]
    )


def judge(
    comparison: Comparison | None,
    *,
    min_calls: int,
    psi_watch: float,
    psi_drift: float,
    p_value: float,
) -> Verdict:
    """``drift`` when PSI reaches ``psi_drift`` and the test is significant; ``watch`` likewise
    for ``psi_watch``; ``insufficient`` when either window has fewer than ``min_calls``."""
    if comparison is None or min(comparison.reference_n, comparison.current_n) < min_calls:
        return "insufficient"
    if comparison.p_value >= p_value:
        return "stable"
    if comparison.psi >= psi_drift:
        return "drift"
    return "watch" if comparison.psi >= psi_watch else "stable"


def median(values: Mapping[float, int]) -> float | None:
    """The lower median of a value-count table (None when empty)."""
    total = sum(values.values())
    if total == 0:
        return None
    rank, seen = math.ceil(total / 2), 0
    for value in sorted(values):
        seen += values[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to the total")


def shares(counts: Mapping[Hashable, int]) -> dict[Hashable, float]:
    """Each category's share of the calls."""
    total = sum(counts.values())
    return {k: n / total for k, n in counts.items()} if total else {}


def largest_shift(
    reference: Mapping[Hashable, int], current: Mapping[Hashable, int]
) -> tuple[Hashable, float, float] | None:
    """The category whose share moved most: (category, reference share, current share).

    Of two that moved as much (one category replacing another), the one that grew: it names
    the new traffic.
    """
    ref, cur = shares(reference), shares(current)

    def moved(key: Hashable) -> tuple[float, bool]:
        change = cur.get(key, 0.0) - ref.get(key, 0.0)
        return round(abs(change), 12), change > 0

    keys: Iterable[Hashable] = sorted(set(ref) | set(cur), key=str)
    best = max(keys, key=moved, default=None)
    return None if best is None else (best, ref.get(best, 0.0), cur.get(best, 0.0))
