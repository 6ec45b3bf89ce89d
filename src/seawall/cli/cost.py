"""``seawall cost``: what recorded traffic cost (``report``) and will cost (``project``).

Reads the call records in the store (``--store``, else the config's ``store.url``) and, for
prices, the config's ``prices:`` over the built-in table. Only those two sections are read,
so the commands work against a config that no longer validates as a whole.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, cast

import orjson
import pydantic
import typer
import yaml
from rich.console import Console
from rich.table import Table

from seawall.cli.traces import ConfigOption, StoreOption, fail, run_on_store, store_url, usd
from seawall.config import Price
from seawall.cost.args import parse_growth, parse_instant, parse_route_change
from seawall.cost.project import Projection, UnknownPrice, project
from seawall.cost.report import GROUPS, CostReport, CostRow, GroupBy, cost_report
from seawall.telemetry.prices import PriceTable, prices_as_of

SinceOption = Annotated[
    str, typer.Option("--since", help="Start of the window: 7d, 24h, 30m or a date (UTC).")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="End of the window (default: now).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def register(app: typer.Typer) -> None:
    """Add the ``cost`` command group to the ``seawall`` CLI."""
    group = typer.Typer(help="Cost of recorded traffic, and the projected monthly bill.")
    group.command("report")(report)
    group.command("project")(project_bill)
    app.add_typer(group, name="cost", no_args_is_help=True)


def report(
    since: SinceOption = "7d",
    until: UntilOption = None,
    by: Annotated[str, typer.Option("--by", help=f"Group by {', '.join(GROUPS)}.")] = "model",
    config: ConfigOption = Path("seawall.yaml"),
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cost, calls, tokens and retry/fallback overhead, in total and per group."""
    if by not in GROUPS:
        fail(f"--by must be one of {', '.join(GROUPS)}, not {by!r}")
    start, end = _window(since, until)
    url = store_url(config, store)
    result = run_on_store(
        url, lambda calls: cost_report(calls.engine, start, end, cast(GroupBy, by))
    )
    if as_json:
        typer.echo(orjson.dumps(_report_json(result), option=orjson.OPT_INDENT_2).decode())
        return
    Console(highlight=False).print(_report_table(result))


def project_bill(
    since: SinceOption = "7d",
    until: UntilOption = None,
    growth: Annotated[str, typer.Option("--growth", help="Traffic multiplier, e.g. 10x.")] = "1x",
    route_change: Annotated[
        list[str] | None,
        typer.Option("--route-change", help="Move FROM's traffic to TO (repeatable)."),
    ] = None,
    config: ConfigOption = Path("seawall.yaml"),
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """The monthly bill from recorded traffic, per model, and what route changes save."""
    try:
        factor = parse_growth(growth)
        changes = [parse_route_change(text) for text in route_change or []]
    except ValueError as exc:
        fail(str(exc))
    start, end = _window(since, until)
    prices = PriceTable(_config_prices(config))
    url = store_url(config, store)
    observed = run_on_store(url, lambda calls: cost_report(calls.engine, start, end, "upstream"))
    try:
        result = project(observed.rows, (end - start) / 86_400, factor, changes, prices)
    except (UnknownPrice, ValueError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(orjson.dumps(_projection_json(result), option=orjson.OPT_INDENT_2).decode())
        return
    _print_projection(Console(highlight=False), result, observed)


# --------------------------------------------------------------------------- inputs


def _window(since: str, until: str | None) -> tuple[float, float]:
    now = time.time()
    try:
        end = now if until is None else parse_instant(until, now)
        start = parse_instant(since, end)
    except ValueError as exc:
        fail(str(exc))
    if start >= end:
        fail(f"the window is empty: --since {since} is not before --until {until or 'now'}")
    return start, end


def _config_prices(path: Path) -> dict[str, Price]:
    """The config's ``prices:`` (none without a config); one clear line when one is wrong."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        fail(f"cannot read {path}: {' '.join(str(exc).split())}")
    section = data.get("prices") if isinstance(data, dict) else None
    if section is None:
        return {}
    if not isinstance(section, dict):
        fail(f"{path}: prices: expected a mapping of model name to price")
    found = {}
    for name, spec in section.items():
        try:
            found[str(name)] = Price.model_validate(spec)
        except pydantic.ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            fail(f"{path}: prices.{name}{'.' + where if where else ''}: {error['msg']}")
    return found


# --------------------------------------------------------------------------- output


def _report_table(result: CostReport) -> Table:
    table = Table(title=_title("cost", result.since, result.until), title_justify="left")
    for name in (result.by, "calls", "cost", "per call", "tokens in", "tokens out"):
        table.add_column(name, justify="left" if name == result.by else "right")
    for name in ("retried", "fallback", "overhead"):
        table.add_column(name, justify="right")
    for row in result.rows:
        table.add_row(*_cells(str(row.group), row))
    table.add_row(*_cells("total", result.total), style="bold", end_section=True)
    return table


def _cells(name: str, row: CostRow) -> list[str]:
    return [
        name,
        f"{row.calls:,}",
        usd(row.cost_usd),
        usd(row.cost_per_call_usd),
        f"{row.prompt_tokens:,}",
        f"{row.completion_tokens:,}",
        f"{row.retried_calls:,} (+{row.retries:,} tries)",
        f"{row.fallback_calls:,}",
        f"{row.overhead_share:.1%}",
    ]


def _print_projection(console: Console, result: Projection, observed: CostReport) -> None:
    title = _title("projected month", observed.since, observed.until)
    table = Table(title=f"{title}, growth {result.growth:g}x", title_justify="left")
    for name in ("upstream", "calls", "observed", "per day", "per month", "overhead"):
        table.add_column(name, justify="left" if name == "upstream" else "right")
    for model in result.models:
        row = model.observed
        per_day = row.cost_usd / result.days
        table.add_row(
            str(model.upstream),
            f"{row.calls:,}",
            usd(row.cost_usd),
            usd(per_day),
            _dollars(model.monthly_usd),
            f"{row.overhead_share:.1%}",
        )
    table.add_row("total", "", "", "", _dollars(result.monthly_usd), "", style="bold")
    console.print(table)
    for effect in result.changes:
        verb = "saves" if effect.saving_usd >= 0 else "costs"
        console.print(
            f"{effect.change.source} → {effect.change.target}: {effect.moved_calls:,} calls, "
            f"{_dollars(effect.monthly_before_usd)} → {_dollars(effect.monthly_after_usd)} "
            f"a month: {verb} {_dollars(abs(effect.saving_usd))}"
        )
    if result.changes:
        console.print(
            f"projected month after changes: {_dollars(result.monthly_after_changes_usd)}"
        )
    console.print(f"[dim]prices as of {prices_as_of()} (built-in) and the config's prices:[/]")


def _report_json(result: CostReport) -> dict[str, Any]:
    return {
        "since": result.since,
        "until": result.until,
        "by": result.by,
        "total": _row_json(result.total),
        "groups": [_row_json(row) for row in result.rows],
    }


def _row_json(row: CostRow) -> dict[str, Any]:
    return {
        "group": row.group,
        "calls": row.calls,
        "cost_usd": row.cost_usd,
        "cost_per_call_usd": row.cost_per_call_usd,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "retried_calls": row.retried_calls,
        "retries": row.retries,
        "fallback_calls": row.fallback_calls,
        "overhead_cost_usd": row.overhead_cost_usd,
        "overhead_share": row.overhead_share,
    }


def _projection_json(result: Projection) -> dict[str, Any]:
    return {
        "days": result.days,
        "growth": result.growth,
        "monthly_usd": result.monthly_usd,
        "models": [{**_row_json(m.observed), "monthly_usd": m.monthly_usd} for m in result.models],
        "route_changes": [
            {
                "from": e.change.source,
                "to": e.change.target,
                "moved_calls": e.moved_calls,
                "monthly_before_usd": e.monthly_before_usd,
                "monthly_after_usd": e.monthly_after_usd,
                "saving_usd": e.saving_usd,
            }
            for e in result.changes
        ],
        "monthly_after_changes_usd": result.monthly_after_changes_usd,
        "prices_as_of": prices_as_of(),
    }


def _title(what: str, since: float, until: float) -> str:
    def day(at: float) -> str:
        return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M")

    return f"{what}, {day(since)} → {day(until)} UTC"


def _dollars(value: float) -> str:
    return f"${value:,.2f}"
