"""A seeded deployment for the dashboard's browser tests: keys, eval runs, a canary release.

What the gateway itself produces (traffic, a complaint, a firing alert) is made by the test
through the running gateway; what needs other commands in real life (``seawall eval run``,
``seawall prompt promote``, prompt runs) is written here with the same stores those use.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from seawall.config import AuthConfig
from seawall.core.clock import SystemClock
from seawall.evals.results import AssertionResult, CaseInfo, Run, SampleResult
from seawall.evals.store import EvalStore
from seawall.evals.summary import summarize
from seawall.releases.controller import Release
from seawall.releases.sequential import Decision, MetricVerdict
from seawall.releases.store import SqlReleaseStore
from seawall.security.service import Security
from seawall.store import open_store
from seawall.telemetry.records import AttemptRecord, CallRecord

T = TypeVar("T")
KEYS = {  # name -> (tenant, role)
    "root": ("*", "admin"),
    "acme_dev": ("acme", "developer"),
    "globex_dev": ("globex", "developer"),
    "acme_reviewer": ("acme", "reviewer"),
    "acme_app": ("acme", "app"),
    "globex_app": ("globex", "app"),
}
CASES = [CaseInfo(f"case-{i}", ("billing",) if i < 4 else ("shipping",)) for i in range(8)]
REGRESSED = ("case-1", "case-5")  # pass in the baseline, fail in the candidate
ROLLBACK_REASON = "invalid_output_rate of the canary 20.0% against 1.0% in production"


def seed(url: str) -> dict[str, str]:
    """Create keys, two eval runs and a rolled-back release; returns key name -> secret."""
    return run_async(_seed(url))


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion in a thread of its own (Playwright's sync API holds an
    event loop in the test's thread, so ``asyncio.run`` cannot be used there)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _seed(url: str) -> dict[str, str]:
    store = await open_store(url)  # runs the migrations
    try:
        await store.write_calls(release_calls(time.time()))
        await SqlReleaseStore(store.engine).save(rolled_back(time.time()))
        evals = EvalStore(store.engine)
        for run in eval_runs(time.time()):
            await evals.save_run(run, summarize(run).brief())
    finally:
        await store.aclose()
    security = Security(url, AuthConfig(), SystemClock())
    await security.start(refresh_in_background=False)
    try:
        return {
            name: (await security.create_key("cli:test", tenant=tenant, role=role)).secret
            for name, (tenant, role) in KEYS.items()
        }
    finally:
        await security.aclose()


def eval_runs(now: float) -> list[Run]:
    """A baseline where every case passes and a candidate where two regressed."""
    runs = []
    for n, (run_id, failing) in enumerate([("run-baseline-1", ()), ("run-candidate-2", REGRESSED)]):
        results = [
            SampleResult(
                case.id,
                0,
                "fail" if case.id in failing else "pass",
                score=0.0 if case.id in failing else 1.0,
                reason="expected 'refund' in the answer" if case.id in failing else "",
                output="an answer",
                assertions=(AssertionResult("contains", case.id not in failing, 1.0),),
                latency_ms=120.0 + n,
                cost_usd=0.0004,
            )
            for case in CASES
        ]
        runs.append(
            Run(
                run_id=run_id,
                suite="support",
                target="prompt:faq",
                fingerprint="f" * 16,
                started_at=now - 3600 + n * 600,
                samples=1,
                seed=0,
                cases=CASES,
                thresholds={"pass_rate": 0.9},
                status="complete",
                finished_at=now - 3600 + n * 600 + 30,
                results=results,
            )
        )
    return runs


def rolled_back(now: float) -> Release:
    """A canary of ``faq@2`` rolled back on its invalid-output rate."""
    verdict = MetricVerdict("invalid_output_rate", "regressed", 0.2, 0.01, 412.0, 40.0)
    decision = Decision(
        "rollback",
        "invalid_output_rate",
        {"canary_calls": 10, "baseline_calls": 30},
        ROLLBACK_REASON,
        (verdict, MetricVerdict("error_rate", "ok", 0.0, 0.0, 1.0, 40.0)),
    )
    return Release(
        id="rel-faq-2",
        prompt="faq",
        candidate=2,
        baseline=1,
        share=0.25,
        state="rolled_back",
        started_at=now - 900,
        actor="cli:test",
        decided_at=now - 60,
        decision=decision,
    )


def release_calls(now: float) -> list[CallRecord]:
    """Prompt runs of both arms during the release (acme's)."""
    found = []
    for i in range(40):
        canary = i < 10
        found.append(
            CallRecord(
                trace_id=f"{0xFA0 + i:032x}",
                started_at=now - 800 + i * 15,
                model="chat",
                stream=False,
                upstream="sim/gpt-4o-mini",
                latency_ms=80.0 + i,
                prompt_tokens=40,
                completion_tokens=20,
                cost_usd=0.00002,
                validation="invalid" if canary and i < 2 else "valid",
                tenant="acme",
                prompt="faq",
                release="faq@2" if canary else "faq@1",
                attempts=[AttemptRecord("sim/gpt-4o-mini", 0.0, 80.0 + i, "ok")],
            )
        )
    return found
