"""Row lookups of the dashboard: the trace list, what belongs to one trace, releases and arms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.core.errors import InvalidRequest
from seawall.dashboard.histogram import bin_expression
from seawall.dashboard.measures import MEASURES, Fold, Totals, count_where
from seawall.releases.controller import Release
from seawall.releases.store import row_to_release
from seawall.store.schema import calls
from seawall.store.schema.prompts import releases
from seawall.store.schema.reviews import feedback, review_items

OUTCOMES = ("ok", "degraded", "error")
_HEX = re.compile(r"^[0-9a-f]{4,32}$")
TRACE_COLUMNS = (
    calls.c.trace_id,
    calls.c.started_at,
    calls.c.model,
    calls.c.tenant,
    calls.c.stream,
    calls.c.status_code,
    calls.c.outcome,
    calls.c.error_code,
    calls.c.upstream,
    calls.c.retries,
    calls.c.fallback,
    calls.c.degraded,
    calls.c.latency_ms,
    calls.c.ttft_ms,
    calls.c.prompt_tokens,
    calls.c.completion_tokens,
    calls.c.cost_usd,
    calls.c.validation,
    calls.c.release,
    calls.c.confidence,
    calls.c.review_id,
    calls.c.extra["cache"].as_string().label("cache"),
)


@dataclass(frozen=True, slots=True)
class TraceFilter:
    """What the trace explorer asks for; every field narrows the list."""

    since: float
    until: float
    tenant: str | None = None
    model: str | None = None
    outcome: str | None = None
    prefix: str | None = None  # the start of a trace id: searched in every window, in id order
    before: float | None = None  # the next page: calls started before this
    limit: int = 50


def trace_prefix(text: str | None) -> str | None:
    """A typed trace id (or its start), lower-cased; ``InvalidRequest`` unless hexadecimal."""
    if text is None or not text.strip():
        return None
    value = text.strip().lower()
    if not _HEX.match(value):
        raise InvalidRequest(
            "search by the first 4 to 32 hexadecimal characters of a trace id", param="q"
        )
    return value


async def find_traces(engine: AsyncEngine, wanted: TraceFilter) -> list[dict[str, Any]]:
    """Matching calls, newest first, without payloads."""
    query = sa.select(*TRACE_COLUMNS)
    if wanted.prefix is not None:
        # A range on the primary key, not LIKE: it uses the index on both databases. Ids are
        # lower-case hex, so every id starting with the prefix sorts below prefix + "g".
        query = query.where(
            calls.c.trace_id >= wanted.prefix, calls.c.trace_id < wanted.prefix + "g"
        )
    else:
        query = query.where(calls.c.started_at >= wanted.since, calls.c.started_at < wanted.until)
    if wanted.tenant is not None and wanted.prefix is not None:
        # Wrapped so the planner cannot pick the (tenant, started_at) index over the id range:
        # SQLite would walk every call of the tenant (1.5 s at 1M calls) to find a few ids.
        query = query.where(sa.func.coalesce(calls.c.tenant, "") == wanted.tenant)
    elif wanted.tenant is not None:
        query = query.where(calls.c.tenant == wanted.tenant)
    if wanted.model is not None:
        query = query.where(calls.c.model == wanted.model)
    if wanted.outcome is not None:
        query = query.where(calls.c.outcome == wanted.outcome)
    if wanted.before is not None:
        query = query.where(calls.c.started_at < wanted.before)
    if wanted.prefix is not None:  # in id order: the primary key index delivers it, no sort
        query = query.order_by(calls.c.trace_id).limit(wanted.limit)
    else:
        query = query.order_by(calls.c.started_at.desc(), calls.c.trace_id.desc())
        query = query.limit(wanted.limit)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [dict(row) for row in rows]


async def review_items_of(
    engine: AsyncEngine, trace_id: str, tenant: str | None
) -> list[dict[str, Any]]:
    """The review items opened for one call (an escalation, complaints), oldest first."""
    query = sa.select(
        review_items.c.id,
        review_items.c.source,
        review_items.c.status,
        review_items.c.created_at,
        review_items.c.resolved_by,
        review_items.c.reason,
    ).where(review_items.c.trace_id == trace_id)
    if tenant is not None:
        query = query.where(review_items.c.tenant == tenant)
    async with engine.connect() as conn:
        rows = (await conn.execute(query.order_by(review_items.c.created_at))).mappings().all()
    return [dict(row) for row in rows]


# --------------------------------------------------------------------------- releases


async def recent_releases(engine: AsyncEngine, limit: int = 30) -> list[Release]:
    """The newest releases of every prompt."""
    query = sa.select(releases).order_by(releases.c.started_at.desc(), releases.c.id).limit(limit)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [row_to_release(row) for row in rows]


def arm_names(release: Release) -> tuple[str, str | None]:
    """The ``release`` values of the candidate's and production's calls (``name@version``)."""
    baseline = f"{release.prompt}@{release.baseline}" if release.baseline is not None else None
    return f"{release.prompt}@{release.candidate}", baseline


async def release_arms(
    engine: AsyncEngine, release: Release, until: float, tenant: str | None
) -> dict[str, Totals]:
    """Each arm's calls since the release started: measures, latency bins, negative feedback."""
    names = [name for name in arm_names(release) if name is not None]
    where = [
        calls.c.prompt == release.prompt,
        calls.c.release.in_(names),
        calls.c.started_at >= release.started_at,
        calls.c.started_at < until,
    ]
    if tenant is not None:
        where.append(calls.c.tenant == tenant)
    lat = bin_expression(calls.c.latency_ms).label("bin")
    # The controller's definition (releases.metrics): an invalid output is its own metric,
    # not an error as well.
    counted = {
        **MEASURES,
        "errors": count_where((calls.c.outcome == "error") & (calls.c.validation != "invalid")),
    }
    measures = (
        sa.select(calls.c.release, lat, *(m.label(n) for n, m in counted.items()))
        .where(*where)
        .group_by(calls.c.release, lat)
    )
    negative = (
        sa.select(calls.c.release, sa.func.count(sa.distinct(feedback.c.trace_id)).label("n"))
        .select_from(calls.join(feedback, feedback.c.trace_id == calls.c.trace_id))
        .where(*where, feedback.c.negative.is_(True))
        .group_by(calls.c.release)
    )
    fold = Fold()
    async with engine.connect() as conn:
        for release_name, k, *values in (await conn.execute(measures)).all():
            fold.add(("r", release_name), values, k)
        negatives = {
            row["release"]: int(row["n"]) for row in (await conn.execute(negative)).mappings()
        }
    arms = {name: fold.totals(("r", name)) for name in names}
    for name, arm in arms.items():
        arm.negative_feedback = negatives.get(name, 0)
    return arms
