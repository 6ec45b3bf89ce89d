"""What the ``seawall eval`` commands share: exit codes, loading, reports, store access, errors."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import sqlalchemy as sa
import typer
from rich.console import Console, RenderableType

from seawall.cli.traces import redact
from seawall.evals.calibration import Calibration
from seawall.evals.compare import Comparison
from seawall.evals.load import LoadedSuite, SuiteError, load_suite
from seawall.evals.reports import FORMATS, Format, render
from seawall.evals.reports.calibration import calibration_table
from seawall.evals.reports.table import comparison_table, run_table
from seawall.evals.store import EvalStore, RunLookupError
from seawall.evals.summary import RunSummary

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
T = TypeVar("T")


def load(path: Path) -> LoadedSuite:
    """The suite at ``path``, or its problems and exit 2."""
    try:
        return load_suite(path)
    except SuiteError as exc:
        problems(exc.path, exc.problems)


def pick_format(fmt: str) -> Format:
    """``--format`` checked against the known formats."""
    for known in FORMATS:
        if fmt == known:
            return known
    fail(f"--format: unknown format '{fmt}' (use one of {', '.join(FORMATS)})", EXIT_USAGE)


def report(
    fmt: Format,
    output: Path | None,
    run_summary: RunSummary | None,
    comparison: Comparison | None,
    failures: bool,
    calibration: Calibration | None = None,
) -> None:
    """Print (table) or write (other formats, or ``--output``) the report."""
    if fmt == "table" or output is not None:
        parts: list[RenderableType] = []
        if run_summary is not None:
            parts.append(run_table(run_summary, failures_only=failures))
        if calibration is not None:
            parts.append(calibration_table(calibration))
        if comparison is not None:
            parts.append(comparison_table(comparison))
        console = Console(highlight=False, record=output is not None and fmt == "table")
        for part in parts:
            console.print(part)
        if output is not None and fmt == "table":
            output.write_text(console.export_text(), "utf-8")
            return
    if fmt != "table":
        text = render(fmt, run_summary, comparison, calibration)
        if output is not None:
            output.write_text(text, "utf-8")
        else:
            sys.stdout.write(text)


def store_call(url: str, action: Callable[[EvalStore], Awaitable[T]], *, create: bool = True) -> T:
    """Run ``action`` on the eval store at ``url``; a lookup or store error is one line, exit 2."""

    async def go() -> T:
        runs = await EvalStore.open(url, create=create)
        try:
            return await action(runs)
        finally:
            await runs.aclose()

    try:
        return asyncio.run(go())
    except RunLookupError as exc:
        fail(str(exc), EXIT_USAGE)
    except (sa.exc.SQLAlchemyError, OSError, ValueError) as exc:
        fail(f"cannot read the store at {redact(url)}: {first_line(exc)}", EXIT_USAGE)


def first_line(exc: BaseException) -> str:
    """The first line of an error (a database driver's own when wrapped)."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip()
    return text.splitlines()[0] if text else type(original).__name__


def problems(path: str, found: list[str]) -> NoReturn:
    """Every problem of a file, one per line, then exit 2."""
    errors = Console(stderr=True, highlight=False)
    errors.print(f"[bold red]✗ {path}: cannot run[/]")
    for problem in found:
        errors.print(f"  {path}:{problem.lstrip()}", markup=False)
    raise typer.Exit(EXIT_USAGE)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """One line on stderr, then exit ``code``."""
    typer.echo(f"seawall: {message}", err=True)
    raise typer.Exit(code)
