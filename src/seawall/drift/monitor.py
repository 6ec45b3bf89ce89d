"""The drift monitor: per route, each feature of the current window against the reference.

``report(now)`` reads both windows (``features.collect``), compares each feature of each route
(``stats``) and returns the table; ``check(now)`` returns its findings, the rows whose verdict
is ``drift``, shaped for an alert event (kind ``drift``). A route is a logical model with, for
prompt runs, the prompt; while several releases of a prompt serve (a canary), each release is
also compared with the route's reference.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.core.clock import Clock, SystemClock
from seawall.drift import stats
from seawall.drift.config import DriftConfig, Feature, Reference, reference_label, reference_window
from seawall.drift.embedding import Embedder, EmbedderError, distance_counts, embed, load_embedder
from seawall.drift.features import RouteKey, WindowData, collect

log = logging.getLogger("seawall.drift")

Kind = Literal["numeric", "categorical"]
KINDS: dict[Feature, Kind] = {
    "input_tokens": "numeric",
    "output_tokens": "numeric",
    "message_length": "numeric",
    "confidence": "numeric",
    "embedding": "numeric",
    "script": "categorical",
    "validation": "categorical",
    "feedback": "categorical",
    "outcome": "categorical",
}
DistancePair = tuple[Counter[float], Counter[float]]


@dataclass(frozen=True, slots=True)
class Route:
    """A logical model, with the prompt of prompt runs and, for a canary, one release."""

    model: str
    prompt: str | None = None
    release: str | None = None

    @property
    def key(self) -> RouteKey:
        return (self.model, self.prompt, self.release)

    def labels(self) -> dict[str, str]:
        """Alert labels: ``model``, and ``prompt`` and ``release`` where set."""
        found = {"model": self.model, "prompt": self.prompt, "release": self.release}
        return {name: value for name, value in found.items() if value is not None}

    def __str__(self) -> str:
        if self.release is not None:
            return f"{self.model}/{self.release}"
        return self.model if self.prompt is None else f"{self.model}/{self.prompt}"


@dataclass(frozen=True, slots=True)
class DriftRow:
    """One feature of one route: the two windows' sizes, PSI, p-value and the verdict."""

    route: Route
    feature: Feature
    kind: Kind
    reference_n: int
    current_n: int
    psi: float | None
    p_value: float | None
    verdict: stats.Verdict
    change: str  # what moved, for a person: "median 40 → 180", "cyrillic 0% → 96%"
    note: str = ""  # why a feature could not be judged (e.g. the embedder failed)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``seawall drift report --json``, the dashboard)."""
        return {
            "route": str(self.route),
            **self.route.labels(),
            "feature": self.feature,
            "kind": self.kind,
            "reference_n": self.reference_n,
            "current_n": self.current_n,
            "psi": self.psi,
            "p_value": self.p_value,
            "verdict": self.verdict,
            "change": self.change,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class DriftFinding:
    """A drifted feature, in the fields of an alert event: ``AlertSignal(kind, summary, labels, key, values)``."""

    summary: str
    labels: dict[str, str]
    key: str  # one alert per route and feature, however often the drift is seen again
    values: dict[str, float]
    row: DriftRow
    kind: str = "drift"


@dataclass(frozen=True, slots=True)
class DriftReport:
    """The rows of one comparison, and the two windows it compared."""

    since: float
    until: float
    reference_since: float
    reference_until: float
    reference: str  # "previous_week" or the pinned "YYYY-MM-DD..YYYY-MM-DD"
    rows: tuple[DriftRow, ...]

    def findings(self) -> list[DriftFinding]:
        """The rows whose verdict is ``drift``."""
        return [self._finding(row) for row in self.rows if row.verdict == "drift"]

    def _finding(self, row: DriftRow) -> DriftFinding:
        summary = (
            f"{row.feature} of {row.route} drifted from its reference ({self.reference}): "
            f"{row.change} (PSI {row.psi or 0.0:.2f}, p {format_p(row.p_value)})"
        )
        route = row.route
        key = "/".join(("drift", route.model, route.prompt or "", route.release or "", row.feature))
        values = {
            "psi": row.psi or 0.0,
            "p_value": row.p_value if row.p_value is not None else 1.0,
            "reference_calls": float(row.reference_n),
            "current_calls": float(row.current_n),
        }
        labels = {**route.labels(), "feature": row.feature}
        return DriftFinding(summary, labels, key, values, row)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``seawall drift report --json``, the dashboard)."""
        return {
            "window": {"since": self.since, "until": self.until},
            "reference": {
                "name": self.reference,
                "since": self.reference_since,
                "until": self.reference_until,
            },
            "rows": [row.as_dict() for row in self.rows],
            "findings": [f.summary for f in self.findings()],
        }


class DriftMonitor:
    """Compares the routes' recent calls with their reference, over one store."""

    def __init__(
        self,
        engine: AsyncEngine,
        config: DriftConfig,
        *,
        clock: Clock | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.last_report: DriftReport | None = None  # for pages that show drift
        self._engine = engine
        self._embedder = embedder

    async def check(self, now: float | None = None) -> list[DriftFinding]:
        """One round: the report of the configured windows; its findings (also logged)."""
        report = await self.report(now)
        self.last_report = report
        findings = report.findings()
        for finding in findings:
            log.info("drift: %s", finding.summary)
        return findings

    async def run(self, on_findings: Callable[[list[DriftFinding]], object]) -> None:
        """``check`` every ``interval_s`` until cancelled, handing the findings over."""
        while True:
            try:
                findings = await self.check()
            except Exception:  # a bad round (store down) must not end drift detection
                log.exception("drift check failed; retrying next round")
            else:
                on_findings(findings)
            await asyncio.sleep(self.config.interval_s)

    async def report(
        self,
        now: float | None = None,
        *,
        window_s: float | None = None,
        reference: Reference | None = None,
        model: str | None = None,
    ) -> DriftReport:
        """Compare [now - window_s, now) with the reference, per route (of ``model`` when given)."""
        until = self.clock.wall() if now is None else now
        since = until - (window_s or self.config.window_s)
        chosen = reference if reference is not None else self.config.reference
        ref_since, ref_until = reference_window(chosen, since)
        features = list(dict.fromkeys(self.config.features))
        current = await self._collect(since, until, features, model)
        base = await self._collect(ref_since, ref_until, features, model)
        rows: list[DriftRow] = []
        for model_name, prompt in sorted(current.routes(), key=str):
            releases = current.releases(model_name, prompt)
            routes = [Route(model_name, prompt)]
            if len(releases) > 1:
                routes += [Route(model_name, prompt, release) for release in releases]
            distances = await self._distances(base, current, routes, features)
            for route in routes:
                rows += [self._row(route, f, base, current, distances) for f in features]
        label = reference_label(chosen)
        return DriftReport(since, until, ref_since, ref_until, label, tuple(rows))

    async def _collect(
        self, since: float, until: float, features: list[Feature], model: str | None
    ) -> WindowData:
        config = self.config
        return await collect(
            self._engine,
            since,
            until,
            features,
            model=model,
            sample_size=config.sample_size,
            seed=config.seed,
        )

    # ------------------------------------------------------------------ rows

    def _row(
        self,
        route: Route,
        feature: Feature,
        base: WindowData,
        current: WindowData,
        distances: dict[RouteKey, DistancePair] | EmbedderError | None,
    ) -> DriftRow:
        kind = KINDS[feature]
        note = ""
        if feature == "embedding":
            if isinstance(distances, EmbedderError) or distances is None:
                note = str(distances) if distances is not None else "no embedder"
                return DriftRow(route, feature, kind, 0, 0, None, None, "unavailable", "", note)
            ref, cur = distances.get(route.key, (Counter(), Counter()))
        else:
            ref = base.route_counts((route.model, route.prompt, None), feature)
            cur = current.route_counts(route.key, feature)
        comparison = self._compare(kind, ref, cur)
        limits = self.config.thresholds_for(feature)
        verdict = stats.judge(
            comparison,
            min_calls=self.config.min_calls,
            psi_watch=limits.psi_watch,
            psi_drift=limits.psi_drift,
            p_value=limits.p_value,
        )
        return DriftRow(
            route,
            feature,
            kind,
            reference_n=sum(ref.values()),
            current_n=sum(cur.values()),
            psi=None if comparison is None else comparison.psi,
            p_value=None if comparison is None else comparison.p_value,
            verdict=verdict,
            change=describe(feature, ref, cur),
            note=note,
        )

    def _compare(self, kind: Kind, ref: Counter[Any], cur: Counter[Any]) -> stats.Comparison | None:
        if not ref or not cur:
            return None
        if kind == "numeric":
            return stats.compare_numeric(ref, cur, self.config.bins)
        return stats.compare_categorical(ref, cur)

    # ------------------------------------------------------------------ embeddings

    async def _distances(
        self, base: WindowData, current: WindowData, routes: list[Route], features: list[Feature]
    ) -> dict[RouteKey, DistancePair] | EmbedderError | None:
        """Distances to the reference centroid per route and release (``embedding`` only)."""
        if "embedding" not in features:
            return None
        route = routes[0]
        limit = self.config.embedding_sample
        reference = base.text_pairs(route.model, route.prompt)
        ref_texts = [text for _, text in self._capped(reference, limit)]
        pairs = self._capped(current.text_pairs(route.model, route.prompt), limit)
        if not ref_texts or not pairs:
            return {}
        try:
            embedder = self._embedder or load_embedder(self.config.embedder)
            vectors = await asyncio.to_thread(embed, embedder, ref_texts + [t for _, t in pairs])
        except EmbedderError as exc:
            log.warning("drift: the embedding feature is unavailable: %s", exc)
            return exc
        ref_vectors, cur_vectors = vectors[: len(ref_texts)], vectors[len(ref_texts) :]
        found = {route.key: distance_counts(ref_vectors, cur_vectors)}
        for release_route in routes[1:]:
            mine = [
                v
                for (r, _), v in zip(pairs, cur_vectors, strict=True)
                if r == release_route.release
            ]
            found[release_route.key] = distance_counts(ref_vectors, mine)
        return found

    def _capped(self, items: list[Any], limit: int) -> list[Any]:
        """At most ``limit`` items, a seeded random choice (the lists are grouped by release)."""
        if len(items) <= limit:
            return items
        return random.Random(self.config.seed).sample(items, limit)


def describe(feature: Feature, reference: Counter[Any], current: Counter[Any]) -> str:
    """What moved, for a person: the medians of a numeric feature, the category that moved most."""
    if not reference or not current:
        return ""
    if KINDS[feature] == "numeric":
        name = "median distance" if feature == "embedding" else "median"
        before, after = stats.median(reference), stats.median(current)
        return f"{name} {_number(before)} → {_number(after)}"
    shift = stats.largest_shift(reference, current)
    if shift is None:
        return ""
    category, before_share, after_share = shift
    return f"{category} {_share(before_share)} → {_share(after_share)}"


def format_p(p_value: float | None) -> str:
    """A p-value for people: ``0.03``, ``2e-07``, ``< 1e-16`` (past double precision)."""
    if p_value is None:
        return "—"
    if p_value < 1e-16:
        return "< 1e-16"
    return f"{p_value:.2g}"


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.3g}"


def _share(value: float) -> str:
    return f"{value:.0%}" if value == 0 or value >= 0.1 else f"{value:.1%}"
