"""The terminal report (Rich): cases, tag and overall summaries, thresholds, verdicts."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from seawall.evals.compare import Comparison, Delta
from seawall.evals.reports.fmt import (
    first_reason,
    ms,
    pct,
    run_headline,
    samples_cell,
    usd,
    verdict_line,
    when,
)
from seawall.evals.stats import Verdict
from seawall.evals.store import RunRow
from seawall.evals.summary import GroupSummary, RunSummary

_STATUS_STYLE = {"pass": "green", "fail": "red", "error": "yellow", "missing": "dim"}
_VERDICT_STYLE = {
    Verdict.REGRESSED: "bold red",
    Verdict.IMPROVED: "bold green",
    Verdict.NO_CHANGE: "bold",
}


def run_table(summary: RunSummary, *, failures_only: bool = False) -> RenderableType:
    """Everything about one run, as ``eval run`` and ``eval show`` print it."""
    run = summary.run
    header = Text.assemble(
        ("suite ", "dim"),
        (run.suite, "bold"),
        ("  run ", "dim"),
        run.run_id,
        ("  target ", "dim"),
        run.target,
        ("  ", ""),
        f"{len(run.cases)} cases × {run.samples} samples, {run.status}, {when(run.started_at)}",
    )
    parts: list[RenderableType] = [
        header,
        cases_table(summary, failures_only),
        groups_table(summary),
    ]
    for check in summary.thresholds:
        mark = ("✓", "green") if check.ok else ("✗", "red") if check.missed else ("?", "yellow")
        parts.append(
            Text.assemble(
                (f"{mark[0]} ", mark[1]),
                f"{check.name} ≥ {pct(check.required)}: measured {pct(check.actual)}",
            )
        )
    style = (
        "bold red"
        if summary.thresholds_missed
        else "bold yellow"
        if summary.incomplete
        else "bold green"
    )
    parts.append(Text(run_headline(summary), style=style))
    return Group(*parts)


def cases_table(summary: RunSummary, failures_only: bool = False) -> Table:
    """One row per case."""
    table = Table(title="cases", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("case", overflow="fold", min_width=14)
    table.add_column("tags", overflow="fold", max_width=18)
    table.add_column("samples", justify="right", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("why (first reason)", overflow="fold", ratio=1)
    hidden = 0
    for outcome in summary.cases:
        if failures_only and outcome.status == "pass":
            hidden += 1
            continue
        table.add_row(
            outcome.case.id,
            ", ".join(outcome.case.tags),
            samples_cell(outcome),
            Text(outcome.status, style=_STATUS_STYLE[outcome.status]),
            first_reason(outcome),
        )
    if hidden:
        table.caption = f"{hidden} passing case(s) not shown"
    return table


def groups_table(summary: RunSummary) -> Table:
    """One row per tag, then all cases."""
    table = Table(
        title="pass rates (cases; latency in ms)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("group", no_wrap=True, min_width=9, max_width=24, overflow="ellipsis")
    for name in ("passed", "rate", "95% CI", "err", "p50/p95", "tokens", "cost"):
        table.add_column(name, justify="right", no_wrap=True)
    for group in [*summary.tags, summary.overall]:
        table.add_row(
            *_group_row(group), end_section=bool(summary.tags) and group is summary.tags[-1]
        )
    return table


def _group_row(group: GroupSummary) -> list[str]:
    return [
        "all cases" if group.name == "all" else group.name,
        f"{group.passed}/{group.scored}",
        pct(group.rate),
        f"{group.low * 100:.0f}–{group.high * 100:.0f}%",
        str(group.errors) + (f" +{group.missing} not run" if group.missing else ""),
        f"{ms(group.latency_p50_ms)}/{ms(group.latency_p95_ms)}",
        f"{group.prompt_tokens}/{group.completion_tokens}",
        usd(group.cost_usd),
    ]


def comparison_table(comparison: Comparison) -> RenderableType:
    """The verdict, the flipped cases and the pass-rate deltas."""
    base, cand = comparison.baseline.run, comparison.candidate.run
    parts: list[RenderableType] = [
        Text.assemble(
            ("baseline  ", "dim"),
            f"{base.run_id} ({base.suite}, {when(base.started_at)}) {base.target}",
        ),
        Text.assemble(
            ("candidate ", "dim"),
            f"{cand.run_id} ({cand.suite}, {when(cand.started_at)}) {cand.target}",
        ),
    ]
    reasons = {o.case.id: first_reason(o) for o in comparison.candidate.cases}
    flips = Table(
        title="cases that flipped", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False
    )
    flips.add_column("case")
    flips.add_column("change")
    flips.add_column("candidate's reason", overflow="fold")
    for case_id in comparison.regressed:
        flips.add_row(case_id, Text("pass → fail", style="red"), reasons.get(case_id, ""))
    for case_id in comparison.improved:
        flips.add_row(case_id, Text("fail → pass", style="green"), "")
    if comparison.regressed or comparison.improved:
        parts.append(flips)
    parts.append(deltas_table(comparison))
    if comparison.excluded:
        listed = ", ".join(f"{c} ({why})" for c, why in comparison.excluded[:20])
        more = f" and {len(comparison.excluded) - 20} more" if len(comparison.excluded) > 20 else ""
        parts.append(Text(f"not paired: {listed}{more}", style="yellow"))
    parts.append(Text(verdict_line(comparison), style=_VERDICT_STYLE[comparison.verdict]))
    return Group(*parts)


def deltas_table(comparison: Comparison) -> Table:
    """Pass-rate changes per tag, then overall."""
    table = Table(
        title="pass-rate change over paired cases (points, 95% CI)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("group", no_wrap=True, min_width=9, max_width=24, overflow="ellipsis")
    for name in ("paired", "baseline", "candidate", "change", "95% CI", "flips -/+"):
        table.add_column(name, justify="right", no_wrap=True)
    for delta in [*comparison.tags, comparison.overall]:
        table.add_row(
            *_delta_row(delta),
            end_section=delta is comparison.tags[-1] if comparison.tags else False,
        )
    return table


def _delta_row(delta: Delta) -> list[str]:
    counts = delta.counts
    return [
        "all cases" if delta.name == "all" else delta.name,
        str(counts.n),
        pct(counts.baseline_rate if counts.n else None),
        pct(counts.candidate_rate if counts.n else None),
        f"{delta.delta * 100:+.1f}",
        f"{delta.low * 100:+.0f} … {delta.high * 100:+.0f}",
        f"{counts.regressed}/{counts.improved}",
    ]


def runs_table(rows: list[RunRow]) -> Table:
    """``eval list``: one line per stored run, newest first."""
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0))
    # Only the suite name shrinks on a narrow terminal; ids and figures stay whole.
    table.add_column("run", no_wrap=True)
    table.add_column("suite", no_wrap=True, overflow="ellipsis", max_width=16)
    table.add_column("started", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for name in ("cases", "pass", "err"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("version", no_wrap=True)  # the target's fingerprint: changed or not?
    table.add_column("gates", no_wrap=True)
    for row in rows:
        summary = row.summary
        missed = summary.get("thresholds_missed") or []
        table.add_row(
            row.run_id,
            row.suite,
            when(row.started_at)[5:16],  # MM-DD HH:MM; `eval show` has the full time
            Text(row.status, style="yellow" if row.status != "complete" else ""),
            str(summary.get("cases", "-")),
            pct(summary.get("pass_rate")),
            str(summary.get("errors", 0)),
            row.fingerprint[:6],
            Text(f"{len(missed)} missed", style="red") if missed else Text("met", style="green"),
            row.target,
        )
    return table
