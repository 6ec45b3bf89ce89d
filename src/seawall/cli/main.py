"""The ``seawall`` command."""

from __future__ import annotations

import typer

import seawall.cli.sim as sim_cli
from seawall.cli import check, demo, readiness, security, serve, traces

app = typer.Typer(
    name="seawall",
    help="Seawall: the production layer between your LLM application and its models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (demo, serve, check, traces, sim_cli, security, readiness):
    module.register(app)


def main() -> None:
    app()
