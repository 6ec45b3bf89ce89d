"""``seawall check``: validate a config without starting anything."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seawall.cli.common import console, load_or_exit, print_warnings


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check(
        config: Annotated[Path, typer.Argument(help="Config file to validate.")] = Path(
            "seawall.yaml"
        ),
        strict: Annotated[bool, typer.Option(help="Treat warnings as errors (exit 1).")] = False,
    ) -> None:
        """Validate a seawall.yaml: every field, provider reference and secret reference.

        Exit codes: 0 valid, 1 valid with warnings under --strict, 2 invalid.
        """
        loaded = load_or_exit(config)
        cfg = loaded.config
        console.print(
            f"[green]✓[/] {config}: valid — {len(cfg.providers)} provider(s), "
            f"{len(cfg.models)} model(s): {', '.join(cfg.models)}"
        )
        print_warnings(loaded)
        if strict and loaded.warnings:
            raise typer.Exit(1)
