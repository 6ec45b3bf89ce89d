"""A self-contained HTML report (no scripts, no external assets): the Markdown report's content
with the sample outputs, for reading in a browser or attaching to a CI run."""

from __future__ import annotations

from html import escape

from seawall.evals.compare import Comparison
from seawall.evals.reports.fmt import (
    first_reason,
    interval,
    pct,
    run_headline,
    samples_cell,
    signed_pct,
    usd,
    verdict_line,
    when,
)
from seawall.evals.summary import RunSummary

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2430}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccd;padding:.3rem .6rem;
text-align:left;vertical-align:top}th{background:#f3f4f8}.pass{color:#137333}.fail{color:#b3261e}
.error,.missing{color:#9a6700}pre{white-space:pre-wrap;margin:0;max-width:60rem}
details{margin:.2rem 0}
"""


def page(title: str, body: list[str]) -> str:
    """A complete HTML page."""
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>\n"
    )


def rows(header: list[str], data: list[list[str]]) -> str:
    """A table; cells are HTML already (escape text before passing it)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in data)
    return f"<table><tr>{head}</tr>{body}</table>"


def run_body(summary: RunSummary) -> list[str]:
    """The HTML of a run."""
    run = summary.run
    by_case = run.by_case()
    body = [
        f"<h1>Eval {escape(run.suite)}</h1>",
        f"<p><b>{escape(run_headline(summary))}</b></p>",
        f"<p>Run <code>{escape(run.run_id)}</code> of {escape(run.target)}: {len(run.cases)} cases "
        f"× {run.samples} samples, {escape(run.status)}, {escape(when(run.started_at))}.</p>",
        rows(
            ["group", "cases", "pass rate", "95% interval", "errors", "cost"],
            [
                [
                    escape(g.name),
                    str(g.cases),
                    pct(g.rate),
                    interval(g.low, g.high),
                    str(g.errors),
                    usd(g.cost_usd),
                ]
                for g in [*summary.tags, summary.overall]
            ],
        ),
    ]
    if summary.thresholds:
        body.append(
            "<ul>"
            + "".join(
                f"<li class={'pass' if t.ok else 'fail'}>{escape(t.name)} ≥ {pct(t.required)}: {pct(t.actual)}</li>"
                for t in summary.thresholds
            )
            + "</ul>"
        )
    case_rows = []
    for outcome in summary.cases:
        samples = "".join(
            f"<details><summary class={r.status}>sample {r.sample}: {r.status}"
            f"{' — ' + escape(r.reason) if r.reason else ''}</summary>"
            f"<pre>{escape(r.output or '')}</pre></details>"
            for r in by_case.get(outcome.case.id, [])
        )
        case_rows.append(
            [
                f"<code>{escape(outcome.case.id)}</code>",
                escape(", ".join(outcome.case.tags)),
                samples_cell(outcome),
                f"<span class={outcome.status}>{outcome.status}</span>",
                escape(first_reason(outcome)) + samples,
            ]
        )
    body.append(rows(["case", "tags", "samples", "result", "details"], case_rows))
    return body


def comparison_body(comparison: Comparison) -> list[str]:
    """The HTML of a comparison."""
    base, cand = comparison.baseline.run, comparison.candidate.run
    body = [
        f"<h1>Eval {escape(cand.suite)}: {escape(comparison.verdict.value)}</h1>",
        f"<p>Baseline <code>{escape(base.run_id)}</code> ({escape(when(base.started_at))}) → "
        f"candidate <code>{escape(cand.run_id)}</code> ({escape(when(cand.started_at))})</p>",
        f"<p><b>{escape(verdict_line(comparison))}</b></p>",
    ]
    for title, cases in (
        ("Regressed (pass → fail)", comparison.regressed),
        ("Improved (fail → pass)", comparison.improved),
    ):
        if cases:
            body.append(
                f"<h2>{title}</h2><ul>"
                + "".join(f"<li><code>{escape(c)}</code></li>" for c in cases)
                + "</ul>"
            )
    body.append(
        rows(
            ["group", "paired", "baseline", "candidate", "change", "95% interval"],
            [
                [
                    escape(d.name),
                    str(d.counts.n),
                    pct(d.counts.baseline_rate if d.counts.n else None),
                    pct(d.counts.candidate_rate if d.counts.n else None),
                    signed_pct(d.delta),
                    f"{d.low * 100:+.1f} … {d.high * 100:+.1f} pts",
                ]
                for d in [*comparison.tags, comparison.overall]
            ],
        )
    )
    if comparison.excluded:
        body.append(
            "<p>Not paired: "
            + escape(", ".join(f"{c} ({w})" for c, w in comparison.excluded))
            + "</p>"
        )
    return body
