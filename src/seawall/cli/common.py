"""Helpers shared by commands: loading config with clear errors, the console."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from seawall.configload import ConfigError, Loaded, load_config

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

EXIT_CONFIG = 2


def load_or_exit(path: Path) -> Loaded:
    """Load a config, or print every problem (file:line: field: expected) and exit 2."""
    try:
        return load_config(path)
    except ConfigError as exc:
        errors.print(f"[bold red]✗ {exc.path}: the configuration is not valid[/]")
        for problem in exc.problems:
            errors.print(f"  {exc.path}:{problem.lstrip()}", markup=False)
        raise typer.Exit(EXIT_CONFIG) from None


def print_warnings(loaded: Loaded) -> None:
    for warning in loaded.warnings:
        errors.print(f"[yellow]! {loaded.path}: {warning}[/]")
