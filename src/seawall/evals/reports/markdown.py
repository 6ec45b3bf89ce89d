"""Markdown reports, for pull-request comments and job summaries (``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

from seawall.evals.compare import Comparison
from seawall.evals.reports.fmt import (
    first_reason,
    interval,
    ms,
    pct,
    run_headline,
    samples_cell,
    signed_pct,
    usd,
    verdict_line,
    when,
)
from seawall.evals.summary import RunSummary


def cell(text: str) -> str:
    """Text safe inside a table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def run_markdown(summary: RunSummary) -> str:
    """A run as Markdown."""
    run = summary.run
    lines = [
        f"## Eval `{run.suite}` — {run_headline(summary)}",
        "",
        f"Run `{run.run_id}` of {run.target}, {len(run.cases)} cases × {run.samples} samples, "
        f"{run.status}, {when(run.started_at)}.",
        "",
    ]
    groups = [*summary.tags, summary.overall]
    lines += table(
        ["group", "cases", "pass rate", "95% interval", "errors", "p50 ms", "p95 ms", "cost"],
        [
            [
                "all cases" if g.name == "all" else f"tag `{g.name}`",
                str(g.cases),
                pct(g.rate),
                interval(g.low, g.high),
                str(g.errors),
                ms(g.latency_p50_ms),
                ms(g.latency_p95_ms),
                usd(g.cost_usd),
            ]
            for g in groups
        ],
    )
    if summary.thresholds:
        lines += ["", "**Thresholds**", ""]
        lines += [
            f"- {'✅' if t.ok else '❌' if t.missed else '❔'} `{t.name}` ≥ {pct(t.required)}: "
            f"{pct(t.actual)}"
            for t in summary.thresholds
        ]
    lines += ["", "**Cases**", ""]
    lines += table(
        ["case", "tags", "samples", "result", "why"],
        [
            [f"`{o.case.id}`", ", ".join(o.case.tags), samples_cell(o), o.status, first_reason(o)]
            for o in summary.cases
        ],
    )
    return "\n".join(lines) + "\n"


def comparison_markdown(comparison: Comparison) -> str:
    """A comparison as Markdown."""
    base, cand = comparison.baseline.run, comparison.candidate.run
    lines = [
        f"## Eval `{cand.suite}`: {comparison.verdict.value}",
        "",
        f"Baseline `{base.run_id}` ({when(base.started_at)}) → candidate `{cand.run_id}` "
        f"({when(cand.started_at)}).",
        "",
        verdict_line(comparison),
        "",
    ]
    if comparison.regressed:
        lines.append(
            "**Regressed (pass → fail):** " + ", ".join(f"`{c}`" for c in comparison.regressed)
        )
    if comparison.improved:
        lines.append(
            "**Improved (fail → pass):** " + ", ".join(f"`{c}`" for c in comparison.improved)
        )
    lines.append("")
    lines += table(
        ["group", "paired", "baseline", "candidate", "change", "95% interval"],
        [
            [
                "all cases" if d.name == "all" else f"tag `{d.name}`",
                str(d.counts.n),
                pct(d.counts.baseline_rate if d.counts.n else None),
                pct(d.counts.candidate_rate if d.counts.n else None),
                signed_pct(d.delta),
                f"{d.low * 100:+.1f} … {d.high * 100:+.1f} pts",
            ]
            for d in [*comparison.tags, comparison.overall]
        ],
    )
    if comparison.excluded:
        lines += [
            "",
            "Not paired: " + ", ".join(f"`{c}` ({why})" for c, why in comparison.excluded),
        ]
    return "\n".join(lines) + "\n"
