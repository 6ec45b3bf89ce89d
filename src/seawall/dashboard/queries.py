"""The dashboard's time windows and their aggregates, computed by the database.

A page reads a window of ``calls`` with one or two ``GROUP BY`` queries that return at most a
few thousand rows (time bucket x model x release x latency bin), whatever the number of
calls: totals, rates and time series are folded from those rows (``measures``), and quantiles
come from the latency bins (``histogram``). Queries filter on ``started_at`` (and ``tenant``),
so they use the indexes on ``calls(started_at)`` and ``(tenant, started_at)``. Buckets that
can no longer change are kept per bucket (``bucketcache``), so the next render of a window
reads only its recent buckets. Only portable SQL: the same statements run on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.dashboard.bucketcache import BucketCache, bucket_key, settled
from seawall.dashboard.histogram import bin_expression
from seawall.dashboard.measures import MEASURES, Fold, Totals, aggregating
from seawall.dashboard.sqlfloor import floor_int
from seawall.store.schema import calls

BUCKETS = 60  # points of a time series: one per minute over an hour, per 2.8 hours over 7 days


@dataclass(frozen=True, slots=True)
class Window:
    """Which calls: started in [since, until), of one tenant (None: all) and model (None: all)."""

    since: float
    until: float
    tenant: str | None = None
    model: str | None = None

    @property
    def width_s(self) -> float:
        """The length of one time-series bucket."""
        return (self.until - self.since) / BUCKETS

    def where(self, start: float | None = None) -> list[sa.ColumnElement[bool]]:
        """The conditions that select the window's calls (from ``start`` on, when given)."""
        since = self.since if start is None else start
        found = [calls.c.started_at >= since, calls.c.started_at < self.until]
        if self.tenant is not None:
            found.append(calls.c.tenant == self.tenant)
        if self.model is not None:
            found.append(calls.c.model == self.model)
        return found

    def bucket(self) -> sa.ColumnElement[int]:
        """SQL for a call's bucket: 0 for the first ``width_s`` of the window, and so on."""
        return floor_int((calls.c.started_at - self.since) / self.width_s)

    def bucket_start(self, index: int) -> float:
        """When bucket ``index`` starts (unix seconds)."""
        return self.since + index * self.width_s

    def key(self, kind: str, index: int) -> tuple[Any, ...]:
        """The cache key of bucket ``index`` of this window's calls, for one kind of query."""
        return bucket_key(kind, self.tenant, self.model, self.width_s, self.bucket_start(index))

    def index(self, value: Any) -> int:
        """A bucket number from SQL, clamped into the window.

        A call started at ``until`` does not match the window, so the number is in range; the
        clamp is against floating-point rounding at the last bucket's edge.
        """
        return min(max(int(value), 0), BUCKETS - 1)


@dataclass(slots=True)
class Overview:
    """A window's traffic: a time series, the totals, and per model and per release."""

    window: Window
    series: list[Totals]
    total: Totals
    by_model: dict[str, Totals]
    by_release: dict[str, Totals]


Group = tuple[Any, ...]
Parts = dict[Group, Totals]
"""One bucket's totals per group: (model, release) for the overview, (model, tenant) for usage."""
Cache = BucketCache[Parts]


async def overview(
    engine: AsyncEngine, window: Window, *, cache: Cache | None = None, now: float | None = None
) -> Overview:
    """The window's traffic; settled buckets come from ``cache`` (read at ``now``) when given."""
    parts, first = cached_prefix(cache, "overview", window, now)
    fresh = await _overview_parts(engine, window, first)
    remember(cache, "overview", window, fresh, first, now)
    result = Overview(window, [Totals() for _ in range(BUCKETS)], Totals(), {}, {})
    for index, groups in {**parts, **fresh}.items():
        for (model, release), part in groups.items():
            result.series[index].absorb(part)
            result.by_model.setdefault(model, Totals()).absorb(part)
            if release is not None:
                result.by_release.setdefault(release, Totals()).absorb(part)
    for part in result.series:
        result.total.absorb(part)
    result.by_model = dict(sorted(result.by_model.items()))
    result.by_release = dict(sorted(result.by_release.items()))
    return result


async def _overview_parts(engine: AsyncEngine, window: Window, first: int) -> dict[int, Parts]:
    """Two scans of buckets ``first`` on: the measures with latency bins, then TTFT bins."""
    bucket = window.bucket().label("bucket")
    model, release = calls.c.model.label("model"), calls.c.release.label("release")
    lat = bin_expression(calls.c.latency_ms).label("bin")
    where = window.where(window.bucket_start(first))
    main = (
        sa.select(bucket, model, release, lat, *(m.label(n) for n, m in MEASURES.items()))
        .where(*where)
        .group_by(bucket, model, release, lat)
    )
    ttft_bin = bin_expression(calls.c.ttft_ms).label("bin")
    ttft = (
        sa.select(bucket, model, release, ttft_bin, sa.func.count().label("n"))
        .where(*where, calls.c.ttft_ms.is_not(None))
        .group_by(bucket, model, release, ttft_bin)
    )
    async with aggregating(engine) as conn:
        main_rows = (await conn.execute(main)).all()
        ttft_rows = (await conn.execute(ttft)).all()
    # Each row goes to one group of one bucket; groups then add up into pages' figures.
    fold = Fold()
    for index, model_name, release_name, k, *values in main_rows:
        fold.add((window.index(index), model_name, release_name), values, k)
    for index, model_name, release_name, k, n in ttft_rows:
        fold.add_ttft((window.index(index), model_name, release_name), k, n)
    return split(fold, first)


def split(fold: Fold, first: int) -> dict[int, Parts]:
    """The fold's groups ``(bucket, *group)`` as parts per bucket, every bucket from ``first``."""
    found: dict[int, Parts] = {index: {} for index in range(first, BUCKETS)}
    for key in fold.groups():
        found[key[0]][key[1:]] = fold.totals(key)
    return found


def cached_prefix(
    cache: Cache | None, kind: str, window: Window, now: float | None
) -> tuple[dict[int, Parts], int]:
    """The leading buckets the cache holds, and the first one it does not."""
    found: dict[int, Parts] = {}
    if cache is None or now is None:
        return found, 0
    for index in range(BUCKETS):
        if not settled(window.bucket_start(index + 1), now):
            break
        parts = cache.get(window.key(kind, index), now)
        if parts is None:
            break
        found[index] = parts
    return found, len(found)


def remember(
    cache: Cache | None,
    kind: str,
    window: Window,
    fresh: dict[int, Parts],
    first: int,
    now: float | None,
) -> None:
    """Keep the settled buckets just read (empty ones too: they cost a scan to learn)."""
    if cache is None or now is None:
        return
    for index in range(first, BUCKETS):
        if not settled(window.bucket_start(index + 1), now):
            break
        cache.put(window.key(kind, index), fresh.get(index, {}), now)


# --------------------------------------------------------------------------- usage


@dataclass(slots=True)
class Usage:
    """Calls, tokens and cost of a window: over time, per model and per tenant."""

    window: Window
    series: list[Totals]
    total: Totals
    by_model: dict[str, Totals]
    by_tenant: dict[str, Totals]


USAGE_MEASURES = ("calls", "prompt_tokens", "completion_tokens", "cost_usd")


async def usage(
    engine: AsyncEngine, window: Window, *, cache: Cache | None = None, now: float | None = None
) -> Usage:
    """The window's usage per bucket, model and tenant; settled buckets from ``cache``."""
    parts, first = cached_prefix(cache, "usage", window, now)
    bucket = window.bucket().label("bucket")
    model, tenant = calls.c.model.label("model"), calls.c.tenant.label("tenant")
    query = (
        sa.select(bucket, model, tenant, *(MEASURES[n].label(n) for n in USAGE_MEASURES))
        .where(*window.where(window.bucket_start(first)))
        .group_by(bucket, model, tenant)
    )
    async with aggregating(engine) as conn:
        rows = (await conn.execute(query)).all()
    fold = Fold(USAGE_MEASURES)
    for index, model_name, tenant_name, *values in rows:
        fold.add((window.index(index), model_name, tenant_name or ""), values)
    fresh = split(fold, first)
    remember(cache, "usage", window, fresh, first, now)
    result = Usage(window, [Totals() for _ in range(BUCKETS)], Totals(), {}, {})
    for index, groups in {**parts, **fresh}.items():
        for (model_name, tenant_name), part in groups.items():
            result.series[index].absorb(part)
            result.by_model.setdefault(model_name, Totals()).absorb(part)
            result.by_tenant.setdefault(tenant_name, Totals()).absorb(part)
    for part in result.series:
        result.total.absorb(part)
    result.by_model = dict(sorted(result.by_model.items(), key=lambda kv: -kv[1].cost_usd))
    result.by_tenant = dict(sorted(result.by_tenant.items(), key=lambda kv: -kv[1].cost_usd))
    return result
