"""Live progress of a run: a Rich bar on a terminal, plain lines anywhere else (CI logs).

Both go to stderr, so ``--format json`` on stdout stays machine-readable.
"""

from __future__ import annotations

from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from seawall.evals.results import SampleResult

_PLAIN_STEPS = 20  # a plain line every 5% of the samples (and after the first one)


class RunProgress:
    """The ``on_result`` callback of a run; use as a context manager around the run."""

    def __init__(self, label: str, stream: TextIO, *, live: bool | None = None) -> None:
        self._label = label
        self._stream = stream
        self._live = stream.isatty() if live is None else live
        self._failed = 0
        self._errors = 0
        self._last_step = -1
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> RunProgress:
        if self._live:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed, {task.fields[errors]} errors"),
                TimeElapsedColumn(),
                console=Console(file=self._stream),
                transient=True,
            )
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, result: SampleResult, done: int, total: int) -> None:
        self._failed += result.status == "fail"
        self._errors += result.status == "error"
        if self._bar is not None:
            if self._task is None:
                self._task = self._bar.add_task(self._label, total=total, failed=0, errors=0)
            self._bar.update(self._task, completed=done, failed=self._failed, errors=self._errors)
            return
        step = done * _PLAIN_STEPS // total
        if step != self._last_step or done == 1:
            self._last_step = step
            self._stream.write(
                f"{self._label}: {done}/{total} samples done "
                f"({self._failed} failed, {self._errors} errors)\n"
            )
            self._stream.flush()
