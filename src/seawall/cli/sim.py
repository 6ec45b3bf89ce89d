"""``seawall sim``: serve the simulated upstream over HTTP (a SIMULATOR, never a real model)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import yaml
from pydantic import ValidationError

from seawall.cli.common import EXIT_CONFIG, console, errors
from seawall.config import SimSettings

_HELP = (
    "Run the Seawall SIMULATOR: a fake OpenAI / Anthropic upstream with injected faults."
    "\n\n"
    "Answers are synthetic and deterministic (same seed and request, same answer). Use it for"
    " load tests, chaos tests, demos and offline work: point a provider at http://HOST:PORT/v1"
    " (OpenAI dialect) or http://HOST:PORT (Anthropic dialect)."
    "\n\n"
    'Change faults at runtime: POST /sim/outage {"seconds": 30} (null: until ended, 0: end),'
    ' POST /sim/faults {"rate_500": 0.2} (replaces all fault settings); read GET /sim/stats.'
)


def register(app: typer.Typer) -> None:
    """Add ``seawall sim`` to the CLI."""
    app.command("sim", help=_HELP)(sim_command)


def sim_command(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 9100,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            exists=True,
            dir_okay=False,
            help="YAML file of simulator settings: seed, latency, faults, scenarios.",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed for answers and faults (default: the file's, else 0).")
    ] = None,
    latency_ms: Annotated[
        float | None, typer.Option(min=0, help="Fixed latency of every call, in ms.")
    ] = None,
    error_rate: Annotated[
        float | None, typer.Option(min=0, max=1, help="Share of calls answered HTTP 500.")
    ] = None,
) -> None:
    """Run the simulator until interrupted."""
    from seawall.sim.server import run  # the server stack loads only for this command

    settings = apply_overrides(load_settings(config), seed, latency_ms, error_rate)
    banner(settings, host, port)
    run(host, port, settings)


def load_settings(path: Path | None) -> SimSettings:
    """Settings from a YAML file, or defaults; exits 2 naming every bad field."""
    if path is None:
        return SimSettings()
    try:
        raw: Any = yaml.safe_load(path.read_text("utf-8")) or {}
        return SimSettings.model_validate(raw)
    except yaml.YAMLError as exc:
        _fail(path, [f"not valid YAML: {exc}"])
    except ValidationError as exc:
        _fail(
            path, [f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()]
        )


def _fail(path: Path, problems: list[str]) -> NoReturn:
    errors.print(f"[bold red]✗ {path}: the simulator settings are not valid[/]")
    for problem in problems:
        errors.print(f"  {path}: {problem}", markup=False)
    raise typer.Exit(EXIT_CONFIG)


def apply_overrides(
    settings: SimSettings, seed: int | None, latency_ms: float | None, error_rate: float | None
) -> SimSettings:
    """Command-line options win over the file."""
    update: dict[str, Any] = {}
    if seed is not None:
        update["seed"] = seed
    if latency_ms is not None:
        update["latency"] = settings.latency.model_copy(update={"fixed_ms": latency_ms})
    if error_rate is not None:
        update["faults"] = settings.faults.model_copy(update={"rate_500": error_rate})
    return settings.model_copy(update=update)


def banner(settings: SimSettings, host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    console.print("[bold yellow]SIMULATOR[/] — synthetic answers, not a model (seawall-sim)")
    console.print(f"  listening           [cyan]{base}[/]")
    console.print(f"  OpenAI base_url     {base}/v1")
    console.print(f"  Anthropic base_url  {base}")
    console.print("  control             POST /sim/outage · POST /sim/faults · GET /sim/stats")
    console.print(
        f"  seed {settings.seed} · latency {_latency(settings)} · faults {_faults(settings)}"
    )


def _latency(settings: SimSettings) -> str:
    latency = settings.latency
    if latency.fixed_ms is not None:
        return f"{latency.fixed_ms:g} ms"
    if latency.p50_ms:
        return f"p50 {latency.p50_ms:g} ms / p99 {max(latency.p99_ms, latency.p50_ms):g} ms"
    return "none"


def _faults(settings: SimSettings) -> str:
    rates = {
        name.removeprefix("rate_"): value
        for name, value in settings.faults.model_dump().items()
        if name.startswith("rate_") and value
    }
    shown = [f"{name} {value * 100:g}%" for name, value in rates.items()]
    if settings.faults.outage:
        shown.append("OUTAGE")
    return ", ".join(shown) or "none"
