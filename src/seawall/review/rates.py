"""Negative-feedback rates: the share of calls that received negative feedback, per group.

A canary signal (``releases``) and a dashboard figure. Groups are columns of ``calls``
(``model`` today; ``prompt`` and ``release`` once the call records carry them), so a new
grouping needs no change here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.store.schema import calls
from seawall.store.schema.reviews import feedback


async def negative_feedback_rates(
    engine: AsyncEngine, since: float, *, by: Sequence[str] = ("model",), tenant: str | None = None
) -> list[dict[str, Any]]:
    """Calls since ``since`` grouped by ``by`` (columns of ``calls``), with the share of them
    that received negative feedback; a call with several negative feedbacks counts once."""
    unknown = [name for name in by if name not in calls.c]
    if unknown or not by:
        raise ValueError(f"cannot group calls by {unknown or 'nothing'} (columns of 'calls')")
    groups = [calls.c[name] for name in by]
    negative = (
        sa.select(feedback.c.trace_id).where(feedback.c.negative.is_(True)).distinct().subquery()
    )
    query = (
        sa.select(
            *groups,
            sa.func.count().label("calls"),
            sa.func.count(negative.c.trace_id).label("negative"),
        )
        .select_from(calls.outerjoin(negative, negative.c.trace_id == calls.c.trace_id))
        .where(calls.c.started_at >= since)
        .group_by(*groups)
        .order_by(*groups)
    )
    if tenant is not None:
        query = query.where(calls.c.tenant == tenant)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [
        {
            **{name: row[name] for name in by},
            "calls": int(row["calls"]),
            "negative": int(row["negative"]),
            "rate": int(row["negative"]) / int(row["calls"]) if row["calls"] else 0.0,
        }
        for row in rows
    ]
