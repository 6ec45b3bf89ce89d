"""``seawall alerts``: the rules and their state, test notifications, Prometheus export."""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
import yaml
from pydantic import ValidationError
from rich.table import Table

from seawall.alerts.catalog import RuleEntry, build_catalog, find_rule
from seawall.alerts.config import AlertsConfig
from seawall.alerts.events import AlertEvent
from seawall.alerts.notifiers import DeliveryResult, Notifiers
from seawall.alerts.prometheus import export_prometheus
from seawall.alerts.store import Series, SqlAlertStore
from seawall.cli.common import EXIT_CONFIG, console, errors, load_or_exit
from seawall.config import Config
from seawall.configload import ConfigError, Loaded, config_warnings, missing_secrets, parse_config
from seawall.store.calls import open_store
from seawall.store.engine import sqlite_path

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Config file.")]
_TOP_LEVEL_KEY = re.compile(r"^[^\s#]")


def register(app: typer.Typer) -> None:
    """Add the ``alerts`` command group to the ``seawall`` CLI."""
    alerts = typer.Typer(
        help="Alert rules: their state, test notifications, Prometheus export.",
        no_args_is_help=True,
    )
    alerts.command("list")(list_rules)
    alerts.command("test")(send_test)
    alerts.command("export")(export)
    app.add_typer(alerts, name="alerts")


# --------------------------------------------------------------------------- config


def alerts_config(loaded_or_path: Loaded | Path) -> AlertsConfig:
    """The ``alerts:`` section: from the root config once it has one, else read from the file."""
    if isinstance(loaded_or_path, Loaded):
        embedded = getattr(loaded_or_path.config, "alerts", None)
        if isinstance(embedded, AlertsConfig):
            return embedded
        path = Path(loaded_or_path.path)
    else:
        path = loaded_or_path
    try:
        raw = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        _config_exit(path, f"cannot read the alerts section: {exc}")
    section = raw.get("alerts") if isinstance(raw, dict) else None
    try:
        return AlertsConfig.model_validate(section or {})
    except ValidationError as exc:
        errors.print(f"[bold red]✗ {path}: the configuration is not valid[/]")
        for err in exc.errors():
            where = ".".join(("alerts", *_without_kind_tag(tuple(str(p) for p in err["loc"]))))
            message = err["msg"].removeprefix("Value error, ")
            errors.print(f"  {path}: {where}: {message}", markup=False)
        raise typer.Exit(EXIT_CONFIG) from None


def _without_kind_tag(loc: tuple[str, ...]) -> tuple[str, ...]:
    # pydantic puts the discriminator into the path (rules.0.error_rate.threshold): drop it.
    if len(loc) > 2 and loc[0] in ("rules", "notifiers"):
        return loc[:2] + loc[3:]
    return loc


def load_with_alerts(path: Path) -> tuple[Loaded, AlertsConfig]:
    """The root config and its alerts section, each validated, errors printed, exit 2."""
    if "alerts" in Config.model_fields:
        loaded = load_or_exit(path)
        return loaded, alerts_config(loaded)
    # Until the root model has ``alerts``, it refuses the key: blank that block out (keeping
    # line numbers right for other errors) and validate the section on its own.
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        _config_exit(path, f"cannot read the file: {exc.strerror or exc}")
    try:
        config = parse_config(_without_alerts(text), str(path))
        missing = missing_secrets(config, os.environ)
        if missing:
            raise ConfigError(str(path), missing)
    except ConfigError as exc:
        errors.print(f"[bold red]✗ {exc.path}: the configuration is not valid[/]")
        for problem in exc.problems:
            errors.print(f"  {exc.path}:{problem.lstrip()}", markup=False)
        raise typer.Exit(EXIT_CONFIG) from None
    loaded = Loaded(config, str(path), config_warnings(config))
    return loaded, alerts_config(path)


def _without_alerts(text: str) -> str:
    lines = text.splitlines()
    inside = False
    for i, line in enumerate(lines):
        if _TOP_LEVEL_KEY.match(line):
            inside = line.startswith("alerts:")
        if inside:
            lines[i] = ""
    return "\n".join(lines) + "\n"


def _config_exit(path: Path, message: str) -> Any:
    errors.print(f"[bold red]✗ {path}: {message}[/]")
    raise typer.Exit(EXIT_CONFIG)


def _rule_or_exit(path: Path, catalog: list[RuleEntry], name: str) -> RuleEntry:
    entry = find_rule(catalog, name)
    if entry is None:
        known = ", ".join(e.name for e in catalog) or "none"
        _config_exit(path, f"alerts: no rule named '{name}' (known: {known})")
    assert entry is not None
    return entry


# --------------------------------------------------------------------------- list


def list_rules(
    config: ConfigOption = Path("seawall.yaml"),
    store: Annotated[
        str | None, typer.Option("--store", help="Store URL (overrides store.url).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List the rules, the state of each alert (per label set) and when it last fired."""
    loaded, cfg = load_with_alerts(config)
    catalog = build_catalog(cfg)
    series = asyncio.run(_stored_series(store or loaded.config.store.url))
    rows = list(_list_rows(catalog, series))
    if as_json:
        for row in rows:
            console.print(orjson.dumps(row).decode(), markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(title="Alert rules", title_justify="left")
    for column in ("rule", "kind", "severity", "state", "labels", "last fired"):
        table.add_column(column, no_wrap=column != "labels")
    table.add_column("summary", overflow="fold", ratio=1)
    style = {"firing": "bold red", "resolving": "yellow", "pending": "yellow", "ok": "green"}
    for row in rows:
        labels = " ".join(f"{k}={v}" for k, v in sorted(row["labels"].items())) or "—"
        table.add_row(
            row["rule"],
            row["kind"],
            row["severity"],
            f"[{style[row['state']]}]{row['state']}[/]",
            labels,
            _when(row["last_fired"]),
            row["summary"] or row["description"],
        )
    console.print(table)


async def _stored_series(url: str) -> list[Series]:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return []  # no store yet: nothing ever fired
    opened = await open_store(url)
    try:
        return await SqlAlertStore(opened.engine).load()
    finally:
        await opened.aclose()


def _list_rows(catalog: list[RuleEntry], series: list[Series]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for entry in catalog:
        mine = [s for s in series if s.rule == entry.name]
        base = {
            "rule": entry.name,
            "kind": entry.kind,
            "severity": entry.severity,
            "description": entry.description,
            "runbook_url": entry.runbook_url,
        }
        if not mine:
            rows.append({**base, "state": "ok", "labels": {}, "last_fired": None, "summary": ""})
        for s in sorted(mine, key=lambda s: -(s.state.fired_at or 0)):
            state = "ok" if s.state.phase == "inactive" else s.state.phase
            rows.append(
                {
                    **base,
                    "state": state,
                    "labels": s.labels,
                    "last_fired": s.state.fired_at,
                    "summary": s.summary,
                }
            )
    return rows


def _when(at: float | None) -> str:
    if at is None:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


# --------------------------------------------------------------------------- test


def send_test(
    rule: Annotated[str, typer.Argument(help="Name of the rule (see `seawall alerts list`).")],
    config: ConfigOption = Path("seawall.yaml"),
    attempts: Annotated[
        int | None,
        typer.Option(min=1, help="Attempts per notifier (default: each notifier's retry setting)."),
    ] = None,
) -> None:
    """Send a test notification of RULE through its notifiers and report each result."""
    cfg = alerts_config(config)
    entry = _rule_or_exit(config, build_catalog(cfg), rule)
    event = AlertEvent(
        rule=entry.name,
        kind=entry.kind,
        status="firing",
        severity=entry.severity,
        labels={**entry.labels, "test": "true"},
        summary=f"test notification from `seawall alerts test` ({entry.description})",
        runbook_url=entry.runbook_url,
        at=time.time(),
        series="test",
        test=True,
    )
    results = asyncio.run(_send_test(cfg, entry, event, attempts))
    if not results:
        _config_exit(config, f"alerts.rules: rule '{rule}' routes to no configured notifier")
    table = Table(title=f"Test notification of {entry.name}", title_justify="left")
    for column in ("notifier", "kind", "result", "attempts", "error"):
        table.add_column(column, overflow="fold")
    for result in results:
        kind = cfg.notifiers[result.notifier].kind
        shown = "[green]delivered[/]" if result.ok else "[bold red]failed[/]"
        table.add_row(result.notifier, kind, shown, str(result.attempts), result.error or "")
    console.print(table)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


async def _send_test(
    cfg: AlertsConfig, entry: RuleEntry, event: AlertEvent, attempts: int | None
) -> list[DeliveryResult]:
    notifiers = Notifiers.from_config(cfg.notifiers)
    try:
        return await notifiers.test(event, entry.notify, max_attempts=attempts)
    finally:
        await notifiers.aclose()


# --------------------------------------------------------------------------- export


def export(
    config: ConfigOption = Path("seawall.yaml"),
    prometheus: Annotated[
        bool, typer.Option("--prometheus", help="Prometheus alerting rules (YAML).")
    ] = False,
) -> None:
    """Print the rules in another system's format (today: ``--prometheus``)."""
    if not prometheus:
        errors.print("[bold red]✗ choose a format: --prometheus[/]")
        raise typer.Exit(EXIT_CONFIG)
    typer.echo(export_prometheus(alerts_config(config)), nl=False)
