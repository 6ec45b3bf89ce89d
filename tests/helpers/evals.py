"""Eval runs made from plain outcomes, for tests of summaries, comparisons and reports."""

from __future__ import annotations

from seawall.evals.results import CaseInfo, Run, SampleResult, Status


def make_run(
    outcomes: dict[str, list[Status]],
    *,
    tags: dict[str, tuple[str, ...]] | None = None,
    thresholds: dict[str, object] | None = None,
    run_id: str = "r1",
) -> Run:
    tags = tags or {}
    samples = max((len(v) for v in outcomes.values()), default=1)
    run = Run(
        run_id=run_id,
        suite="s",
        target="model m",
        fingerprint="f" * 64,
        started_at=1_700_000_000.0,
        samples=samples,
        seed=0,
        cases=[CaseInfo(case_id, tags.get(case_id, ())) for case_id in outcomes],
        thresholds={"case": 0.5, "tags": {}, **(thresholds or {})},
        status="complete",
    )
    run.results = [
        SampleResult(
            case_id,
            n,
            status,
            reason="" if status == "pass" else f"{status} #{n}",
            latency_ms=10.0 * (n + 1),
        )
        for case_id, statuses in outcomes.items()
        for n, status in enumerate(statuses)
    ]
    return run
