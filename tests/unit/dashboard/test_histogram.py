"""Log-scale bins: the SQL ladder and Python agree, and quantiles stay within 5% of exact."""

from __future__ import annotations

import math
import random

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from seawall.dashboard.histogram import (
    BINS,
    BOUNDS,
    FLOOR_MS,
    RATIO,
    bin_expression,
    bin_of,
    bin_value,
    quantile,
)

VALUES = [0.0, 0.05, FLOOR_MS, 0.1099, 0.11, 1.0, 7.3, 99.9, 100.0, 512.25, 30_000.0, 1e9]


def exact_quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered) - 1e-9)) - 1]


def test_bins_are_ordered_and_cover_every_value() -> None:
    assert bin_of(0.0) == 0
    assert bin_of(1e12) == BINS - 1
    found = [bin_of(v) for v in sorted(VALUES)]
    assert found == sorted(found)
    for k in range(1, BINS - 1):  # each bound opens its bin
        assert bin_of(BOUNDS[k - 1]) == k
        assert bin_of(BOUNDS[k - 1] * 0.999999) == k - 1


@pytest.mark.parametrize("value", [0.2, 1.0, 3.3, 47.0, 880.0, 12_345.0, 600_000.0])
def test_a_bin_stands_for_its_values_within_five_percent(value: float) -> None:
    assert abs(bin_value(bin_of(value)) - value) / value <= math.sqrt(RATIO) - 1 + 1e-9


def test_quantiles_of_a_skewed_sample_are_within_five_percent() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(5.0, 1.2) for _ in range(20_000)]
    histogram: dict[int, int] = {}
    for value in values:
        histogram[bin_of(value)] = histogram.get(bin_of(value), 0) + 1
    for q in (0.5, 0.9, 0.95, 0.99):
        estimate = quantile(histogram, q)
        assert estimate is not None
        exact = exact_quantile(values, q)
        assert abs(estimate - exact) / exact < 0.05, (q, estimate, exact)


def test_no_values_have_no_quantile() -> None:
    assert quantile({}, 0.5) is None


async def test_the_sql_expression_bins_like_python() -> None:
    engine = create_async_engine("sqlite+aiosqlite://")
    rng = random.Random(3)
    values = [*VALUES, *(rng.lognormvariate(4, 3) for _ in range(300))]
    table = sa.Table("v", sa.MetaData(), sa.Column("i", sa.Integer), sa.Column("x", sa.Float))
    query = sa.select(table.c.i, bin_expression(table.c.x)).order_by(table.c.i)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.create_all)
            await conn.execute(table.insert(), [{"i": i, "x": x} for i, x in enumerate(values)])
            found = [k for _, k in (await conn.execute(query)).all()]
    finally:
        await engine.dispose()
    assert found == [bin_of(v) for v in values]
