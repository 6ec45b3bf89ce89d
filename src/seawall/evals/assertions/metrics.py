"""Checks on how the answer was obtained: latency and cost ceilings."""

from __future__ import annotations

from seawall.evals.assertions.base import CheckContext, result
from seawall.evals.assertions.specs import Cost, Latency
from seawall.evals.results import AssertionResult, Output


def latency(spec: Latency, output: Output, ctx: CheckContext) -> AssertionResult:
    """Pass when the call took at most ``max_ms``."""
    took = output.latency_ms
    return result(spec, took <= spec.max_ms, f"took {took:.0f} ms, limit {spec.max_ms:g} ms")


def cost(spec: Cost, output: Output, ctx: CheckContext) -> AssertionResult:
    """Pass when the call cost at most ``max_usd`` (unknown fails)."""
    if output.cost_usd is None:
        # Through a gateway whose model has no known price: unknown is not "cheap enough".
        return result(spec, False, "the cost of this call is unknown (no price for its model)")
    spent = output.cost_usd
    return result(spec, spent <= spec.max_usd, f"cost ${spent:.6f}, limit ${spec.max_usd:g}")
