"""``seawall prompt promote|rollback`` and ``seawall release status``: releasing prompt versions.

``promote NAME@V`` is the gate: the prompt's eval suite runs in process against the candidate
and against the version in production; a regression, a missed threshold or an incomplete run
stops the promotion with the report (exit 1, 3 when incomplete). Otherwise the candidate
becomes the ``canary`` (the first version of a prompt goes straight to ``production``) and
the gateway's controller takes over. Every outcome is audited. Like the other prompt
commands these run against the store directly; a running gateway sees the change within its
refresh interval (2 s).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import sqlalchemy as sa
import typer
from rich.console import Console

from seawall.cli.common import load_or_exit
from seawall.cli.release_view import print_promoted, print_rollback, print_status
from seawall.cli.security import operator
from seawall.cli.traces import first_line, redact
from seawall.config import Config
from seawall.configload import ConfigError
from seawall.core.clock import SystemClock
from seawall.core.errors import SeawallError
from seawall.evals.compare import Comparison, compare_runs
from seawall.evals.execute import RunSetupError, run_for_prompt_version
from seawall.evals.load import SuiteError, load_suite
from seawall.evals.reports.table import comparison_table, run_table
from seawall.evals.results import Run
from seawall.evals.stats import Verdict
from seawall.evals.summary import summarize
from seawall.prompts import PromptVersion, parse_ref
from seawall.releases.controller import Release
from seawall.releases.runtime import Releases
from seawall.security.service import Security
from seawall.wiring import StartupError, audit_key

T = TypeVar("T")
EXIT_REFUSED, EXIT_USAGE, EXIT_INCOMPLETE = 1, 2, 3

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="seawall.yaml: the store, and the models evals call.")
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]


class Refused(Exception):
    """The eval gate said no; ``code`` is the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- commands


def promote(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION of the candidate.")],
    finish: Annotated[
        bool, typer.Option("--finish", help="Promote the live canary now (after it passed).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --finish: also before the canary passed.")
    ] = False,
    reason: ReasonOption = "",
    config: ConfigOption = Path("seawall.yaml"),
) -> None:
    """Gate NAME@V on its eval suite against production, then start its canary (or --finish it)."""
    name, wanted = _ref(ref)
    cfg = load_or_exit(config).config
    who = operator()
    if wanted is None and not finish:
        _fail(f"say which version to promote: {name}@VERSION", EXIT_USAGE)
    try:
        if finish:
            done = _run(cfg, lambda r: _finish(r, name, wanted, who, reason, force))
        else:
            assert wanted is not None
            done = _run(cfg, lambda r: _promote(r, cfg, config, name, wanted, who, reason))
    except Refused as exc:
        typer.echo(f"✗ promotion refused: {exc}", err=True)
        raise typer.Exit(exc.code) from None
    print_promoted(done)


def rollback(
    name: Annotated[str, typer.Argument(help="Prompt name.")],
    reason: ReasonOption = "",
    config: ConfigOption = Path("seawall.yaml"),
) -> None:
    """Stop the live canary, or put the previous production version back, at once."""
    cfg = load_or_exit(config).config
    done = _run(cfg, lambda releases: releases.manager.rollback(name, operator(), reason=reason))
    print_rollback(done)


def status(
    name: Annotated[str | None, typer.Argument(help="Prompt name (default: every prompt).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOption = Path("seawall.yaml"),
) -> None:
    """What is live: the canary's share, its metrics against production, every decision and why."""
    cfg = load_or_exit(config).config
    found = _run(cfg, lambda releases: releases.manager.status(name))
    print_status(found, as_json=as_json)


# --------------------------------------------------------------------------- the gate


async def _promote(
    releases: Releases,
    cfg: Config,
    config: Path,
    name: str,
    wanted: int | str,
    who: str,
    reason: str,
) -> Release:
    candidate = await releases.registry.get(name, wanted)
    production = (await releases.registry.labels(name)).get("production")
    if production == candidate.version:
        raise Refused(f"{candidate.ref} is already in production", EXIT_USAGE)
    suite = _suite_path(candidate, config)
    _check_suite(suite, candidate)
    try:
        evidence = await _gate(suite, config, cfg, candidate, production)
    except Refused as exc:
        detail = {"reason": str(exc), "suite": str(suite), "candidate": candidate.version}
        await releases.manager.audit_refusal(name, candidate.version, who, detail)
        raise
    return await releases.manager.start_canary(
        name, candidate.version, who, reason=reason, evidence=evidence
    )


async def _gate(
    suite: Path, config: Path, cfg: Config, candidate: PromptVersion, production: int | None
) -> dict[str, Any]:
    """Run the suite against both versions; print the report; ``Refused`` unless it passes."""
    url = cfg.store.url
    typer.echo(f"running {suite} against {candidate.ref} …", err=True)
    try:
        ran = await run_for_prompt_version(suite, config, candidate.version, store_url=url)
        base: Run | None = None
        if production is not None:
            typer.echo(f"running {suite} against {candidate.name}@{production} …", err=True)
            base = await run_for_prompt_version(suite, config, production, store_url=url)
    except SuiteError as exc:
        raise Refused(_problems(exc), EXIT_USAGE) from exc
    except (ConfigError, RunSetupError) as exc:
        raise Refused(first_line(exc), EXIT_USAGE) from exc
    summary = summarize(ran)
    comparison = compare_runs(base, ran) if base is not None else None
    console = Console(highlight=False)
    console.print(run_table(summary))
    if comparison is not None:
        console.print(comparison_table(comparison))
    _verdict(summary.thresholds_missed, summary.incomplete, comparison)
    return {
        "suite": str(suite),
        "candidate_run": ran.run_id,
        "baseline_run": base.run_id if base is not None else None,
        "pass_rate": summary.overall.rate,
        "verdict": comparison.verdict.value if comparison is not None else None,
    }


def _verdict(missed: list[Any], incomplete: bool, comparison: Comparison | None) -> None:
    if comparison is not None and comparison.verdict == Verdict.REGRESSED:
        cases = ", ".join(comparison.regressed[:10])
        raise Refused(
            f"the candidate regressed against production ({len(comparison.regressed)} cases "
            f"went from pass to fail: {cases}; p = {comparison.test.p_regressed:.3g})",
            EXIT_REFUSED,
        )
    if missed:
        names = ", ".join(f"{t.name} {t.actual:.0%} < {t.required:.0%}" for t in missed)
        raise Refused(f"the candidate missed its thresholds ({names})", EXIT_REFUSED)
    if incomplete:
        raise Refused(
            "the eval run is incomplete (some cases could not be judged: upstream errors)",
            EXIT_INCOMPLETE,
        )


def _suite_path(candidate: PromptVersion, config: Path) -> Path:
    written = candidate.spec.eval_suite
    if written is None:
        raise Refused(
            f"{candidate.ref} has no eval_suite: promotion is gated by one (set eval_suite in "
            "the prompt file and push it)",
            EXIT_USAGE,
        )
    path = Path(written)
    if path.is_absolute() or path.exists():
        return path
    beside = config.parent / path  # paths in a prompt file are relative to the project
    return beside if beside.exists() else path


def _check_suite(suite: Path, candidate: PromptVersion) -> None:
    try:
        loaded = load_suite(suite)
    except SuiteError as exc:
        raise Refused(_problems(exc), EXIT_USAGE) from exc
    ref = loaded.suite.target.prompt_ref
    if ref is None or ref[0] != candidate.name:
        target = f"prompt {ref[0]}" if ref else f"model {loaded.suite.target.model}"
        raise Refused(
            f"{suite} targets {target}, not prompt {candidate.name}: the gate runs the prompt's "
            "own suite (target: {prompt: NAME@production})",
            EXIT_USAGE,
        )


async def _finish(
    releases: Releases, name: str, wanted: int | str | None, who: str, reason: str, force: bool
) -> Release:
    live = await releases.store.live(name)
    if live and wanted is not None:
        version = (await releases.registry.get(name, wanted)).version
        if version != live[-1].candidate:
            raise Refused(
                f"the live canary of {name} is {name}@{live[-1].candidate}, not {name}@{version}",
                EXIT_USAGE,
            )
    return await releases.manager.finish(name, who, reason=reason, force=force)


# --------------------------------------------------------------------------- plumbing


def _run(cfg: Config, action: Callable[[Releases], Awaitable[T]]) -> T:
    """Open the store (migrated), run ``action``, close; every failure is one line and exit 1."""
    url = cfg.store.url

    async def go() -> T:
        security = Security(url, cfg.auth, SystemClock(), audit_key(cfg))
        releases = await Releases.open(url, security, SystemClock())
        try:
            return await action(releases)
        finally:
            await releases.aclose()
            await security.aclose()

    try:
        return asyncio.run(go())
    except Refused:
        raise
    except SeawallError as exc:
        _fail(exc.message)
    except StartupError as exc:
        _fail(str(exc))
    except (sa.exc.SQLAlchemyError, OSError, ValueError) as exc:
        _fail(f"cannot use the store at {redact(url)}: {first_line(exc)}")


def _ref(text: str) -> tuple[str, int | str | None]:
    try:
        return parse_ref(text)
    except SeawallError as exc:
        _fail(exc.message, EXIT_USAGE)


def _problems(exc: SuiteError) -> str:
    return "; ".join(f"{exc.path}:{p.lstrip()}" for p in exc.problems)


def _fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    typer.echo(f"seawall: {message}", err=True)
    raise typer.Exit(code)
