"""From sample results to verdicts: per case, per tag, overall, and the thresholds.

A sample passes when its assertions do. A case passes when the share of its scored samples that
passed reaches the suite's case threshold (``thresholds.case``, default 0.5: at least half).
Why not "every sample" by default: a majority vote keeps a flaky case from flipping between
runs, which is what lets the paired test see a real regression (with 3 samples and a
moderately noisy suite, the power to find 8 broken cases of 60 is ~0.87 with the majority rule
and ~0.57 with "every sample"). Adversarial suites that must hold every time set 1.0.
Samples that errored are not scored; a case with no scored sample is an ``error`` case, left
out of pass rates and reported on its own. Pass rates count cases (the unit that is
independent), with a Wilson interval.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from seawall.evals.results import CaseInfo, Run, SampleResult
from seawall.evals.stats import percentile, wilson

CaseStatus = Literal["pass", "fail", "error", "missing"]
_EPSILON = 1e-9  # a pass rate of 2/3 meets a threshold written as 0.6667


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """How one case did over its samples."""

    case: CaseInfo
    passed: int
    failed: int
    errors: int
    status: CaseStatus
    reasons: tuple[tuple[str, int], ...]  # distinct failure reasons (or errors) with counts

    @property
    def scored(self) -> int:
        return self.passed + self.failed

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.scored if self.scored else None


def case_outcome(case: CaseInfo, results: list[SampleResult], threshold: float) -> CaseOutcome:
    """How one case did over its samples, judged by the case threshold."""
    counts = Counter(r.status for r in results)
    passed, failed, errors = counts["pass"], counts["fail"], counts["error"]
    status: CaseStatus
    if not results:
        status = "missing"  # the run was interrupted before this case
    elif passed + failed == 0:
        status = "error"
    else:
        status = "pass" if passed / (passed + failed) >= threshold - _EPSILON else "fail"
    wanted = "error" if status == "error" else "fail"
    reasons = Counter(r.reason for r in results if r.status == wanted and r.reason)
    return CaseOutcome(case, passed, failed, errors, status, tuple(reasons.most_common()))


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """Pass rate and cost of a set of cases: the whole suite, or one tag."""

    name: str
    cases: int
    passed: int
    failed: int
    errors: int
    missing: int
    low: float
    high: float
    samples_passed: int
    samples_scored: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    spent_usd: float  # cost of the calls made by this run (cached outputs cost nothing)

    @property
    def scored(self) -> int:
        return self.passed + self.failed

    @property
    def rate(self) -> float | None:
        return self.passed / self.scored if self.scored else None


def group_summary(
    name: str, outcomes: list[CaseOutcome], results: list[SampleResult], confidence: float
) -> GroupSummary:
    """Pass rate (with its interval), latency, tokens and cost of a set of cases."""
    status = Counter(o.status for o in outcomes)
    low, high = wilson(status["pass"], status["pass"] + status["fail"], confidence)
    latencies = [r.latency_ms for r in results if r.latency_ms is not None]
    costs = [(r.cost_usd or 0.0, r.cached) for r in results]
    return GroupSummary(
        name=name,
        cases=len(outcomes),
        passed=status["pass"],
        failed=status["fail"],
        errors=status["error"],
        missing=status["missing"],
        low=low,
        high=high,
        samples_passed=sum(r.status == "pass" for r in results),
        samples_scored=sum(r.status != "error" for r in results),
        latency_p50_ms=percentile(latencies, 0.5),
        latency_p95_ms=percentile(latencies, 0.95),
        prompt_tokens=sum(r.prompt_tokens for r in results),
        completion_tokens=sum(r.completion_tokens for r in results),
        cost_usd=sum(cost for cost, _ in costs),
        spent_usd=sum(cost for cost, cached in costs if not cached),
    )


@dataclass(frozen=True, slots=True)
class ThresholdCheck:
    """One configured minimum pass rate against what the run measured."""

    name: str  # "pass_rate" or "tags.<tag>"
    required: float
    actual: float | None  # None: nothing was scored (every case errored)

    @property
    def ok(self) -> bool:
        return self.actual is not None and self.actual >= self.required - _EPSILON

    @property
    def missed(self) -> bool:
        """Measured and below: unmeasured is not counted as a miss (errors say so instead)."""
        return self.actual is not None and not self.ok


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Everything a report shows about one run."""

    run: Run
    cases: list[CaseOutcome]
    overall: GroupSummary
    tags: list[GroupSummary]
    thresholds: list[ThresholdCheck]

    @property
    def thresholds_missed(self) -> list[ThresholdCheck]:
        return [t for t in self.thresholds if t.missed]

    @property
    def incomplete(self) -> bool:
        """Some case could not be judged (upstream errors) or was never run (interrupted)."""
        return self.overall.errors > 0 or self.overall.missing > 0

    def brief(self) -> dict[str, Any]:
        """The figures ``eval list`` shows, kept with the run in the store."""
        o = self.overall
        return {
            "cases": o.cases,
            "passed": o.passed,
            "failed": o.failed,
            "errors": o.errors,
            "missing": o.missing,
            "pass_rate": o.rate,
            "thresholds_missed": [t.name for t in self.thresholds_missed],
            "cost_usd": o.cost_usd,
            "spent_usd": o.spent_usd,
        }


def summarize(run: Run, confidence: float = 0.95) -> RunSummary:
    """Case outcomes, the overall and per-tag summaries and the threshold checks of ``run``."""
    by_case = run.by_case()
    outcomes = [case_outcome(c, by_case.get(c.id, []), run.case_threshold) for c in run.cases]
    overall = group_summary("all", outcomes, run.results, confidence)
    tags = sorted({tag for case in run.cases for tag in case.tags})
    per_tag = []
    for tag in tags:
        members = [o for o in outcomes if tag in o.case.tags]
        ids = {o.case.id for o in members}
        results = [r for r in run.results if r.case_id in ids]
        per_tag.append(group_summary(tag, members, results, confidence))
    return RunSummary(run, outcomes, overall, per_tag, _threshold_checks(run, overall, per_tag))


def _threshold_checks(
    run: Run, overall: GroupSummary, tags: list[GroupSummary]
) -> list[ThresholdCheck]:
    checks = []
    if run.thresholds.get("pass_rate") is not None:
        checks.append(ThresholdCheck("pass_rate", float(run.thresholds["pass_rate"]), overall.rate))
    by_name = {t.name: t for t in tags}
    for tag, required in (run.thresholds.get("tags") or {}).items():
        found = by_name.get(tag)
        checks.append(ThresholdCheck(f"tags.{tag}", float(required), found.rate if found else None))
    return checks
