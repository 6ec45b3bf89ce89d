"""How ``seawall prompt promote|rollback`` and ``seawall release status`` print their results."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from seawall.releases.controller import Release
from seawall.releases.sequential import Decision, MetricVerdict
from seawall.releases.status import ReleaseStatus, arm_dict


def print_promoted(release: Release) -> None:
    """The outcome of ``promote`` (a canary started, or a promotion done)."""
    ref = f"{release.prompt}@{release.candidate}"
    if release.state == "canary":
        typer.echo(
            f"✓ canary: {ref} serves {release.share:.0%} of {release.prompt}'s traffic against "
            f"production {release.prompt}@{release.baseline} (release {release.id})"
        )
        typer.echo(
            "  the gateway's controller watches it: seawall release status " + release.prompt
        )
        return
    typer.echo(f"✓ production: {ref}" + _reason(release.decision))


def print_rollback(release: Release) -> None:
    """The outcome of ``rollback``."""
    name = release.prompt
    if release.share > 0:  # a live canary was stopped
        typer.echo(
            f"✓ rolled back: the canary {name}@{release.candidate} serves nobody now; "
            f"production stays {name}@{release.baseline}"
        )
    else:
        typer.echo(f"✓ production: {name}@{release.candidate} → {name}@{release.baseline}")


def print_status(found: list[ReleaseStatus], *, as_json: bool) -> None:
    """One prompt in detail, or every prompt as one table."""
    if as_json:
        typer.echo(json.dumps([s.as_dict() for s in found], indent=2, default=str))
        return
    console = Console(highlight=False)
    if len(found) == 1:
        _detail(console, found[0])
        return
    if not found:
        console.print("no prompts yet: seawall prompt push prompts/")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("prompt", "production", "canary", "share", "canary calls", "last decision"):
        table.add_column(column)
    for s in found:
        live = s.live
        last = next((r for r in s.history if r.decision is not None and not r.live), None)
        table.add_row(
            s.prompt,
            _at(s.labels.get("production")),
            _at(live.candidate if live else None),
            f"{live.share:.0%}" if live else "-",
            str(s.canary.calls) if s.canary else "-",
            _decision_line(last) if last else "-",
        )
    console.print(table)


def _detail(console: Console, status: ReleaseStatus) -> None:
    labels = ", ".join(f"{k} @{v}" for k, v in sorted(status.labels.items())) or "no labels"
    console.print(f"[bold]{status.prompt}[/]  {labels}")
    live = status.live
    if live is None:
        console.print("no live release")
    else:
        console.print(
            f"live: {live.prompt}@{live.candidate} against production "
            f"{live.prompt}@{live.baseline} on {live.share:.0%} of traffic ({live.state}), "
            f"since {_when(live.started_at)} by {live.actor} (release {live.id})"
        )
        if status.look is not None:
            console.print(f"now: {status.look.action} — {status.look.reason}", markup=False)
            console.print(_arms_table(status))
    if status.history:
        console.print("decisions:")
        for release in status.history:
            if release.decision is not None:
                console.print(f"  {_decision_line(release)}", markup=False)


def _arms_table(status: ReleaseStatus) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("metric", "canary", "production", "status", "evidence / bar"):
        table.add_column(column)
    assert status.canary is not None
    assert status.baseline is not None
    canary, production = arm_dict(status.canary), arm_dict(status.baseline)
    table.add_row("calls", str(canary["calls"]), str(production["calls"]), "", "")
    verdicts = {v.metric: v for v in status.look.verdicts} if status.look else {}
    for metric, verdict in verdicts.items():
        table.add_row(
            metric,
            _figure(metric, verdict.canary),
            _figure(metric, verdict.baseline),
            _status(verdict),
            f"{verdict.evidence:.3g} / {verdict.threshold:.3g}",
        )
    table.add_row(
        "mean_cost_usd", _usd(canary["mean_cost_usd"]), _usd(production["mean_cost_usd"]), "", ""
    )
    return table


def _status(verdict: MetricVerdict) -> str:
    colour = {"ok": "green", "regressed": "bold red", "waiting": "yellow"}[verdict.status]
    return f"[{colour}]{verdict.status}[/]"


def _figure(metric: str, value: Any) -> str:
    if value is None:
        return "-"
    if metric.endswith("_rate"):
        return f"{value * 100:.2f}%"
    if metric == "cost_per_call":
        return _usd(value)
    return f"{value:.1f} ms"


def _usd(value: Any) -> str:
    return "-" if value is None else f"${value:.6f}"


def _decision_line(release: Release) -> str:
    decision = release.decision
    assert decision is not None
    when = _when(release.decided_at or release.started_at)
    return f"{when}  {release.prompt}@{release.candidate}  {release.state}: {decision.reason}"


def _reason(decision: Decision | None) -> str:
    return f" ({decision.reason})" if decision is not None else ""


def _at(version: int | None) -> str:
    return "-" if version is None else f"@{version}"


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")
