"""What the dashboard sums over call records, and how groups of sums add up.

``MEASURES`` are SQL aggregates that are all plain sums (counts of calls with some property,
token and cost totals), so the rows of a ``GROUP BY`` fold into coarser groups by addition:
``Fold`` adds rows cheaply, ``Totals`` holds one group's sums with its latency and
time-to-first-token histograms and reads rates and quantiles off them.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from seawall.alerts.windows import CLIENT_ERROR_CODES, SERVER_ERROR
from seawall.dashboard.histogram import Histogram, merge, quantile
from seawall.store.schema import calls

_CACHE = calls.c.extra["cache"].as_string()
_REJECTED = sa.and_(calls.c.outcome == "error", calls.c.error_code.in_(CLIENT_ERROR_CODES))


def count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    """The number of calls for which ``condition`` holds (0 when none)."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _total(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(column), 0)


# name -> aggregate; every one is a plain sum, so groups fold by addition.
MEASURES: dict[str, sa.ColumnElement[Any]] = {
    "calls": sa.func.count(),
    "errors": count_where(SERVER_ERROR),
    "rejected": count_where(_REJECTED),
    "degraded": count_where(calls.c.outcome == "degraded"),
    "fallback": count_where(calls.c.fallback == sa.true()),
    "cache_hits": count_where(_CACHE == "hit"),
    "cache_lookups": count_where(_CACHE.is_not(None)),
    "invalid": count_where(calls.c.validation == "invalid"),
    "escalated": count_where(calls.c.review_id.is_not(None)),
    "prompt_tokens": _total(calls.c.prompt_tokens),
    "completion_tokens": _total(calls.c.completion_tokens),
    "cost_usd": _total(calls.c.cost_usd),
}


@contextlib.asynccontextmanager
async def aggregating(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for a large ``GROUP BY``.

    PostgreSQL cannot estimate how many groups the bucket and bin expressions make, assumes
    one per row, and sorts on disk within the default 4 MB ``work_mem``; with more (for this
    transaction only) it hashes in memory: 1.1 s -> 0.7 s over 7 days of 1M calls.
    """
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        yield conn


@dataclass(slots=True)
class Totals:
    """Sums and latency histograms of a set of calls (a bucket, a model, a release, all)."""

    calls: int = 0
    errors: int = 0  # failed on the service's side (the alert rules' definition)
    rejected: int = 0  # refused by policy: auth, rate limits, budgets, guards
    degraded: int = 0
    fallback: int = 0
    cache_hits: int = 0
    cache_lookups: int = 0
    invalid: int = 0
    escalated: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    negative_feedback: int = 0  # calls with negative feedback (release arms only)
    latency: Histogram = field(default_factory=dict)
    ttft: Histogram = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        sums: Sequence[Any] | None,
        latency: Histogram | None = None,
        ttft: Histogram | None = None,
        names: Sequence[str] = tuple(MEASURES),
    ) -> Totals:
        """Totals from the sums of ``names`` (in that order) and the histograms."""
        values: dict[str, Any] = {
            name: float(v or 0) if name == "cost_usd" else int(v or 0)
            for name, v in zip(names, sums or (), strict=False)
        }
        return cls(**values, latency=latency or {}, ttft=ttft or {})

    def absorb(self, other: Totals) -> None:
        """Add another set of calls to this one."""
        for name in MEASURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        merge(self.latency, other.latency)
        merge(self.ttft, other.ttft)

    def rate(self, name: str) -> float | None:
        """``name`` per call (None without calls)."""
        return getattr(self, name) / self.calls if self.calls else None

    @property
    def cache_hit_rate(self) -> float | None:
        """Hits among the calls that looked in the cache (None when none did)."""
        return self.cache_hits / self.cache_lookups if self.cache_lookups else None

    @property
    def tokens(self) -> int:
        """Tokens in and out."""
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_per_call(self) -> float | None:
        """Mean cost of a call (None without calls)."""
        return self.cost_usd / self.calls if self.calls else None

    def latency_q(self, q: float) -> float | None:
        """The ``q`` quantile of latency (ms), from the histogram."""
        return quantile(self.latency, q)

    def ttft_q(self, q: float) -> float | None:
        """The ``q`` quantile of time to first token (ms; streams only)."""
        return quantile(self.ttft, q)


Key = tuple[Any, ...]


class Fold:
    """Adds aggregate rows into groups as plain lists (a few µs a row), then makes ``Totals``.

    A 24-hour window returns ~15k rows: attribute-by-attribute addition into three groups each
    cost ~0.3 s there; one ``map(add, ...)`` over lists per row a fraction of it.
    """

    def __init__(self, names: Sequence[str] = tuple(MEASURES)) -> None:
        self.names = names
        self.sums: dict[Key, list[Any]] = {}
        self.latency: dict[Key, Histogram] = {}
        self.ttft: dict[Key, Histogram] = {}

    def add(self, key: Key, values: list[Any], k: int | None = None) -> None:
        """Add one row's sums to ``key`` (and its calls to latency bin ``k``)."""
        found = self.sums.get(key)
        self.sums[key] = values if found is None else list(map(operator.add, found, values))
        if k is not None:
            histogram = self.latency.setdefault(key, {})
            histogram[k] = histogram.get(k, 0) + int(values[0])

    def add_ttft(self, key: Key, k: int, n: int) -> None:
        """Count ``n`` calls in time-to-first-token bin ``k`` of ``key``."""
        histogram = self.ttft.setdefault(key, {})
        histogram[k] = histogram.get(k, 0) + int(n)

    def named(self, kind: str) -> list[Any]:
        """The names of the groups of one kind (``m`` models, ``r`` releases, ...)."""
        return [name for group, name in self.sums if group == kind]

    def groups(self) -> list[Key]:
        """Every group something was added to."""
        return list(dict.fromkeys([*self.sums, *self.ttft]))

    def totals(self, key: Key) -> Totals:
        """What was added to ``key`` (empty totals when nothing was)."""
        return Totals.of(self.sums.get(key), self.latency.get(key), self.ttft.get(key), self.names)
