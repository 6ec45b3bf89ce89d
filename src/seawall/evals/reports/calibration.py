"""The calibration report (``--calibration``) in every format: data, table, Markdown, HTML."""

from __future__ import annotations

from html import escape
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from seawall.evals.calibration import Bin, Calibration
from seawall.evals.reports.fmt import interval, pct
from seawall.evals.reports.html import rows
from seawall.evals.reports.markdown import table


def calibration_data(cal: Calibration) -> dict[str, Any]:
    """The calibration as JSON-ready data."""
    return {
        "samples_with_confidence": cal.scored,
        "samples_without_confidence": cal.unscored,
        "samples_with_errors": cal.errors,
        "passed": cal.passed,
        "failed": cal.failed,
        "ece": cal.ece,
        "brier": cal.brier,
        "bins": [
            {
                "low": b.low,
                "high": b.high,
                "count": b.count,
                "passed": b.passed,
                "mean_confidence": b.mean_confidence,
                "pass_rate": b.pass_rate,
                "interval": list(b.interval) if b.count else None,
            }
            for b in cal.bins
        ],
        "cutoffs": [
            {
                "escalate_below": c.threshold,
                "escalated": c.escalated,
                "failures_caught": c.failures_caught,
                "kept": c.kept,
                "kept_pass_rate": c.kept_pass_rate,
            }
            for c in cal.cutoffs
        ],
    }


def headline(cal: Calibration) -> str:
    """ECE and what was (not) counted, on one line."""
    if not cal.scored:
        what = "no judged answer had a confidence"
    else:
        what = (
            f"ECE {cal.ece:.3f}, Brier {cal.brier:.3f} over {cal.scored} answers "
            f"({cal.passed} passed)"
        )
    missing = f"; {cal.unscored} judged answer(s) without a confidence, not counted"
    errors = f"; {cal.errors} error(s) left out" if cal.errors else ""
    return f"calibration: {what}{missing if cal.unscored else ''}{errors}"


def _bin_cells(b: Bin) -> list[str]:
    return [
        f"{b.low:.1f}–{b.high:.1f}",
        str(b.count),
        "-" if b.mean_confidence is None else f"{b.mean_confidence:.3f}",
        pct(b.pass_rate),
        interval(*b.interval) if b.count else "-",
        "-" if b.gap is None else f"{b.gap * 100:+.1f}",
    ]


_BIN_HEADER = ["confidence", "answers", "mean conf.", "pass rate", "95% CI", "gap pts"]
_CUT_HEADER = ["escalate below", "escalated", "failures caught", "pass rate of the rest"]


def _cut_cells(cal: Calibration) -> list[list[str]]:
    failed = cal.failed
    return [
        [
            f"{c.threshold:.1f}",
            f"{c.escalated} ({pct(c.escalated / cal.scored if cal.scored else None)})",
            f"{c.failures_caught}/{failed}",
            pct(c.kept_pass_rate),
        ]
        for c in cal.cutoffs
    ]


def calibration_table(cal: Calibration) -> RenderableType:
    """The Rich table ``eval run --calibration`` prints."""
    bins = Table(
        title="calibration: confidence against pass rate (answers = samples)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for name in _BIN_HEADER:
        bins.add_column(name, justify="right", no_wrap=True)
    for b in cal.bins:
        bins.add_row(*_bin_cells(b), style="dim" if not b.count else "")
    cuts = Table(
        title="escalation cut-offs", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False
    )
    for name in _CUT_HEADER:
        cuts.add_column(name, justify="right", no_wrap=True)
    for row in _cut_cells(cal):
        cuts.add_row(*row)
    parts: list[RenderableType] = [bins]
    if cal.scored:
        parts.append(cuts)
    parts.append(Text(headline(cal), style="bold" if cal.scored else "yellow"))
    return Group(*parts)


def calibration_markdown(cal: Calibration) -> str:
    """The calibration as Markdown."""
    lines = ["### Calibration", "", headline(cal), ""]
    lines += table(_BIN_HEADER, [_bin_cells(b) for b in cal.bins])
    if cal.scored:
        lines += ["", "**Escalation cut-offs**", ""]
        lines += table(_CUT_HEADER, _cut_cells(cal))
    return "\n".join(lines) + "\n"


def calibration_html(cal: Calibration) -> list[str]:
    """The calibration as HTML."""
    body = [
        "<h2>Calibration</h2>",
        f"<p>{escape(headline(cal))}</p>",
        rows(_BIN_HEADER, [[escape(c) for c in _bin_cells(b)] for b in cal.bins]),
    ]
    if cal.scored:
        cells = [[escape(c) for c in row] for row in _cut_cells(cal)]
        body += ["<h3>Escalation cut-offs</h3>", rows(_CUT_HEADER, cells)]
    return body
