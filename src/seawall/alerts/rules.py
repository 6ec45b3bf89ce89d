"""One small evaluator per kind of window rule: the measures it needs, and how it reads them.

Evaluation is two-phase so that rules over the same window share one query: every evaluator
names the slices and measures it ``needs``; the engine runs one ``GROUP BY`` per slice with the
union of the measures, then every evaluator ``read``s its rows into one ``Reading`` per label set.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from seawall.alerts.config import (
    CostPerCallRule,
    CostPerHourRule,
    DegradedRateRule,
    ErrorRateRule,
    FallbackRateRule,
    LatencyRule,
    TokenAnomalyRule,
    TtftRule,
    ValidationRateRule,
    WindowRuleConfig,
)
from seawall.alerts.state import Verdict, judge
from seawall.alerts.windows import (
    SERVER_ERROR,
    LabelValues,
    Measures,
    Slice,
    count_all,
    count_where,
    total,
)
from seawall.store.schema.calls import calls

Rows = Mapping[Slice, Mapping[LabelValues, Mapping[str, float]]]
QuantileFn = Callable[
    [Slice, LabelValues, sa.ColumnElement[Any], float, int], Awaitable[float | None]
]


@dataclass(frozen=True, slots=True)
class Reading:
    """What a rule saw for one label set: the verdict, the headline value and the figures."""

    verdict: Verdict
    value: float | None = None
    summary: str = ""
    figures: dict[str, float] = field(default_factory=dict)


Labelled = tuple[dict[str, str], Reading]  # a reading and the labels of its series


class WindowEvaluator:
    """Base of the window rules: one slice over the rule's window, grouped as configured."""

    def __init__(self, rule: WindowRuleConfig) -> None:
        self.rule = rule

    def window(self, now: float) -> Slice:
        rule = self.rule
        match = tuple(sorted(rule.match.items()))
        return Slice(now - rule.window_s, now, tuple(rule.group_by), match)

    def needs(self, now: float) -> list[tuple[Slice, Measures]]:
        return [(self.window(now), self.measures())]

    def measures(self) -> Measures:
        return {"calls": count_all()}

    async def read(self, rows: Rows, now: float, quantile: QuantileFn) -> list[Labelled]:
        """A reading per label set present in the window."""
        part = self.window(now)
        found = []
        for labels, row in rows.get(part, {}).items():
            found.append((part.labels(labels), await self.read_one(part, labels, row, quantile)))
        return found

    async def read_one(
        self, part: Slice, labels: LabelValues, row: Mapping[str, float], quantile: QuantileFn
    ) -> Reading:
        raise NotImplementedError

    def _enough(self, n: float) -> bool:
        return n >= self.rule.min_calls


# --------------------------------------------------------------------------- shares of calls

_RATE_CONDITIONS: dict[str, tuple[str, sa.ColumnElement[bool]]] = {
    "error_rate": ("error rate", SERVER_ERROR),
    "degraded_rate": ("degraded rate", calls.c.degraded.is_(True)),
    "fallback_rate": ("fallback rate", calls.c.fallback.is_(True)),
    "validation_failure_rate": ("validation failure rate", calls.c.validation == "invalid"),
}


class RateEvaluator(WindowEvaluator):
    """Share of calls for which a condition holds (errors, degraded, fallback, invalid output)."""

    rule: ErrorRateRule | DegradedRateRule | FallbackRateRule | ValidationRateRule

    def measures(self) -> Measures:
        _, condition = _RATE_CONDITIONS[self.rule.kind]
        return {"calls": count_all(), self.rule.kind: count_where(condition)}

    async def read_one(
        self, part: Slice, labels: LabelValues, row: Mapping[str, float], quantile: QuantileFn
    ) -> Reading:
        rule, n = self.rule, row["calls"]
        what, _ = _RATE_CONDITIONS[rule.kind]
        hits = row[rule.kind]
        figures = {"calls": n, "matching": hits, "threshold": rule.threshold}
        if not self._enough(n):
            return Reading(
                "no_data", None, f"{what}: {n:.0f} calls, fewer than {rule.min_calls}", figures
            )
        share = hits / n
        summary = (
            f"{what} {share:.1%} ({hits:.0f} of {n:.0f} calls in {span(rule.window_s)}), "
            f"threshold {rule.threshold:.1%}"
        )
        return Reading(judge(share, rule.threshold, rule.resolve_at), share, summary, figures)


# --------------------------------------------------------------------------- quantiles

_QUANTILE_COLUMNS = {
    "latency": ("latency", calls.c.latency_ms),
    "ttft": ("time to first token", calls.c.ttft_ms),
}


class QuantileEvaluator(WindowEvaluator):
    """A quantile of latency or time to first token, judged by counting calls above a threshold.

    The nearest-rank q-quantile exceeds T exactly when more than (1 - q) of the values exceed
    T, so the verdict needs only two conditional counts; the quantile itself is read only for
    label sets that are not clear, to show it.
    """

    rule: LatencyRule | TtftRule

    def _keys(self) -> tuple[str, str, str]:
        rule = self.rule
        # Measure names become SQL labels: whole microseconds keep them plain identifiers.
        fire, clear = round(rule.threshold_ms * 1000), round(rule.resolve_at * 1000)
        return f"{rule.kind}_n", f"{rule.kind}_gt_{fire}us", f"{rule.kind}_gt_{clear}us"

    def measures(self) -> Measures:
        _, column = _QUANTILE_COLUMNS[self.rule.kind]
        n, fire, clear = self._keys()
        return {
            "calls": count_all(),
            n: count_where(column.is_not(None)),
            fire: count_where(column > self.rule.threshold_ms),
            clear: count_where(column > self.rule.resolve_at),
        }

    async def read_one(
        self, part: Slice, labels: LabelValues, row: Mapping[str, float], quantile: QuantileFn
    ) -> Reading:
        rule = self.rule
        what, column = _QUANTILE_COLUMNS[rule.kind]
        n_key, fire_key, clear_key = self._keys()
        n = row[n_key]
        name = f"p{rule.quantile * 100:g} {what}"
        figures = {"calls": n, "threshold_ms": rule.threshold_ms}
        if not self._enough(n):
            return Reading(
                "no_data", None, f"{name}: {n:.0f} calls, fewer than {rule.min_calls}", figures
            )
        allowed = n * (1 - rule.quantile)
        verdict: Verdict = "between"
        if row[fire_key] > allowed:
            verdict = "breach"
        elif row[clear_key] <= allowed:
            verdict = "clear"
        value = None
        if verdict != "clear":
            value = await quantile(part, labels, column, rule.quantile, int(n))
        figures["over_threshold"] = row[fire_key]
        shown = "?" if value is None else f"{value:,.0f} ms"
        summary = (
            f"{name} {shown} over {n:.0f} calls in {span(rule.window_s)}, "
            f"threshold {rule.threshold_ms:,.0f} ms"
        )
        return Reading(verdict, value, summary, figures)


# --------------------------------------------------------------------------- cost


class CostPerHourEvaluator(WindowEvaluator):
    """Spend in the window, scaled to US dollars per hour."""

    rule: CostPerHourRule

    def measures(self) -> Measures:
        return {"calls": count_all(), "cost": total(calls.c.cost_usd)}

    async def read_one(
        self, part: Slice, labels: LabelValues, row: Mapping[str, float], quantile: QuantileFn
    ) -> Reading:
        rule, n = self.rule, row["calls"]
        per_hour = row["cost"] * 3600.0 / rule.window_s
        figures = {"calls": n, "cost_usd": row["cost"], "threshold_usd": rule.threshold_usd}
        if not self._enough(n):
            return Reading("no_data", None, "cost per hour: too few calls", figures)
        summary = (
            f"spending ${per_hour:,.2f}/h (${row['cost']:,.2f} in {span(rule.window_s)}), "
            f"threshold ${rule.threshold_usd:,.2f}/h"
        )
        return Reading(
            judge(per_hour, rule.threshold_usd, rule.resolve_at), per_hour, summary, figures
        )


class CostPerCallEvaluator(WindowEvaluator):
    """Mean cost of a call in the window."""

    rule: CostPerCallRule

    def measures(self) -> Measures:
        return {"calls": count_all(), "cost": total(calls.c.cost_usd)}

    async def read_one(
        self, part: Slice, labels: LabelValues, row: Mapping[str, float], quantile: QuantileFn
    ) -> Reading:
        rule, n = self.rule, row["calls"]
        figures = {"calls": n, "cost_usd": row["cost"], "threshold_usd": rule.threshold_usd}
        if not self._enough(n):
            return Reading("no_data", None, "cost per call: too few calls", figures)
        mean = row["cost"] / n
        summary = (
            f"mean cost ${mean:.4f} per call over {n:.0f} calls in {span(rule.window_s)}, "
            f"threshold ${rule.threshold_usd:.4f}"
        )
        return Reading(judge(mean, rule.threshold_usd, rule.resolve_at), mean, summary, figures)


# --------------------------------------------------------------------------- tokens

_TOKENS = {
    "input": calls.c.prompt_tokens,
    "output": calls.c.completion_tokens,
    "total": calls.c.prompt_tokens + calls.c.completion_tokens,
}


class TokenAnomalyEvaluator(WindowEvaluator):
    """Mean tokens per call in the window against the same labels' mean over the history."""

    rule: TokenAnomalyRule

    def history(self, now: float) -> Slice:
        window = self.window(now)
        return Slice(
            window.since - self.rule.history_s, window.since, window.group_by, window.match
        )

    def measures(self) -> Measures:
        return {
            "calls": count_all(),
            f"tokens_{self.rule.direction}": total(_TOKENS[self.rule.direction]),
        }

    def needs(self, now: float) -> list[tuple[Slice, Measures]]:
        return [(self.window(now), self.measures()), (self.history(now), self.measures())]

    async def read(self, rows: Rows, now: float, quantile: QuantileFn) -> list[Labelled]:
        past, part = rows.get(self.history(now), {}), self.window(now)
        return [
            (part.labels(labels), self._compare(row, past.get(labels)))
            for labels, row in rows.get(part, {}).items()
        ]

    def _compare(self, row: Mapping[str, float], past: Mapping[str, float] | None) -> Reading:
        rule, key = self.rule, f"tokens_{self.rule.direction}"
        n, past_n = row["calls"], (past or {}).get("calls", 0.0)
        if not self._enough(n) or past is None or past_n < rule.min_history_calls:
            return Reading("no_data", None, "token anomaly: too few calls in the window or history")
        mean, past_mean = row[key] / n, past[key] / past_n
        if past_mean <= 0 or mean <= 0:
            return Reading("no_data", None, "token anomaly: no tokens to compare")
        ratio = mean / past_mean
        deviation = max(ratio, 1 / ratio)  # as anomalous when 3x fewer as when 3x more
        figures = {
            "calls": n,
            "mean_tokens": mean,
            "history_mean_tokens": past_mean,
            "ratio": ratio,
        }
        summary = (
            f"{rule.direction} tokens per call {mean:,.0f} vs {past_mean:,.0f} in the history "
            f"({ratio:.2f}x), threshold {rule.ratio:g}x"
        )
        return Reading(judge(deviation, rule.ratio, rule.resolve_at), ratio, summary, figures)


# --------------------------------------------------------------------------- registry

_EVALUATORS: dict[str, type[WindowEvaluator]] = {
    "error_rate": RateEvaluator,
    "degraded_rate": RateEvaluator,
    "fallback_rate": RateEvaluator,
    "validation_failure_rate": RateEvaluator,
    "latency": QuantileEvaluator,
    "ttft": QuantileEvaluator,
    "cost_per_hour": CostPerHourEvaluator,
    "cost_per_call": CostPerCallEvaluator,
    "token_anomaly": TokenAnomalyEvaluator,
}


def evaluator_for(rule: WindowRuleConfig) -> WindowEvaluator:
    """The evaluator of a window rule's kind."""
    return _EVALUATORS[rule.kind](rule)


def breaker_reading(state: str | None) -> Reading:
    """A breaker state as a reading: open or probing is a breach, closed is clear."""
    if state is None:
        return Reading("no_data", None, "breaker state unknown")
    value = {"closed": 0.0, "half_open": 1.0, "open": 2.0}.get(state, 0.0)
    verdict: Verdict = "clear" if state == "closed" else "breach"
    return Reading(verdict, value, f"breaker {state.replace('_', '-')}", {"state": value})


def span(seconds: float) -> str:
    """A duration as people write it in rules: 5m, 1h, 90s."""
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"
