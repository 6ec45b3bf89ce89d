"""What recorded traffic cost: totals and groups, aggregated by the database, not in Python.

Each call record carries its cost (``cost_usd``: every answer the call was billed for,
re-asks included, from the price table at the time of the call) and its tokens. Attempts that
failed (a 5xx, a timeout, a refused connection) are listed in the record without a cost:
providers do not bill them, and the record has no usage for them. So the overhead of
resilience is reported as what is there: how many calls needed retries or a fallback, how
many extra attempts they made, and the share of the cost spent on those calls.

Groups: the logical ``model`` asked for, the ``upstream`` that answered (what the bill is
per), ``tenant``, ``key`` (the virtual key id) and ``route`` (the routing rule's choice,
``extra.route`` in the record). Calls without a value form one group shown as ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.store.schema import calls

GroupBy = Literal["model", "upstream", "tenant", "key", "route"]
GROUPS: tuple[str, ...] = get_args(GroupBy)


@dataclass(frozen=True, slots=True)
class CostRow:
    """The traffic of one group (or of all calls) over the report's window."""

    group: str | None
    calls: int
    cost_usd: float
    prompt_tokens: int
    completion_tokens: int
    retried_calls: int  # calls that made at least one retry
    retries: int  # extra attempts at the same target, summed
    fallback_calls: int  # calls answered by a target other than the first
    overhead_cost_usd: float  # cost of the calls that needed a retry or a fallback

    @property
    def cost_per_call_usd(self) -> float:
        """Mean cost of a call (0 without calls)."""
        return self.cost_usd / self.calls if self.calls else 0.0

    @property
    def overhead_share(self) -> float:
        """Share of the cost spent on calls that needed a retry or a fallback."""
        return self.overhead_cost_usd / self.cost_usd if self.cost_usd else 0.0


@dataclass(frozen=True, slots=True)
class CostReport:
    """Totals and groups (by cost, highest first) of the calls in [since, until)."""

    since: float
    until: float
    by: GroupBy
    total: CostRow
    rows: tuple[CostRow, ...]


def group_column(by: GroupBy) -> sa.ColumnElement[Any]:
    """The SQL expression that names a call's group."""
    if by == "route":
        route: sa.ColumnElement[Any] = calls.c.extra["route"].as_string()
        return route
    return {
        "model": calls.c.model,
        "upstream": calls.c.upstream,
        "tenant": calls.c.tenant,
        "key": calls.c.key_id,
    }[by]


async def cost_report(engine: AsyncEngine, since: float, until: float, by: GroupBy) -> CostReport:
    """Aggregate the calls started in [since, until) per group, in one SQL query."""
    group = group_column(by).label("grp")
    retried = calls.c.retries > 0
    fell_back = calls.c.fallback == sa.true()
    query = (
        sa.select(
            group,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(calls.c.cost_usd), 0.0),
            sa.func.coalesce(sa.func.sum(calls.c.prompt_tokens), 0),
            sa.func.coalesce(sa.func.sum(calls.c.completion_tokens), 0),
            sa.func.coalesce(sa.func.sum(sa.case((retried, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(calls.c.retries), 0),
            sa.func.coalesce(sa.func.sum(sa.case((fell_back, 1), else_=0)), 0),
            sa.func.coalesce(
                sa.func.sum(sa.case((sa.or_(retried, fell_back), calls.c.cost_usd), else_=0.0)),
                0.0,
            ),
        )
        .where(calls.c.started_at >= since, calls.c.started_at < until)
        .group_by(group)
    )
    async with engine.connect() as conn:
        result = (await conn.execute(query)).all()
    rows = sorted((_row(*values) for values in result), key=lambda r: (-r.cost_usd, str(r.group)))
    return CostReport(since, until, by, total(rows), tuple(rows))


def total(rows: Sequence[CostRow]) -> CostRow:
    """All rows added up (the groups partition the calls)."""
    return CostRow(
        None,
        sum(r.calls for r in rows),
        sum(r.cost_usd for r in rows),
        sum(r.prompt_tokens for r in rows),
        sum(r.completion_tokens for r in rows),
        sum(r.retried_calls for r in rows),
        sum(r.retries for r in rows),
        sum(r.fallback_calls for r in rows),
        sum(r.overhead_cost_usd for r in rows),
    )


def _row(group: Any, *values: Any) -> CostRow:
    count, cost, prompt, completion, retried, retries, fallback, overhead = values
    return CostRow(
        None if group is None else str(group),
        int(count),
        float(cost),
        int(prompt),
        int(completion),
        int(retried),
        int(retries),
        int(fallback),
        float(overhead),
    )
