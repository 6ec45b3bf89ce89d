"""Formatting shared by every report: rates, intervals, milliseconds, dollars, verdict lines."""

from __future__ import annotations

from datetime import datetime

from seawall.evals.compare import Comparison
from seawall.evals.summary import CaseOutcome, RunSummary


def pct(rate: float | None) -> str:
    """A rate as a percentage ("-" when unknown)."""
    return "-" if rate is None else f"{rate * 100:.1f}%"


def interval(low: float, high: float) -> str:
    """An interval of rates as percentages."""
    return f"{low * 100:.1f}–{high * 100:.1f}%"


def signed_pct(delta: float) -> str:
    """A change of rate in percentage points."""
    return f"{delta * 100:+.1f} pts"


def ms(value: float | None) -> str:
    """Milliseconds, whole."""
    return "-" if value is None else f"{value:.0f}"


def usd(value: float | None) -> str:
    """US dollars, short."""
    if value is None:
        return "-"
    if not value:
        return "$0"
    if value >= 1:
        return f"${value:.2f}"
    return f"${value:.5f}".rstrip("0") if value < 0.01 else f"${value:.4f}"


def when(stamp: float | None) -> str:
    """A unix time as local date and time."""
    if stamp is None:
        return "-"
    return datetime.fromtimestamp(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def samples_cell(outcome: CaseOutcome) -> str:
    """ "passed/judged" samples of a case, with errors."""
    errors = f" +{outcome.errors} err" if outcome.errors else ""
    return f"{outcome.passed}/{outcome.scored}{errors}"


def first_reason(outcome: CaseOutcome, limit: int = 120) -> str:
    """The most frequent failure reason of a case, with its count."""
    if not outcome.reasons:
        return ""
    text, count = outcome.reasons[0]
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    more = f" (+{len(outcome.reasons) - 1} other)" if len(outcome.reasons) > 1 else ""
    return f"{text} ×{count}{more}" if count > 1 else f"{text}{more}"


def run_headline(summary: RunSummary) -> str:
    """One line that says how the run ended, for every report."""
    missed = summary.thresholds_missed
    if missed:
        names = ", ".join(t.name for t in missed)
        return f"FAIL: {len(missed)} threshold(s) missed ({names})"
    if summary.run.status == "interrupted":
        return "INTERRUPTED: partial results"
    if summary.incomplete:
        return f"INCOMPLETE: {summary.overall.errors} case(s) could not be judged (errors)"
    return "PASS: every threshold met" if summary.thresholds else "DONE: no thresholds set"


def verdict_line(comparison: Comparison) -> str:
    """The verdict and its p-values on one line."""
    test = comparison.test
    return (
        f"{comparison.verdict.value.upper()}: {test.regressed} regressed, {test.improved} improved "
        f"(exact McNemar, one-sided p = {test.p_regressed:.3g} / {test.p_improved:.3g}, "
        f"confidence {comparison.confidence:g})"
    )
