"""PSI, the chi-square test and the verdict, against hand-computed and table values."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from seawall.drift import stats


def test_psi_by_hand() -> None:
    # shares 0.5/0.3/0.2 -> 0.3/0.3/0.4: (0.3-0.5)ln(0.3/0.5) + 0 + (0.4-0.2)ln(0.4/0.2)
    expected = -0.2 * math.log(0.6) + 0.2 * math.log(2.0)
    assert stats.psi([50, 30, 20], [30, 30, 40]) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.24080, abs=1e-5)


def test_psi_is_zero_for_the_same_shares_and_symmetric() -> None:
    assert stats.psi([10, 20, 30], [100, 200, 300]) == pytest.approx(0.0, abs=1e-15)
    assert stats.psi([50, 30, 20], [30, 30, 40]) == pytest.approx(
        stats.psi([30, 30, 40], [50, 30, 20])
    )


def test_psi_floors_empty_bins_at_epsilon() -> None:
    # reference shares (1, 0 -> 1e-4), current (0.5, 0.5)
    expected = (0.5 - 1.0) * math.log(0.5) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert stats.psi([100, 0], [50, 50]) == pytest.approx(expected, rel=1e-12)
    assert stats.psi([100, 0], [50, 50], epsilon=1e-2) < expected


def test_psi_needs_calls_in_both_windows() -> None:
    with pytest.raises(ValueError, match="both windows"):
        stats.psi([0, 0], [1, 2])


def test_quantile_edges_of_a_uniform_reference() -> None:
    reference = {float(v): 1 for v in range(1, 101)}
    edges = stats.quantile_edges(reference, 10)
    assert edges == [10, 20, 30, 40, 50, 60, 70, 80, 90]
    assert stats.bin_counts(reference, edges) == [10] * 10
    # the bins are fixed by the reference: values beyond its range fill the outer bins
    assert stats.bin_counts({0.0: 3, 10.0: 1, 10.5: 2, 1000.0: 4}, edges) == [
        4,
        2,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        4,
    ]


def test_ties_collapse_edges_instead_of_leaving_empty_bins() -> None:
    reference = {12.0: 90, 13.0: 5, 20.0: 5}
    assert stats.quantile_edges(reference, 10) == [12.0]
    assert stats.bin_counts(reference, [12.0]) == [90, 10]
    assert stats.quantile_edges({7.0: 50}, 10) == [7.0]  # one value: "at most 7" and "above"
    assert stats.quantile_edges({}, 10) == []


@pytest.mark.parametrize(
    ("statistic", "dof", "p_value"),
    [  # critical values of the chi-square table
        (3.841, 1, 0.05),
        (6.635, 1, 0.01),
        (10.828, 1, 0.001),
        (5.991, 2, 0.05),
        (7.815, 3, 0.05),
        (11.070, 5, 0.05),
        (15.086, 5, 0.01),
        (18.307, 10, 0.05),
        (23.209, 10, 0.01),
        (29.588, 10, 0.001),
        (43.773, 30, 0.05),
        (124.342, 100, 0.05),
        (0.455, 1, 0.5),
        (9.342, 10, 0.5),
    ],
)
def test_p_values_match_the_chi_square_table(statistic: float, dof: int, p_value: float) -> None:
    assert stats.chi_square_sf(statistic, dof) == pytest.approx(p_value, rel=2e-3)


@pytest.mark.parametrize("x", [0.01, 0.5, 1.0, 2.5, 7.0, 20.0, 60.0])
def test_p_values_match_closed_forms(x: float) -> None:
    assert stats.chi_square_sf(x, 1) == pytest.approx(math.erfc(math.sqrt(x / 2)), rel=1e-10)
    assert stats.chi_square_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-10)
    assert stats.chi_square_sf(x, 4) == pytest.approx(math.exp(-x / 2) * (1 + x / 2), rel=1e-10)


def test_regularized_gamma_edges() -> None:
    assert stats.regularized_gamma_q(3.0, 0.0) == 1.0
    assert stats.regularized_gamma_q(3.0, math.inf) == 0.0
    assert stats.chi_square_sf(5000.0, 3) == pytest.approx(0.0, abs=1e-300)
    with pytest.raises(ValueError, match="a > 0"):
        stats.regularized_gamma_q(0.0, 1.0)
    with pytest.raises(ValueError, match="degrees of freedom"):
        stats.chi_square_sf(1.0, 0)


def test_chi_square_test_of_independence_by_hand() -> None:
    # rows 40/60, columns 30/30/40: expected 12 12 16 / 18 18 24
    test = stats.chi_square_test([[10, 10, 20], [20, 20, 20]])
    assert test.dof == 2
    assert test.statistic == pytest.approx(4 / 12 + 4 / 12 + 1 + 4 / 18 + 4 / 18 + 16 / 24)
    assert test.p_value == pytest.approx(0.249352208777296, rel=1e-9)


def test_empty_columns_are_dropped_and_one_column_means_no_evidence() -> None:
    assert stats.chi_square_test([[10, 0, 20], [5, 0, 15]]) == stats.chi_square_test(
        [[10, 20], [5, 15]]
    )
    assert stats.chi_square_test([[10, 0], [7, 0]]) == stats.ChiSquare(0.0, 0, 1.0)


def test_sparse_categories_are_pooled() -> None:
    # 1721 calls, 161 in the smaller window: a column of 30 calls expects 30 * 161 / 1721 = 2.8
    assert stats.pool_sparse([1000, 30, 30, 500], [100, 0, 1, 60]) == (
        [1000, 500, 60],
        [100, 60, 1],
    )
    # a pool still too small folds into the smallest kept column
    assert stats.pool_sparse([1000, 2, 0, 500], [100, 0, 1, 60]) == ([1000, 502], [100, 61])
    # ... but not into the last column left: a category new in a small window must stay
    assert stats.pool_sparse([2100, 0], [0, 50]) == ([2100, 0], [0, 50])


def test_a_small_window_of_a_new_category_is_a_change() -> None:
    comparison = stats.compare_categorical({"latin": 2100}, {"cyrillic": 50})
    assert comparison.p_value < 1e-30
    assert verdict(comparison, min_calls=40) == "drift"


def test_one_stray_category_is_not_a_change() -> None:
    comparison = stats.compare_categorical({"ok": 5000}, {"ok": 999, "degraded": 1})
    assert comparison.p_value > 0.001
    assert comparison.psi < 0.01  # and however many strays it takes to be significant
    assert verdict(comparison) == "stable"


def verdict(comparison: stats.Comparison | None, min_calls: int = 100) -> str:
    return stats.judge(
        comparison, min_calls=min_calls, psi_watch=0.1, psi_drift=0.25, p_value=0.001
    )


def test_the_verdict_needs_size_significance_and_effect() -> None:
    moved = stats.compare_categorical({"en": 900, "ru": 100}, {"en": 100, "ru": 900})
    assert moved.psi > 0.25
    assert moved.p_value < 1e-100
    assert verdict(moved) == "drift"
    assert verdict(moved, min_calls=1001) == "insufficient"  # each window needs min_calls
    assert verdict(None) == "insufficient"
    modest = stats.compare_categorical({"a": 5000, "b": 5000}, {"a": 3000, "b": 7000})
    assert 0.1 <= modest.psi < 0.25
    assert verdict(modest) == "watch"
    # a large PSI on a handful of calls is not significant
    tiny = stats.compare_categorical({"a": 3, "b": 1}, {"a": 1, "b": 3})
    assert tiny.psi > 0.25
    assert tiny.p_value > 0.001
    assert verdict(tiny, min_calls=1) == "stable"


def test_numeric_comparison_sees_a_shift() -> None:
    rng = random.Random(7)
    reference = Counter(round(rng.gauss(40, 8)) for _ in range(5000))
    same = Counter(round(rng.gauss(40, 8)) for _ in range(1000))
    shifted = Counter(round(rng.gauss(60, 8)) for _ in range(1000))
    assert stats.compare_numeric(reference, same, 10).psi < 0.05
    moved = stats.compare_numeric(reference, shifted, 10)
    assert moved.psi > 1.0
    assert verdict(moved) == "drift"


def test_p_values_are_calibrated_under_no_change() -> None:
    """Windows drawn from one distribution: about 5% of p-values fall below 0.05, none drift."""
    rng = random.Random(11)
    below, trials = 0, 300
    verdicts = Counter()
    for _ in range(trials):
        reference = Counter(round(rng.lognormvariate(4, 0.6)) for _ in range(1000))
        current = Counter(round(rng.lognormvariate(4, 0.6)) for _ in range(200))
        comparison = stats.compare_numeric(reference, current, 10)
        below += comparison.p_value < 0.05
        verdicts[verdict(comparison)] += 1
    assert 0.02 <= below / trials <= 0.09  # 5% expected; binomial sd 1.3% at 300 trials
    assert verdicts["drift"] == 0


def test_median_and_largest_shift() -> None:
    assert stats.median({1.0: 2, 5.0: 1, 9.0: 1}) == 1.0
    assert stats.median({1.0: 1, 5.0: 1, 9.0: 1}) == 5.0
    assert stats.median({}) is None
    assert stats.largest_shift({"en": 90, "ru": 10}, {"en": 20, "ru": 75, "el": 5}) == (
        "en",
        0.9,
        0.2,
    )
