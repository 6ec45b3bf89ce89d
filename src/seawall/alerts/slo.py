"""Service level objectives and their error-budget burn-rate alerts (multiwindow, multi-burn-rate).

An SLO promises a share ``target`` of good calls over ``period_days``; the error budget is the
rest, ``1 - target``. The burn rate of a window is its bad share divided by the budget: 1 spends
the budget exactly over the period, 14.4 spends 2% of a 30-day budget in one hour. Following the
Google SRE workbook, an alert fires when both its long and its short window burn faster than its
rate (the long window proves it matters, the short one that it is still happening) and resolves
once the short window calms down.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from seawall.alerts.config import BurnWindow, SloConfig
from seawall.alerts.rules import Labelled, QuantileFn, Reading, Rows, span
from seawall.alerts.state import Verdict
from seawall.alerts.windows import SERVER_ERROR, Measures, Slice, count_all, count_where
from seawall.store.schema.calls import calls

RUNBOOK_ANCHOR = "slo-burn-rate"


def bad_condition(slo: SloConfig) -> sa.ColumnElement[bool]:
    """What makes a call count against the SLO's error budget."""
    if slo.objective == "latency":
        assert slo.threshold_ms is not None
        return calls.c.latency_ms > slo.threshold_ms
    if slo.objective == "cost":
        assert slo.threshold_usd is not None
        return calls.c.cost_usd > slo.threshold_usd
    return SERVER_ERROR


def describe(slo: SloConfig) -> str:
    """The SLO in words, e.g. ``99.5% of chat calls without a server error``."""
    scope = f"{slo.model} calls" if slo.model else "calls of each model"
    good = {
        "availability": "without a server error",
        "latency": f"faster than {slo.threshold_ms or 0:,.0f} ms",
        "cost": f"cheaper than ${slo.threshold_usd or 0:g}",
    }[slo.objective]
    target = f"{slo.target * 100:.3f}".rstrip("0").rstrip(".")
    return f"{target}% of {scope} {good}"


class BurnEvaluator:
    """The burn-rate alert of one SLO and one (long, short) window pair."""

    def __init__(self, slo: SloConfig, window: BurnWindow) -> None:
        self.slo = slo
        self.window = window
        self.name = f"{slo.name}-{window.name}"
        self._bad = "bad_" + re.sub(r"\W", "_", slo.name)  # a plain SQL label

    def _slice(self, now: float, seconds: float) -> Slice:
        if self.slo.model is None:
            return Slice(now - seconds, now, ("model",))
        return Slice(now - seconds, now, (), (("model", self.slo.model),))

    def needs(self, now: float) -> list[tuple[Slice, Measures]]:
        measures: Measures = {"calls": count_all(), self._bad: count_where(bad_condition(self.slo))}
        return [(self._slice(now, s), measures) for s in (self.window.long_s, self.window.short_s)]

    async def read(self, rows: Rows, now: float, quantile: QuantileFn) -> list[Labelled]:
        """A reading per model seen in the long window."""
        part = self._slice(now, self.window.long_s)
        short_rows = rows.get(self._slice(now, self.window.short_s), {})
        return [
            (part.labels(labels), self.judge(row, short_rows.get(labels, {})))
            for labels, row in rows.get(part, {}).items()
        ]

    def judge(self, long_row: Mapping[str, float], short_row: Mapping[str, float]) -> Reading:
        """The verdict for one model from the counts of its long and short windows."""
        slo, window = self.slo, self.window
        budget = 1.0 - slo.target
        n_long, n_short = long_row.get("calls", 0.0), short_row.get("calls", 0.0)
        if n_long < slo.min_calls or n_short < slo.min_calls:
            return Reading("no_data", None, f"{slo.name}: too few calls to judge the burn rate")
        bad_long = long_row.get(self._bad, 0.0) / n_long
        bad_short = short_row.get(self._bad, 0.0) / n_short
        burn_long, burn_short = bad_long / budget, bad_short / budget
        spent = burn_long * window.long_s / (slo.period_days * 86_400.0)
        figures = {
            "burn_rate_long": burn_long,
            "burn_rate_short": burn_short,
            "burn_rate_threshold": window.burn_rate,
            "bad_ratio_long": bad_long,
            "bad_ratio_short": bad_short,
            "calls_long": n_long,
            "calls_short": n_short,
            "target": slo.target,
            "budget_spent_in_long_window": spent,
        }
        verdict: Verdict = "between"
        if burn_long > window.burn_rate and burn_short > window.burn_rate:
            verdict = "breach"
        elif burn_short <= window.burn_rate:
            verdict = "clear"
        summary = (
            f"SLO {describe(slo)}: error budget burning at {burn_long:.1f}x over "
            f"{span(window.long_s)} and {burn_short:.1f}x over {span(window.short_s)} "
            f"(alert at {window.burn_rate:g}x); {spent:.1%} of the {slo.period_days:g}-day "
            f"budget spent in the last {span(window.long_s)}"
        )
        return Reading(verdict, burn_long, summary, figures)


def burn_evaluators(slos: list[SloConfig]) -> list[BurnEvaluator]:
    """One evaluator per SLO and burn window."""
    return [BurnEvaluator(slo, window) for slo in slos for window in slo.windows]


def slo_metadata(slo: SloConfig) -> dict[str, Any]:
    """The SLO as data, for ``alerts list`` and exports."""
    return {"name": slo.name, "model": slo.model, "objective": slo.objective, "target": slo.target}
