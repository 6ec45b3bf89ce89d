"""``seawall drift report``: each route's recent calls against its reference window.

Reads the call records in the store (``--store``, else the config's ``store.url``) and the
config's ``drift:`` section (features, thresholds, reference; defaults without one). Only those
two sections are read, so the command works against a config that no longer validates as a
whole.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import pydantic
import typer
import yaml
from rich.console import Console
from rich.table import Table

from seawall.cli.traces import StoreOption, fail, run_on_store, store_url
from seawall.cost.args import parse_instant
from seawall.drift.config import DriftConfig, Reference, parse_reference
from seawall.drift.monitor import DriftMonitor, DriftReport, DriftRow, format_p

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Config file; store.url and drift: are read.")
]
_VERDICT_STYLE = {
    "drift": "bold red",
    "watch": "yellow",
    "stable": "green",
    "insufficient": "dim",
    "unavailable": "dim",
}


def register(app: typer.Typer) -> None:
    """Add the ``drift`` command group to the ``seawall`` CLI."""
    group = typer.Typer(help="Drift of each route's inputs and outcomes from a reference window.")
    group.command("report")(report)
    app.add_typer(group, name="drift", no_args_is_help=True)


def report(
    route: Annotated[
        str | None, typer.Option("--route", help="Only this logical model (default: every one).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Start of the current window: 24h, 7d or a date (UTC)."),
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference", help="previous_week, or a pinned period YYYY-MM-DD..YYYY-MM-DD."
        ),
    ] = None,
    config: ConfigOption = Path("seawall.yaml"),
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Compare each route's features (tokens, message length and script, validation,
    confidence, feedback, outcome) in the current window with the reference: PSI, chi-square
    p-value and a verdict per feature."""
    settings = _config_drift(config)
    now = time.time()
    window_s = _window_s(since, now) if since is not None else settings.window_s
    chosen = _reference(reference) if reference is not None else settings.reference
    url = store_url(config, store)
    result = run_on_store(
        url,
        lambda calls: DriftMonitor(calls.engine, settings).report(
            now, window_s=window_s, reference=chosen, model=route
        ),
    )
    if as_json:
        typer.echo(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    _print_report(Console(highlight=False), result, route)


# --------------------------------------------------------------------------- inputs


def _window_s(since: str, now: float) -> float:
    try:
        start = parse_instant(since, now)
    except ValueError as exc:
        fail(str(exc))
    if start >= now:
        fail(f"the window is empty: --since {since} is not in the past")
    return now - start


def _reference(text: str) -> Reference:
    try:
        return parse_reference(text)
    except ValueError as exc:
        fail(f"--reference: {exc}")


def _config_drift(path: Path) -> DriftConfig:
    """The config's ``drift:`` (defaults without one); one clear line when a field is wrong."""
    if not path.exists():
        return DriftConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        fail(f"cannot read {path}: {' '.join(str(exc).split())}")
    section = data.get("drift") if isinstance(data, dict) else None
    if section is None:
        return DriftConfig()
    try:
        return DriftConfig.model_validate(section)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        fail(f"{path}: drift{'.' + where if where else ''}: {message}")


# --------------------------------------------------------------------------- output


def _print_report(console: Console, result: DriftReport, route: str | None) -> None:
    if not result.rows:
        scope = f" to {route}" if route else ""
        console.print(f"no calls{scope} between {_when(result.since)} and {_when(result.until)}")
        return
    console.print(_table(result))
    for row in result.rows:
        if row.note:
            console.print(f"[dim]{row.route} {row.feature}: {row.note}[/]")
    findings = result.findings()
    if findings:
        console.print(f"[bold red]{len(findings)} feature(s) drifted[/]")


def _table(result: DriftReport) -> Table:
    title = (
        f"drift: {_when(result.since)} → {_when(result.until)} against {result.reference} "
        f"({_when(result.reference_since)} → {_when(result.reference_until)})"
    )
    table = Table(title=title, title_justify="left")
    for name in ("route", "feature", "reference n", "current n", "PSI", "p", "change", "verdict"):
        justify: Any = "right" if name in ("reference n", "current n", "PSI", "p") else "left"
        table.add_column(name, justify=justify)
    previous = None
    for row in result.rows:
        table.add_row(*_cells(row, show_route=row.route != previous))
        previous = row.route
    return table


def _cells(row: DriftRow, *, show_route: bool) -> list[str]:
    style = _VERDICT_STYLE.get(row.verdict, "")
    return [
        str(row.route) if show_route else "",
        row.feature,
        f"{row.reference_n:,}",
        f"{row.current_n:,}",
        "—" if row.psi is None else f"{row.psi:.3f}",
        format_p(row.p_value),
        row.change,
        f"[{style}]{row.verdict}[/]" if style else row.verdict,
    ]


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M")
