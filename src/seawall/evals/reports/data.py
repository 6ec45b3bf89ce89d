"""Reports as plain data: the JSON report, and the source of the other formats' numbers."""

from __future__ import annotations

from typing import Any

from seawall.evals.compare import Comparison, Delta
from seawall.evals.results import SampleResult
from seawall.evals.summary import CaseOutcome, GroupSummary, RunSummary


def run_data(summary: RunSummary, *, samples: bool = True) -> dict[str, Any]:
    """A run as JSON-ready data (samples and outputs included unless ``samples=False``)."""
    run = summary.run
    by_case = run.by_case()
    return {
        "run_id": run.run_id,
        "suite": run.suite,
        "suite_path": run.suite_path,
        "target": run.target,
        "fingerprint": run.fingerprint,
        "prompt": run.prompt,
        "prompt_version": run.prompt_version,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "samples": run.samples,
        "seed": run.seed,
        "thresholds": run.thresholds,
        "ok": not summary.thresholds_missed and not summary.incomplete,
        "overall": group_data(summary.overall),
        "tags": {g.name: group_data(g) for g in summary.tags},
        "threshold_checks": [
            {"name": t.name, "required": t.required, "actual": t.actual, "ok": t.ok}
            for t in summary.thresholds
        ],
        "cases": [
            case_data(o, by_case.get(o.case.id, []) if samples else None) for o in summary.cases
        ],
    }


def group_data(group: GroupSummary) -> dict[str, Any]:
    """A group summary as JSON-ready data."""
    return {
        "cases": group.cases,
        "passed": group.passed,
        "failed": group.failed,
        "errors": group.errors,
        "missing": group.missing,
        "pass_rate": group.rate,
        "interval": [group.low, group.high],
        "sample_pass_rate": (
            group.samples_passed / group.samples_scored if group.samples_scored else None
        ),
        "latency_p50_ms": group.latency_p50_ms,
        "latency_p95_ms": group.latency_p95_ms,
        "prompt_tokens": group.prompt_tokens,
        "completion_tokens": group.completion_tokens,
        "cost_usd": group.cost_usd,
        "spent_usd": group.spent_usd,
    }


def case_data(outcome: CaseOutcome, results: list[SampleResult] | None) -> dict[str, Any]:
    """A case outcome (and its samples) as JSON-ready data."""
    out: dict[str, Any] = {
        "id": outcome.case.id,
        "tags": list(outcome.case.tags),
        "status": outcome.status,
        "passed": outcome.passed,
        "failed": outcome.failed,
        "errors": outcome.errors,
        "pass_rate": outcome.pass_rate,
        "reasons": [{"reason": r, "count": n} for r, n in outcome.reasons],
    }
    if results is not None:
        out["samples"] = [sample_data(r) for r in results]
    return out


def sample_data(result: SampleResult) -> dict[str, Any]:
    """One sample result as JSON-ready data."""
    return {
        "sample": result.sample,
        "status": result.status,
        "score": result.score,
        "reason": result.reason,
        "output": result.output,
        "assertions": [a.as_json() for a in result.assertions],
        "latency_ms": result.latency_ms,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "cost_usd": result.cost_usd,
        "cached": result.cached,
        "trace_id": result.trace_id,
        "confidence": result.confidence,
    }


def comparison_data(comparison: Comparison) -> dict[str, Any]:
    """A comparison as JSON-ready data."""
    test = comparison.test
    return {
        "verdict": comparison.verdict.value,
        "confidence": comparison.confidence,
        "baseline": _run_ref(comparison.baseline),
        "candidate": _run_ref(comparison.candidate),
        "regressed": comparison.regressed,
        "improved": comparison.improved,
        "p_regressed": test.p_regressed,
        "p_improved": test.p_improved,
        "overall": delta_data(comparison.overall),
        "tags": {d.name: delta_data(d) for d in comparison.tags},
        "excluded": [{"case": c, "why": why} for c, why in comparison.excluded],
    }


def delta_data(delta: Delta) -> dict[str, Any]:
    """A pass-rate change as JSON-ready data."""
    counts = delta.counts
    return {
        "paired": counts.n,
        "baseline_pass_rate": counts.baseline_rate if counts.n else None,
        "candidate_pass_rate": counts.candidate_rate if counts.n else None,
        "delta": delta.delta,
        "interval": [delta.low, delta.high],
        "regressed": counts.regressed,
        "improved": counts.improved,
    }


def _run_ref(summary: RunSummary) -> dict[str, Any]:
    run = summary.run
    return {
        "run_id": run.run_id,
        "suite": run.suite,
        "target": run.target,
        "fingerprint": run.fingerprint,
        "prompt_version": run.prompt_version,
        "started_at": run.started_at,
        "status": run.status,
        "pass_rate": summary.overall.rate,
    }
