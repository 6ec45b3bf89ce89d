"""The features of the calls in one window, per route, as value counts.

Counted by the database where the call record has the value (tokens, confidence, outcome,
validation, feedback): ``GROUP BY`` queries return ``(value, calls)`` per route, so a window of
a million calls costs a few scans, not a million rows in Python. The message features
(length and script of the last user message) need the stored request payload: they are read
from a bounded, seeded sample of the calls that still have one (retention may have cleared it,
``store_payloads: false`` never stores it).

The sample takes the calls whose trace id ends in a range of hex values: trace ids are random
(their low bits even when the app sets them, e.g. X-Ray or Datadog ids lead with a timestamp),
so the range is a uniform sample that any SQL database can select with an index-free
comparison, and the seed picks the range.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from seawall.drift.config import Feature
from seawall.drift.text import detect_script, last_user_text
from seawall.store.schema.calls import calls
from seawall.store.schema.reviews import feedback

RouteKey = tuple[str, str | None, str | None]
"""(logical model, prompt, release); prompt and release are None for plain chat calls."""
FeatureCounts = dict[Feature, Counter[Any]]

CONFIDENCE_STEPS = 1000  # confidence is counted rounded to 0.001
NUMERIC_COLUMNS: dict[Feature, sa.ColumnElement[Any]] = {
    "input_tokens": calls.c.prompt_tokens,
    "output_tokens": calls.c.completion_tokens,
    # round() of a double exists in both SQLite and PostgreSQL; round(x, n) only in SQLite.
    "confidence": sa.func.round(calls.c.confidence * CONFIDENCE_STEPS),
}
CATEGORY_COLUMNS: dict[Feature, sa.ColumnElement[Any]] = {
    "outcome": calls.c.outcome,
    "validation": calls.c.validation,
}
MESSAGE_FEATURES: frozenset[Feature] = frozenset({"message_length", "script", "embedding"})
NEGATIVE, OTHER = "negative", "other"

_ROUTE = (calls.c.model, calls.c.prompt, calls.c.release)
_SAMPLE_KEY = sa.func.substr(calls.c.trace_id, 25, 8)  # the last 8 hex digits of 32
_SAMPLE_SPAN = 1 << 32


@dataclass(slots=True)
class WindowData:
    """Value counts per route (release level) and feature over [since, until)."""

    since: float
    until: float
    counts: dict[RouteKey, FeatureCounts] = field(default_factory=dict)
    texts: dict[RouteKey, list[str]] = field(default_factory=dict)  # sampled last messages

    def add(self, route: RouteKey, feature: Feature, value: Any, n: int = 1) -> None:
        """Count ``n`` calls of ``route`` with ``value`` of ``feature``."""
        self.counts.setdefault(route, {}).setdefault(feature, Counter())[value] += n

    def routes(self) -> set[tuple[str, str | None]]:
        """The (model, prompt) routes with calls in the window."""
        return {(model, prompt) for model, prompt, _ in self.counts}

    def releases(self, model: str, prompt: str | None) -> list[str]:
        """The releases of a route seen in the window."""
        found = {r for m, p, r in self.counts if (m, p) == (model, prompt) and r is not None}
        return sorted(found)

    def route_counts(self, route: RouteKey, feature: Feature) -> Counter[Any]:
        """Counts of one feature of a release, or of every release of the route (release None)."""
        model, prompt, release = route
        total: Counter[Any] = Counter()
        for (m, p, r), features in self.counts.items():
            if (m, p) == (model, prompt) and release in (None, r) and feature in features:
                total.update(features[feature])
        return total

    def text_pairs(self, model: str, prompt: str | None) -> list[tuple[str | None, str]]:
        """Sampled last user messages of a route with their release, in a stable order."""
        return [
            (release, text)
            for (m, p, release), texts in sorted(self.texts.items(), key=lambda item: str(item[0]))
            if (m, p) == (model, prompt)
            for text in texts
        ]


async def collect(
    engine: AsyncEngine,
    since: float,
    until: float,
    features: Iterable[Feature],
    *,
    model: str | None = None,
    sample_size: int = 5000,
    seed: int = 0,
) -> WindowData:
    """The value counts of ``features`` for the calls started in [since, until)."""
    wanted = set(features)
    data = WindowData(since, until)
    window = [calls.c.started_at >= since, calls.c.started_at < until]
    if model is not None:
        window.append(calls.c.model == model)
    async with engine.connect() as conn:
        payloads = await _categories(conn, data, window, wanted)
        for route in sorted(data.counts, key=str):
            for feature in sorted(wanted & NUMERIC_COLUMNS.keys()):
                await _numeric(conn, data, window, route, feature)
        if "feedback" in wanted:
            await _feedback(conn, data, window, since)
        if wanted & MESSAGE_FEATURES:
            for pair, stored in sorted(payloads.items(), key=lambda item: str(item[0])):
                rows = await _sample(conn, window, pair, stored, sample_size, seed)
                _message_features(data, pair, rows, wanted)
    return data


async def _categories(
    conn: AsyncConnection,
    data: WindowData,
    window: list[sa.ColumnElement[bool]],
    wanted: set[Feature],
) -> dict[tuple[str, str | None], int]:
    """Outcome and validation counts; returns the calls with a stored payload per route."""
    stored = sa.func.coalesce(sa.func.sum(sa.case((calls.c.request.is_not(None), 1), else_=0)), 0)
    columns = list(CATEGORY_COLUMNS.values())
    query = (
        sa.select(*_ROUTE, *columns, sa.func.count(), stored)
        .where(*window)
        .group_by(*_ROUTE, *columns)
    )
    payloads: Counter[tuple[str, str | None]] = Counter()
    for row in await conn.execute(query):
        model, prompt, release, outcome, validation, n, with_payload = tuple(row)
        route: RouteKey = (model, prompt, release)
        data.counts.setdefault(route, {})  # a route with calls, even if no feature is wanted
        for feature, value in (("outcome", outcome), ("validation", validation)):
            if feature in wanted:
                data.add(route, feature, value, int(n))
        payloads[(model, prompt)] += int(with_payload or 0)
    return dict(payloads)


async def _numeric(
    conn: AsyncConnection,
    data: WindowData,
    window: list[sa.ColumnElement[bool]],
    route: RouteKey,
    feature: Feature,
) -> None:
    # One route at a time, grouped by the value alone: SQLite groups by sorting, and sorting
    # on one number costs half of sorting on the route's strings and the number.
    value = NUMERIC_COLUMNS[feature].label("value")
    query = (
        sa.select(value, sa.func.count())
        .where(*window, *route_is(route), value.is_not(None))
        .group_by(value)  # by the label: PostgreSQL wants the very select expression
    )
    scale = 1.0 / CONFIDENCE_STEPS if feature == "confidence" else 1.0
    for row in await conn.execute(query):
        found, n = tuple(row)
        data.add(route, feature, found * scale, int(n))


def route_is(route: tuple[str | None, ...]) -> list[sa.ColumnElement[bool]]:
    """The calls of a (model, prompt, release) route, or of a (model, prompt) one: None is NULL."""
    conditions = [
        column.is_(None) if value is None else column == value
        for column, value in zip(_ROUTE, route, strict=False)  # (model, prompt): any release
    ]
    if len(route) == 3 and route[2] is not None:
        # One release: the (prompt, release, started_at) index finds exactly its calls, but
        # SQLite, without statistics, prefers the model's. Hidden in coalesce() (model is
        # never NULL), the model condition no longer offers that index.
        conditions[0] = sa.func.coalesce(calls.c.model, "") == route[0]
    return conditions


async def _feedback(
    conn: AsyncConnection, data: WindowData, window: list[sa.ColumnElement[bool]], since: float
) -> None:
    """Calls with feedback, by whether any of it was negative.

    Only calls that got feedback count: recent calls have had less time to get any, so the
    share of calls without feedback would drift on its own.
    """
    negative = sa.func.max(sa.case((feedback.c.negative, 1), else_=0)).label("negative")
    given = (
        sa.select(feedback.c.trace_id, negative)
        .where(feedback.c.created_at >= since)  # given after the call: skip older rows early
        .group_by(feedback.c.trace_id)
        .subquery()
    )
    query = (
        sa.select(*_ROUTE, given.c.negative, sa.func.count())
        .select_from(calls.join(given, given.c.trace_id == calls.c.trace_id))
        .where(*window)
        .group_by(*_ROUTE, given.c.negative)
    )
    for row in await conn.execute(query):
        model, prompt, release, is_negative, n = tuple(row)
        data.add((model, prompt, release), "feedback", NEGATIVE if is_negative else OTHER, int(n))


async def _sample(
    conn: AsyncConnection,
    window: list[sa.ColumnElement[bool]],
    route: tuple[str, str | None],
    stored: int,
    size: int,
    seed: int,
) -> list[tuple[Any, ...]]:
    """At most ``size`` (release, request) rows of a route, a uniform sample by trace id."""
    if stored == 0:
        return []
    conditions = [*window, *route_is(route), calls.c.request.is_not(None)]
    # The range holds a binomial number of calls: aim three standard deviations above
    # ``size`` so that it nearly always holds enough, then keep the first ``size``.
    wanted = size + 3 * math.sqrt(size) + 10
    sampled = sample_condition(min(1.0, wanted / stored), seed)
    if sampled is not None:
        conditions.append(sampled)
    query = (
        sa.select(calls.c.release, calls.c.request)
        .where(*conditions)
        .order_by(_SAMPLE_KEY, calls.c.trace_id)
        .limit(size)
    )
    return [tuple(row) for row in await conn.execute(query)]


def sample_condition(fraction: float, seed: int) -> sa.ColumnElement[bool] | None:
    """Trace ids whose last 8 hex digits fall in a seeded range covering ``fraction`` of all."""
    if fraction >= 1.0:
        return None
    start = random.Random(seed).getrandbits(32)
    end = start + max(1, math.ceil(fraction * _SAMPLE_SPAN))
    key = _SAMPLE_KEY
    low = key >= f"{start:08x}"
    if end < _SAMPLE_SPAN:
        return sa.and_(low, key < f"{end:08x}")
    if end == _SAMPLE_SPAN:
        return low
    return sa.or_(low, key < f"{end - _SAMPLE_SPAN:08x}")  # the range wraps around


def _message_features(
    data: WindowData,
    route: tuple[str, str | None],
    rows: Sequence[tuple[Any, ...]],
    wanted: set[Feature],
) -> None:
    for release, request in rows:
        text = last_user_text(request)
        if text is None:
            continue  # no user message (a system-only call): nothing to measure
        key: RouteKey = (route[0], route[1], release)
        if "message_length" in wanted:
            data.add(key, "message_length", len(text))
        if "script" in wanted:
            data.add(key, "script", detect_script(text))
        if "embedding" in wanted:
            data.texts.setdefault(key, []).append(text)
