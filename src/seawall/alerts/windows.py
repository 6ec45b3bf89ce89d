"""Aggregates over the call records of a time window, per label set, computed in SQL.

Every rule that reads the same window and labels shares one ``GROUP BY`` query: the rules name
the measures they need (counts, conditional counts, sums) and get one row per label set back.
Only portable SQL (SQLite and PostgreSQL): quantiles are judged by counting calls above a
threshold, and the quantile itself is read with one ``ORDER BY … OFFSET`` where it is shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.store.schema.calls import calls

LabelValues = tuple[str, ...]
Measures = Mapping[str, sa.ColumnElement[Any]]

# Label name -> column. The prompt and release labels join here when the call records carry
# them; the config's ``GroupLabel`` lists the same names.
LABEL_COLUMNS: dict[str, sa.ColumnElement[Any]] = {
    "model": calls.c.model,
    "tenant": calls.c.tenant,
}

# Error codes that are the caller's doing (or a policy working as intended), not a failure of
# the service: they do not count against error rates and availability SLOs.
CLIENT_ERROR_CODES = (
    "invalid_request",
    "unauthorized",
    "forbidden",
    "rate_limited",
    "budget_exceeded",
    "guard_blocked",
)

SERVER_ERROR = sa.and_(
    calls.c.outcome == "error",
    sa.or_(calls.c.error_code.is_(None), calls.c.error_code.not_in(CLIENT_ERROR_CODES)),
)


def count_all() -> sa.ColumnElement[Any]:
    """Calls in the window."""
    return sa.func.count()


def count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    """Calls in the window for which ``condition`` holds."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def total(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Sum of a column over the window (0 when empty)."""
    return sa.func.coalesce(sa.func.sum(column), 0)


@dataclass(frozen=True, slots=True)
class Slice:
    """Which calls: a time range, grouped by some labels, filtered by others."""

    since: float
    until: float
    group_by: tuple[str, ...] = ("model",)
    match: tuple[tuple[str, str], ...] = ()

    def labels(self, values: LabelValues) -> dict[str, str]:
        """The label mapping of one group (a NULL label, e.g. no tenant, is ``""``)."""
        found = dict(zip(self.group_by, values, strict=True))
        return {**found, **dict(self.match)}

    def where(self) -> list[sa.ColumnElement[bool]]:
        conditions = [calls.c.started_at >= self.since, calls.c.started_at < self.until]
        conditions += [LABEL_COLUMNS[name] == value for name, value in self.match]
        return conditions


class CallWindows:
    """Reads windows of the ``calls`` table through the store's engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def aggregate(
        self, part: Slice, measures: Measures
    ) -> dict[LabelValues, dict[str, float]]:
        """One row of ``measures`` per label set seen in the slice."""
        keys = [LABEL_COLUMNS[name].label(f"l_{name}") for name in part.group_by]
        values = [expr.label(f"m_{name}") for name, expr in measures.items()]
        query = sa.select(*keys, *values).where(*part.where())
        if keys:
            query = query.group_by(*(LABEL_COLUMNS[name] for name in part.group_by))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        result: dict[LabelValues, dict[str, float]] = {}
        for row in rows:
            labels = tuple(
                "" if row[f"l_{n}"] is None else str(row[f"l_{n}"]) for n in part.group_by
            )
            result[labels] = {name: float(row[f"m_{name}"] or 0) for name in measures}
        if not keys and result.get((), {}).get("calls", 1) == 0:
            result.clear()  # an aggregate without GROUP BY answers one row even when empty
        return result

    async def quantile(
        self, part: Slice, labels: LabelValues, column: sa.ColumnElement[Any], q: float, n: int
    ) -> float | None:
        """The nearest-rank ``q`` quantile of ``column`` among the ``n`` non-null values of a group."""
        if n <= 0:
            return None
        rank = max(1, math.ceil(q * n - 1e-9))  # nearest rank, robust to q*n landing on .0000001
        where = [*part.where(), column.is_not(None)]
        where += [
            _label_equals(name, value) for name, value in zip(part.group_by, labels, strict=True)
        ]
        query = sa.select(column).where(*where).order_by(column).offset(rank - 1).limit(1)
        async with self._engine.connect() as conn:
            value = (await conn.execute(query)).scalar()
        return None if value is None else float(value)


def _label_equals(name: str, value: str) -> sa.ColumnElement[bool]:
    column = LABEL_COLUMNS[name]
    return column.is_(None) if value == "" else column == value


def merge_measures(parts: Sequence[Measures]) -> dict[str, sa.ColumnElement[Any]]:
    """The union of several rules' measures (same name, same expression by construction)."""
    merged: dict[str, sa.ColumnElement[Any]] = {"calls": count_all()}
    for measures in parts:
        merged.update(measures)
    return merged
