"""Run a suite: every (case, sample) once, ``concurrency`` at a time, results in case order.

Results do not depend on scheduling: each sample's request carries its own seed, assertions
are pure, and results are placed by position, so a run at concurrency 20 equals a sequential
one. A failed or slow call is an ``error`` result of that sample (bounded by ``timeout_s``),
never a failed assertion and never a hung run. Cancelling the run (Ctrl-C) stops the workers;
the results so far stay in ``run.results`` and the run is marked ``interrupted``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from seawall.evals.assertions import evaluate
from seawall.evals.assertions.base import CheckContext, CheckError, JudgeClient
from seawall.evals.cache import OutputCache
from seawall.evals.results import AssertionResult, CaseInfo, Output, Run, SampleResult, Status
from seawall.evals.suite import Case, Suite
from seawall.evals.targets import Target, TargetError

Progress = Callable[[SampleResult, int, int], None]
"""Called after each sample with (result, samples done, samples in the run)."""


@dataclass(frozen=True, slots=True)
class RunSettings:
    """How to run a suite; ``None`` takes the suite's own value."""

    concurrency: int | None = None
    samples: int | None = None
    seed: int | None = None
    use_cache: bool = True
    tags: tuple[str, ...] = ()  # only cases with one of these tags (all when empty)
    prompt_version: int | None = None  # a prompt target: this version, not the suite's ref


@dataclass
class Runner:
    """Runs one suite against one target."""

    suite: Suite
    target: Target
    cache: OutputCache | None = None
    judge: JudgeClient | None = None
    plugins: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    concurrency: int = 8
    timeout_s: float = 120.0
    on_result: Progress | None = None

    async def run(self, run: Run) -> Run:
        """Fill ``run.results``; on cancellation keep the finished ones, then re-raise."""
        cases = {case.id: case for case in self.suite.cases}
        work = [(cases[info.id], n) for info in run.cases for n in range(run.samples)]
        slots: list[SampleResult | None] = [None] * len(work)
        try:
            if self.cache is not None:
                keys = (self.target.cache_key(case, n) for case, n in work)
                await self.cache.preload(k for k in keys if k is not None)
            await self._work(work, slots)
            run.status = "complete"
        except asyncio.CancelledError:
            run.status = "interrupted"
            raise
        finally:
            run.results = [r for r in slots if r is not None]
            run.finished_at = time.time()
            if self.cache is not None:
                await asyncio.shield(self.cache.flush())
        return run

    async def _work(self, work: list[tuple[Case, int]], slots: list[SampleResult | None]) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(len(work)):
            queue.put_nowait(index)
        done = 0

        async def worker() -> None:
            nonlocal done
            while not queue.empty():
                index = queue.get_nowait()
                case, sample = work[index]
                slots[index] = result = await self.sample(case, sample)
                done += 1
                if self.on_result is not None:
                    self.on_result(result, done, len(work))

        async with asyncio.TaskGroup() as group:
            for _ in range(min(self.concurrency, len(work))):
                group.create_task(worker())

    async def sample(self, case: Case, sample: int) -> SampleResult:
        """One sample of one case: get the output (cache or call), then check it."""
        output = await self._output(case, sample)
        if isinstance(output, str):
            return SampleResult(case.id, sample, "error", reason=output)
        ctx = CheckContext(
            case=case,
            sample=sample,
            prompt=self.target.input_text(case) if self.judge is not None else "",
            plugins=self.plugins,
            judge=self.judge,
            judge_model=self.suite.judge.model if self.suite.judge else None,
            judge_guidance=self.suite.judge.rubric if self.suite.judge else None,
        )
        try:
            passed, score, checks = await evaluate(
                self.suite.assertions_for(case), output, ctx, case.threshold
            )
        except CheckError as exc:
            return _with_output(SampleResult(case.id, sample, "error", reason=str(exc)), output)
        status: Status = "pass" if passed else "fail"
        reason = "" if passed else _failure_reason(checks, case.threshold, score)
        result = SampleResult(case.id, sample, status, score, reason, assertions=tuple(checks))
        return _with_output(result, output)

    async def _output(self, case: Case, sample: int) -> Output | str:
        """The output, or why there is none."""
        key = self.target.cache_key(case, sample) if self.cache is not None else None
        if key is not None and self.cache is not None:
            cached = await self.cache.get(key)
            if cached is not None:
                return cached
        try:
            async with asyncio.timeout(self.timeout_s):
                output = await self.target.call(case, sample)
        except TargetError as exc:
            return str(exc)
        except TimeoutError:
            return f"no answer within {self.timeout_s:g} s"
        except Exception as exc:  # one odd failure must not end the other samples' run
            return f"{type(exc).__name__}: {exc}"
        if key is not None and self.cache is not None:
            await self.cache.put(key, output)
        return output


def new_run(
    suite: Suite, target: Target, *, run_id: str, samples: int, seed: int, path: str | None
) -> Run:
    """A run record for ``suite`` before any sample ran."""
    return Run(
        run_id=run_id,
        suite=suite.name,
        target=target.describe(),
        fingerprint=target.fingerprint(),
        started_at=time.time(),
        samples=samples,
        seed=seed,
        cases=[CaseInfo(c.id, tuple(c.tags), c.description) for c in suite.cases],
        thresholds=suite.thresholds.model_dump(mode="json"),
        suite_path=path,
    )


def _with_output(result: SampleResult, output: Output) -> SampleResult:
    return replace(
        result,
        output=output.text,
        latency_ms=output.latency_ms,
        prompt_tokens=output.prompt_tokens,
        completion_tokens=output.completion_tokens,
        cost_usd=output.cost_usd,
        cached=output.cached,
        trace_id=output.trace_id,
        confidence=output.confidence,
    )


def _failure_reason(checks: list[AssertionResult], threshold: float | None, score: float) -> str:
    failed = "; ".join(f"{c.type}: {c.reason}" for c in checks if not c.passed)
    if threshold is not None:
        return f"score {score:.2f} < {threshold:g}" + (f" ({failed})" if failed else "")
    return failed
