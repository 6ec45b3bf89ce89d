"""The ``seawall`` command.

Command groups load on demand: ``seawall keys list`` imports the key commands, not the gateway,
the eval runner and the dashboard (importing every group costs seconds; one costs a fraction).
Each module keeps its Typer ``register(app)``; this table names the module and the one-line
help ``seawall --help`` shows without importing it.
"""

from __future__ import annotations

import importlib
import sys

import typer

# The order of ``seawall --help``: run it, check it, then each area.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "Start the gateway on the built-in simulator, drive traffic, print a report."),
    "serve": ("serve", "Serve the OpenAI-compatible gateway (POST /v1/chat/completions, ...)."),
    "check": ("check", "Validate a seawall.yaml: every field, provider and secret reference."),
    "readiness": ("readiness", "Score this deployment against the production checklist."),
    "traces": ("traces", "Inspect recorded calls."),
    "cost": ("cost", "Cost of recorded traffic, and the projected monthly bill."),
    "prompt": ("prompts", "Prompts as code: versions, labels, diffs, promotion, rollback."),
    "release": ("prompts", "Canary releases of prompts: what is live, its metrics, decisions."),
    "eval": ("evals", "Eval suites: run, compare runs for regressions, grow them from traces."),
    "review": ("review", "The human review queue of a running server."),
    "alerts": ("alerts", "Alert rules: their state, test notifications, Prometheus export."),
    "drift": ("drift", "Drift of inputs and outcomes against a reference window."),
    "keys": ("security", "Virtual API keys: create, list, revoke, rotate."),
    "audit": ("security", "The tamper-evident audit log: verify, export, list."),
    "retention": ("security", "Delete what the retention policy expired."),
    "guard": ("guard", "PII and prompt-injection detectors."),
    "sim": ("sim", "Run the Seawall SIMULATOR: a fake OpenAI / Anthropic upstream with faults."),
}

HELP = "Seawall: the production layer between your LLM application and its models."


def build_app(argv: list[str]) -> typer.Typer:
    """The ``seawall`` app for this command line: only the group it names is imported."""
    app = typer.Typer(
        name="seawall",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    # A callback keeps a one-command app a group: `seawall demo`, not a bare `seawall`.
    app.callback()(_root)
    wanted = argv[0] if argv else None
    if wanted in COMMANDS:
        importlib.import_module(f"seawall.cli.{COMMANDS[wanted][0]}").register(app)
        return app
    # `seawall`, `seawall --help` or a typo: list every command from the table, import nothing.
    for name, (_, text) in COMMANDS.items():
        app.command(name, help=text, add_help_option=False)(_listed)
    return app


def _root() -> None:
    """Seawall: the production layer between your LLM application and its models."""


def _listed() -> None:  # pragma: no cover - never reached: a named command loads its module
    raise typer.Exit(2)


def main() -> None:
    build_app(sys.argv[1:])(prog_name="seawall")
