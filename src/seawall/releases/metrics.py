"""Per-arm canary figures from the call records: what each version did since its release started.

The record stage writes ``prompt`` and ``release`` (``name@version``) on every prompt run, so
one pass over ``calls`` grouped by release gives both arms on the same window. Counts come
from SQL aggregates; latencies and costs are fetched as samples, because the sequential test
needs the whole distribution (quantiles and exceedances), not a mean.

What each rate counts:

- errors: calls that failed without an answer for any reason *other* than an invalid output
  (those are the invalid-output rate; counting them twice would name the wrong metric);
- invalid outputs: ``validation = 'invalid'`` (the answer broke the output schema, re-ask
  included);
- degraded: calls answered by the degrade policy (stale cache or the configured answer);
- escalations: calls that opened a review item (``review_id`` set);
- negative feedback: calls with at least one negative rating, complaint or correction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.releases.sequential import ArmStats
from seawall.store.schema.calls import calls
from seawall.store.schema.reviews import feedback

MAX_SAMPLES = 200_000  # per arm: a day of heavy canary traffic; older samples are left out


@dataclass(frozen=True, slots=True)
class Arms:
    """Both arms of a release at one look."""

    canary: ArmStats
    baseline: ArmStats


class SqlArmMetrics:
    """Reads ``ArmStats`` for the arms of a release from the ``calls`` and ``feedback`` tables."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def arms(self, prompt: str, candidate: int, baseline: int | None, since: float) -> Arms:
        """Cumulative figures of ``prompt@candidate`` and ``prompt@baseline`` since ``since``."""
        releases = [f"{prompt}@{candidate}"]
        if baseline is not None:
            releases.append(f"{prompt}@{baseline}")
        where = (
            calls.c.prompt == prompt,
            calls.c.release.in_(releases),
            calls.c.started_at >= since,
        )
        async with self._engine.connect() as conn:
            counts = {row.release: row for row in (await conn.execute(_counts(where))).all()}
            arms = [
                _arm(counts.get(release), await _samples(conn, where, release))
                for release in releases
            ]
        return Arms(arms[0], arms[1] if baseline is not None else ArmStats(0))


def _counts(where: tuple[Any, ...]) -> sa.Select[Any]:
    negative = (
        sa.exists()
        .where(feedback.c.trace_id == calls.c.trace_id, feedback.c.negative.is_(True))
        .correlate(calls)
    )
    invalid = calls.c.validation == "invalid"
    return (
        sa.select(
            calls.c.release,
            sa.func.count().label("calls"),
            _count((calls.c.outcome == "error") & ~invalid).label("errors"),
            _count(invalid).label("invalid_outputs"),
            _count(calls.c.degraded.is_(True)).label("degraded"),
            _count(calls.c.review_id.is_not(None)).label("escalations"),
            _count(negative).label("negative_feedback"),
        )
        .where(*where)
        .group_by(calls.c.release)
    )


def _count(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


async def _samples(conn: Any, where: tuple[Any, ...], release: str) -> tuple[list[float], ...]:
    # Newest first, so a capped arm keeps its most recent calls.
    query = (
        sa.select(calls.c.latency_ms, calls.c.cost_usd)
        .where(*where, calls.c.release == release)
        .order_by(calls.c.started_at.desc())
        .limit(MAX_SAMPLES)
    )
    rows = (await conn.execute(query)).all()
    return [float(row[0]) for row in rows], [float(row[1]) for row in rows]


def _arm(row: Any, samples: tuple[Sequence[float], ...]) -> ArmStats:
    if row is None:
        return ArmStats(0)
    latencies, costs = samples
    return ArmStats(
        calls=int(row.calls),
        errors=int(row.errors),
        invalid_outputs=int(row.invalid_outputs),
        degraded=int(row.degraded),
        escalations=int(row.escalations),
        negative_feedback=int(row.negative_feedback),
        latencies_ms=tuple(latencies),
        costs_usd=tuple(costs),
    )
