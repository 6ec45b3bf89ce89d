"""Assertions: one small check per ``type``, found by name in ``CHECKS``.

A check takes (spec, output, context) and returns an ``AssertionResult`` (or awaits one);
``evaluate`` runs a list of them the way a case combines them: all must pass, or, with a
threshold, the weighted mean score must reach it. ``all`` / ``any`` groups nest the same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

from seawall.evals.assertions import custom, jsonchecks, metrics, similarity, text
from seawall.evals.assertions.base import Check, CheckContext, CheckError
from seawall.evals.assertions.judge import llm_judge
from seawall.evals.assertions.specs import AssertionSpec, Group
from seawall.evals.results import AssertionResult, Output

CHECKS: dict[str, Check] = {
    "equals": text.equals,
    "contains": text.contains,
    "icontains": text.contains,
    "not_contains": text.contains,
    "starts_with": text.contains,
    "regex": text.regex,
    "length": text.length,
    "refusal": text.refusal,
    "is_json": jsonchecks.is_json,
    "json_schema": jsonchecks.json_schema,
    "json_path": jsonchecks.json_path,
    "latency": metrics.latency,
    "cost": metrics.cost,
    "similarity": similarity.similarity,
    "llm_judge": llm_judge,
    "python": custom.python,
}

__all__ = ["CHECKS", "CheckContext", "CheckError", "evaluate", "run_check"]


async def run_check(spec: AssertionSpec, output: Output, ctx: CheckContext) -> AssertionResult:
    """One assertion (a group runs its members)."""
    if isinstance(spec, Group):
        return await _group(spec, output, ctx)
    found = CHECKS[spec.type](spec, output, ctx)
    return await found if inspect.isawaitable(found) else found


async def evaluate(
    specs: Sequence[AssertionSpec],
    output: Output,
    ctx: CheckContext,
    threshold: float | None = None,
) -> tuple[bool, float, list[AssertionResult]]:
    """(passed, weighted score, each result) of a case's assertions on one output."""
    results = [await run_check(spec, output, ctx) for spec in specs]
    score = weighted_score(results)
    passed = all(r.passed for r in results) if threshold is None else score >= threshold
    return passed, score, results


async def _group(spec: Group, output: Output, ctx: CheckContext) -> AssertionResult:
    results = [await run_check(member, output, ctx) for member in spec.assert_]
    score = weighted_score(results)
    if spec.threshold is not None:
        passed = score >= spec.threshold
    elif spec.type == "all":
        passed = all(r.passed for r in results)
    else:
        passed = any(r.passed for r in results)
        score = max(r.score for r in results)
    failed = [r for r in results if not r.passed]
    if passed or spec.type == "all":
        reason = "; ".join(f"{r.type}: {r.reason}" for r in failed)
    else:
        reason = "none passed: " + "; ".join(f"{r.type}: {r.reason}" for r in failed)
    if spec.threshold is not None and not passed:
        reason = f"score {score:.2f} < {spec.threshold:g} ({reason})"
    return AssertionResult(spec.type, passed, score, reason, spec.weight)


def weighted_score(results: Sequence[AssertionResult]) -> float:
    """Weighted mean of the scores; with zero total weight, the plain mean."""
    total = sum(r.weight for r in results)
    if not results:
        return 1.0
    if total == 0:
        return sum(r.score for r in results) / len(results)
    return sum(r.score * r.weight for r in results) / total
