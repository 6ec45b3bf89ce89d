"""``seawall eval``: run suites, compare runs, list and show them, grow suites from traces.

Exit codes (CI gates on them):
  0  thresholds met / no significant change / improved
  1  a threshold missed, or the candidate regressed
  2  usage or configuration error (bad suite, bad config, unknown run)
  3  the run is incomplete: some cases could not be judged (upstream errors)
  130  interrupted (Ctrl-C); the partial run is stored, marked "interrupted"
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, NoReturn

import sqlalchemy as sa
import typer
from rich.console import Console

from seawall.cli.evals_io import (
    EXIT_FAILED,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    fail,
    first_line,
    load,
    pick_format,
    problems,
    report,
    store_call,
)
from seawall.cli.traces import TraceLookupError, find_call, open_for_reading, redact, store_url
from seawall.configload import ConfigError
from seawall.evals.addcase import AddCaseError, add_case, case_from_trace, parse_expect
from seawall.evals.baseline import Baseline, find_baseline
from seawall.evals.calibration import calibrate
from seawall.evals.compare import Comparison, compare_runs
from seawall.evals.execute import RunSetupError, Where, run_suite, suite_store_url
from seawall.evals.load import LoadedSuite, SuiteError
from seawall.evals.progress import RunProgress
from seawall.evals.reports import FORMATS
from seawall.evals.reports.table import run_table, runs_table
from seawall.evals.results import Run
from seawall.evals.runner import RunSettings
from seawall.evals.stats import Verdict
from seawall.evals.store import EvalStore, RunLookupError
from seawall.evals.summary import summarize
from seawall.telemetry.records import CallRecord

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="seawall.yaml (default: the suite's target.config, else ./seawall.yaml).",
    ),
]
StoreOpt = Annotated[
    str | None,
    typer.Option("--store", help="Store URL of the runs (default: the config's store.url)."),
]
FormatOpt = Annotated[
    str, typer.Option("--format", "-f", help=f"Report format: {', '.join(FORMATS)}.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the report to this file (the table still prints)."),
]
ReadConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="Config file; only store.url is read.")
]
FailuresOpt = Annotated[
    bool, typer.Option("--failures", help="Table: list only cases that did not pass.")
]
ConfidenceOpt = Annotated[
    float,
    typer.Option(
        min=0.5, max=0.999, help="Confidence of the regression verdict (one-sided tests)."
    ),
]
CalibrationOpt = Annotated[
    bool,
    typer.Option(
        "--calibration",
        help="Also report how well the pipeline's confidence predicts passing answers "
        "(reliability table, ECE, escalation cut-offs).",
    ),
]


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command group to the ``seawall`` CLI."""
    group = typer.Typer(
        help="Eval suites: run them, compare runs for regressions, grow them from traces.\n\n"
        "Exit codes: 0 ok, 1 threshold missed or regressed, 2 usage/config error, "
        "3 incomplete (upstream errors), 130 interrupted.",
        no_args_is_help=True,
    )
    group.command("run")(run)
    group.command("compare")(compare)
    group.command("list")(list_runs)
    group.command("show")(show)
    group.command("add-case")(add_case_command)
    app.add_typer(group, name="eval")


# --------------------------------------------------------------------------- run


def run(
    suite: Annotated[Path, typer.Argument(help="The suite file, e.g. evals/support.yaml.")],
    config: ConfigOpt = None,
    gateway: Annotated[
        str | None,
        typer.Option(help="Run through this gateway (http://host:port) instead of in process."),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="SEAWALL_API_KEY", help="Key sent to the gateway as Bearer."),
    ] = None,
    store: StoreOpt = None,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", "-j", min=1, help="Calls in flight (default: the suite's)."),
    ] = None,
    samples: Annotated[
        int | None, typer.Option(min=1, max=100, help="Samples per case (default: the suite's).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the samples (default: the suite's).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Only cases with this tag (repeatable).")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Call the model even for outputs already cached.")
    ] = False,
    baseline: Annotated[
        str | None,
        typer.Option(
            help="Compare with this run: a run id, 'latest' (the newest complete run of the "
            "suite) or 'production' (prompt targets: the newest run of the version labelled "
            "production; run first when there is none)."
        ),
    ] = None,
    prompt_version: Annotated[
        int | None,
        typer.Option(
            "--prompt-version", min=1, help="Prompt targets: run this version of the prompt."
        ),
    ] = None,
    confidence: ConfidenceOpt = 0.95,
    calibration: CalibrationOpt = False,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    failures: FailuresOpt = False,
) -> None:
    """Run a suite: every case, every sample; print the report; exit non-zero on a miss.

    Outputs are cached per (target version, case, sample): rerunning an unchanged suite calls nothing. Ctrl-C stops the run and stores what finished, marked interrupted.
    """
    chosen = pick_format(fmt)
    loaded = load(suite)
    where = Where(config=config, gateway=gateway, api_key=api_key, store_url=store)
    settings = RunSettings(
        concurrency, samples, seed, not no_cache, tuple(tag or ()), prompt_version
    )
    started: list[Run] = []
    with _run_errors(started):
        base = _find_baseline(loaded, where, baseline, settings, started) if baseline else None
        with RunProgress(loaded.suite.name, sys.stderr) as progress:
            done = asyncio.run(
                run_suite(loaded, where, settings, on_start=started.append, on_result=progress)
            )
    summary = summarize(done, confidence)
    comparison = None
    if base is not None:
        comparison = store_call(
            suite_store_url(loaded, where),
            lambda s: _compare(s, base.run_id, done.run_id, confidence),
        )
    measured = calibrate(done.results) if calibration else None
    report(chosen, output, summary, comparison, failures, measured)
    raise typer.Exit(_run_exit(summary.thresholds_missed != [], summary.incomplete, comparison))


@contextlib.contextmanager
def _run_errors(started: list[Run]) -> Iterator[None]:
    """Turn what can stop a run into one line and an exit code (Ctrl-C: 130)."""
    try:
        yield
    except KeyboardInterrupt:
        _interrupted(started)
    except (ConfigError, SuiteError) as exc:
        problems(exc.path, exc.problems)
    except (RunSetupError, RunLookupError) as exc:
        fail(str(exc))
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        fail(f"cannot use the store: {first_line(exc)}")


def _find_baseline(
    loaded: LoadedSuite, where: Where, baseline: str, settings: RunSettings, started: list[Run]
) -> Baseline:
    errors = Console(stderr=True, highlight=False)

    def running(prompt: str, version: int) -> None:
        errors.print(
            f"baseline: no stored run of suite '{loaded.suite.name}' against {prompt}@{version} "
            "(production) yet: running the suite against it first"
        )

    async def find() -> Baseline:
        with RunProgress(f"{loaded.suite.name} (production)", sys.stderr) as progress:
            return await find_baseline(
                loaded,
                where,
                baseline,
                settings,
                on_run=running,
                on_start=started.append,
                on_result=progress,
            )

    found = asyncio.run(find())
    if found.version is not None and not found.ran:
        errors.print(f"baseline: run {found.run_id} of {found.prompt}@{found.version} (production)")
    return found


def _run_exit(missed: bool, incomplete: bool, comparison: Comparison | None) -> int:
    if missed or (comparison is not None and comparison.verdict is Verdict.REGRESSED):
        return EXIT_FAILED
    return EXIT_INCOMPLETE if incomplete else EXIT_OK


def _interrupted(started: list[Run]) -> NoReturn:
    if not started:
        fail("interrupted before the first sample", EXIT_INTERRUPTED)
    partial = started[0]
    summary = summarize(partial)
    Console(stderr=True, highlight=False).print(
        f"interrupted: stored the partial run {partial.run_id} ({len(partial.results)} of "
        f"{len(partial.cases) * partial.samples} samples), marked {partial.status}; "
        f"see `seawall eval show {partial.run_id}`"
    )
    Console(highlight=False).print(run_table(summary, failures_only=True))
    raise typer.Exit(EXIT_INTERRUPTED)


# --------------------------------------------------------------------------- compare, list, show


def compare(
    baseline: Annotated[str, typer.Argument(help="The baseline run id (or a unique prefix).")],
    candidate: Annotated[str, typer.Argument(help="The candidate run id (or a unique prefix).")],
    config: ReadConfigOpt = Path("seawall.yaml"),
    store: StoreOpt = None,
    confidence: ConfidenceOpt = 0.95,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    """Compare two stored runs: flipped cases, pass-rate deltas, and a regression verdict.

    The verdict is an exact McNemar test on the cases that flipped; exit 1 when "regressed".
    """
    chosen = pick_format(fmt)
    url = store_url(config, store)
    comparison = store_call(
        url, lambda s: _compare(s, baseline, candidate, confidence), create=False
    )
    report(chosen, output, None, comparison, False)
    raise typer.Exit(EXIT_FAILED if comparison.verdict is Verdict.REGRESSED else EXIT_OK)


async def _compare(runs: EvalStore, baseline: str, candidate: str, confidence: float) -> Comparison:
    before = await runs.get_run(baseline)
    after = await runs.get_run(candidate)
    return compare_runs(before, after, confidence)


def list_runs(
    config: ReadConfigOpt = Path("seawall.yaml"),
    store: StoreOpt = None,
    suite: Annotated[str | None, typer.Option(help="Only runs of this suite.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Runs to show.")] = 20,
) -> None:
    """List stored runs, newest first."""
    rows = store_call(store_url(config, store), lambda s: s.list_runs(suite, limit), create=False)
    if not rows:
        Console(highlight=False).print("no eval runs stored yet")
        return
    Console(highlight=False).print(runs_table(rows))


def show(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix), or 'latest'.")],
    config: ReadConfigOpt = Path("seawall.yaml"),
    store: StoreOpt = None,
    suite: Annotated[
        str | None, typer.Option(help="With 'latest': the newest run of this suite.")
    ] = None,
    calibration: CalibrationOpt = False,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    failures: FailuresOpt = False,
) -> None:
    """Show a stored run: every case, tag and threshold, in any report format."""
    chosen = pick_format(fmt)

    async def fetch(runs: EvalStore) -> Run:
        if run_id == "latest":
            newest = await runs.list_runs(suite, limit=1)
            if not newest:
                raise RunLookupError("no eval runs stored yet")
            return await runs.get_run(newest[0].run_id)
        return await runs.get_run(run_id)

    found = store_call(store_url(config, store), fetch, create=False)
    measured = calibrate(found.results) if calibration else None
    report(chosen, output, summarize(found), None, failures, measured)


# --------------------------------------------------------------------------- add-case


def add_case_command(
    from_trace: Annotated[
        str, typer.Option("--from-trace", help="Trace id (or unique prefix) of the recorded call.")
    ],
    suite: Annotated[Path, typer.Option("--suite", help="The suite file to add the case to.")],
    expect: Annotated[
        list[str],
        typer.Option(
            help="What the answer must do: TYPE:VALUE (contains:30 days, regex:^Yes), TYPE (refusal, is_json) or a mapping '{type: json_path, path: $.a, equals: 1}'. Repeatable."
        ),
    ],
    case_id: Annotated[
        str | None, typer.Option("--id", help="Case id (default: trace-<id prefix>).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Extra tag besides 'regression'.")
    ] = None,
    config: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Turn a recorded call (a production failure) into a regression case of a suite.

    The call's messages become the case's messages (tagged regression); the file keeps its comments.
    """
    loaded = load(suite)
    try:
        expectations = [parse_expect(e) for e in expect]
        url = suite_store_url(loaded, Where(config=config, store_url=store))
    except AddCaseError as exc:
        fail(str(exc), EXIT_USAGE)
    except ConfigError as exc:
        problems(exc.path, exc.problems)
    record = _calls_call(url, from_trace)
    try:
        case = case_from_trace(record, expectations, case_id=case_id, tags=tag)
        add_case(
            suite, case, comment=f"added by `seawall eval add-case` from trace {record.trace_id}"
        )
    except AddCaseError as exc:
        fail(str(exc), EXIT_USAGE)
    except SuiteError as exc:
        problems(exc.path, exc.problems)
    Console(highlight=False).print(
        f"[green]✓[/] added case '{case['id']}' (tags: {', '.join(case['tags'])}) to {suite}"
    )


def _calls_call(url: str, trace_id: str) -> CallRecord:
    async def go() -> CallRecord:
        calls = open_for_reading(url)
        try:
            return await find_call(calls, trace_id)
        finally:
            await calls.aclose()

    try:
        return asyncio.run(go())
    except TraceLookupError as exc:
        fail(str(exc), EXIT_USAGE)
    except (sa.exc.SQLAlchemyError, OSError, ValueError) as exc:
        fail(f"cannot read the store at {redact(url)}: {first_line(exc)}", EXIT_USAGE)
