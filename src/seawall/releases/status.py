"""What ``seawall release status`` and ``GET /admin/releases`` show: one prompt's releases.

The live release (if any) with the controller's view of it right now (every watched metric,
canary against production, with the evidence and the bar), and every past release with the
decision that ended it and its reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from seawall.prompts.versions import PromptVersion
from seawall.releases.controller import Release
from seawall.releases.sequential import ArmStats, Decision, quantile


@dataclass(frozen=True, slots=True)
class ReleaseStatus:
    """One prompt: where its labels point, its live release and look, and its release history."""

    prompt: str
    labels: dict[str, int]
    live: Release | None = None
    look: Decision | None = None  # the controller's decision if it looked now (live only)
    canary: ArmStats | None = None
    baseline: ArmStats | None = None
    history: list[Release] = field(default_factory=list)  # newest first, the live one included

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON for the admin API and ``--json``."""
        return {
            "prompt": self.prompt,
            "labels": dict(self.labels),
            "live": None if self.live is None else release_dict(self.live),
            "look": None if self.look is None else self.look.as_dict(),
            "arms": None
            if self.canary is None or self.baseline is None
            else {"canary": arm_dict(self.canary), "production": arm_dict(self.baseline)},
            "history": [release_dict(r) for r in self.history],
        }


def release_dict(release: Release) -> dict[str, Any]:
    """A release as plain JSON."""
    return {
        "id": release.id,
        "prompt": release.prompt,
        "candidate": release.candidate,
        "baseline": release.baseline,
        "share": release.share,
        "canary_share": release.canary_share,
        "state": release.state,
        "started_at": release.started_at,
        "decided_at": release.decided_at,
        "actor": release.actor,
        "decision": None if release.decision is None else release.decision.as_dict(),
    }


def version_dict(version: PromptVersion) -> dict[str, Any]:
    """A prompt version as plain JSON, its full spec included."""
    return {
        "name": version.name,
        "version": version.version,
        "content_hash": version.content_hash,
        "author": version.author,
        "note": version.note,
        "created_at": version.created_at,
        "spec": version.spec.model_dump(mode="json"),
    }


def arm_dict(arm: ArmStats) -> dict[str, Any]:
    """One arm's figures: calls, each rate, p95 latency and cost (median and mean)."""
    return {
        "calls": arm.calls,
        "error_rate": _rate(arm.errors, arm.calls),
        "invalid_output_rate": _rate(arm.invalid_outputs, arm.calls),
        "degraded_rate": _rate(arm.degraded, arm.calls),
        "escalation_rate": _rate(arm.escalations, arm.calls),
        "negative_feedback_rate": _rate(arm.negative_feedback, arm.calls),
        "p95_latency_ms": _quantile(arm.latencies_ms, 0.95),
        "median_cost_usd": _quantile(arm.costs_usd, 0.5),
        "mean_cost_usd": _mean(arm.costs_usd),
    }


def _rate(events: int, calls: int) -> float | None:
    return None if calls == 0 else events / calls


def _quantile(values: Sequence[float], p: float) -> float | None:
    return quantile(values, p) if values else None


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None
