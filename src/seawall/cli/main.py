"""The ``seawall`` command."""

from __future__ import annotations

import typer

import seawall.cli.sim as sim_cli
from seawall.cli import (
    alerts,
    check,
    cost,
    demo,
    drift,
    evals,
    guard,
    prompts,
    readiness,
    review,
    security,
    serve,
    traces,
)

app = typer.Typer(
    name="seawall",
    help="Seawall: the production layer between your LLM application and its models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# The order of ``seawall --help``: run it, check it, then each area.
for module in (
    demo,
    serve,
    check,
    readiness,
    traces,
    cost,
    prompts,
    evals,
    review,
    alerts,
    drift,
    security,
    guard,
    sim_cli,
):
    module.register(app)


def main() -> None:
    app()
