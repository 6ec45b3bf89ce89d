"""The canary controller's statistics: is the candidate worse than production, yet?

The controller looks at the canary again and again while traffic arrives, so a fixed-sample
test (a t-test or chi-square each minute) would roll back healthy candidates far more often
than its nominal 5%: every look is another chance for noise to cross the line. The test here
stays valid however often it is evaluated.

Proportion metrics (error, invalid-output, degraded, escalation and negative-feedback rate)
use a **conditional mixture SPRT over events**. Calls are assigned to an arm independently of
how they turn out, so when the candidate is as good as production, each bad event (an error,
say) lands on the canary with probability ``q``, the canary's share of the calls. With a rate
ratio ``r = p_canary / p_production`` it lands there with probability ``π(r) = rq / (rq + 1 -
q)``. After ``x`` canary and ``y`` production events the likelihood ratio of "r" against "no
worse than the tolerance r0" is ``(π(r)/π(r0))^x ((1-π(r))/(1-π(r0)))^y``; averaged over a grid
of effect sizes (r/r0 from 1.25x to 32x, equal weights) it is a non-negative supermartingale
under the null, so by Ville's inequality it ever reaches ``1/α`` with probability at most α,
whenever and however often it is looked at. It is exact for Bernoulli outcomes (no normal
approximation, so rare events such as a 1% error rate are handled), one-sided (a better
candidate never rolls back), and needs only cumulative counts. ``q`` is the observed exposure
share ``n_canary / (n_canary + n_production)``, which also absorbs the drift of sticky
assignment away from the configured share.

Continuous metrics (p95 latency, cost per call) reduce to the same test: a call "exceeds"
when it is above production's quantile (p95 for latency, median for cost) times ``1 +
tolerance``; if the candidate is no worse, canary calls exceed that line no more often than
production calls do. A rollback also needs the canary's own quantile to be above the line
(practical significance). The line is re-estimated at each look from production's calls, which
the exact argument does not cover; the seeded simulations in the tests and in
``bench/canary_simulation.py`` measure the resulting false-rollback rate.

The false-rollback budget ``alpha`` (policy, default 5%) is split equally over the watched
metrics (Bonferroni). No verdict is given on fewer than ``burn_in_calls`` canary calls.
Limits: events of one user are assumed independent of each other (a single user producing
many errors on one arm inflates the evidence), and the share must stay fixed during a release
(a changed share starts a new release).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from seawall.prompts.spec import CanaryPolicy, MetricThreshold

Action = Literal["continue", "rollback", "promote"]
Status = Literal["ok", "regressed", "waiting"]

# Effect sizes the mixture spreads its bet over: canary rates 1.25x to 32x the tolerated one.
_EFFECTS = (1.25, 1.5, 2.0, 2.83, 4.0, 5.66, 8.0, 16.0, 32.0)
_LOG_WEIGHT = -math.log(len(_EFFECTS))
MIN_QUANTILE_SAMPLES = 20  # fewer canary or production samples say nothing about a p95

RATE_METRICS: dict[str, str] = {
    "error_rate": "errors",
    "invalid_output_rate": "invalid_outputs",
    "degraded_rate": "degraded",
    "escalation_rate": "escalations",
    "negative_feedback_rate": "negative_feedback",
}
"""Proportion metrics and the ``ArmStats`` count each one divides by ``calls``."""

QUANTILE_METRICS: dict[str, tuple[str, float]] = {
    "p95_latency_ms": ("latencies_ms", 0.95),
    "cost_per_call": ("costs_usd", 0.50),
}
"""Continuous metrics: the ``ArmStats`` samples and the quantile the comparison is made at."""


@dataclass(frozen=True, slots=True)
class ArmStats:
    """What one arm (canary or production) did since the release started, cumulatively."""

    calls: int
    errors: int = 0
    invalid_outputs: int = 0
    degraded: int = 0
    escalations: int = 0
    negative_feedback: int = 0
    latencies_ms: Sequence[float] = ()
    costs_usd: Sequence[float] = ()


@dataclass(frozen=True, slots=True)
class MetricVerdict:
    """One metric's comparison at this look; ``evidence`` is the mixture likelihood ratio."""

    metric: str
    status: Status
    canary: float | None
    baseline: float | None
    evidence: float
    threshold: float
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the controller should do now, which metric decided it, its figures and why."""

    action: Action
    metric: str | None
    figures: dict[str, Any]
    reason: str
    verdicts: tuple[MetricVerdict, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON (for the releases table and the audit log)."""
        return {
            "action": self.action,
            "metric": self.metric,
            "figures": self.figures,
            "reason": self.reason,
            "verdicts": [_verdict_dict(v) for v in self.verdicts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        """The inverse of ``as_dict``."""
        verdicts = tuple(MetricVerdict(**v) for v in data.get("verdicts", ()))
        return cls(data["action"], data["metric"], data["figures"], data["reason"], verdicts)


def decide(
    canary: ArmStats, baseline: ArmStats, policy: CanaryPolicy, elapsed_s: float
) -> Decision:
    """Roll back on a significant regression; promote after the policy's minimum; else wait."""
    verdicts = judge(canary, baseline, policy)
    shared = {
        "canary_calls": canary.calls,
        "baseline_calls": baseline.calls,
        "elapsed_s": round(elapsed_s, 3),
    }
    regressed = [v for v in verdicts if v.status == "regressed"]
    if regressed:
        worst = max(regressed, key=lambda v: math.log(v.evidence) - math.log(v.threshold))
        figures = {
            **shared,
            **worst.figures,
            "evidence": worst.evidence,
            "threshold": worst.threshold,
        }
        return Decision("rollback", worst.metric, figures, _regression_reason(worst), verdicts)
    enough_calls = canary.calls >= policy.min_calls
    if enough_calls and elapsed_s >= policy.duration_s:
        reason = (
            f"no regression in {canary.calls} canary calls over {_duration(elapsed_s)} "
            f"(policy minimum: {policy.min_calls} calls, {_duration(policy.duration_s)})"
        )
        return Decision("promote", None, shared, reason, verdicts)
    if elapsed_s >= policy.max_duration_s:
        reason = (
            f"only {canary.calls} of {policy.min_calls} canary calls after "
            f"{_duration(elapsed_s)} (max_duration_s): not enough traffic to judge the candidate"
        )
        return Decision("rollback", None, shared, reason, verdicts)
    reason = (
        f"watching: {canary.calls}/{policy.min_calls} canary calls, "
        f"{_duration(elapsed_s)}/{_duration(policy.duration_s)}"
    )
    return Decision("continue", None, shared, reason, verdicts)


def judge(canary: ArmStats, baseline: ArmStats, policy: CanaryPolicy) -> tuple[MetricVerdict, ...]:
    """Every watched metric compared between the arms, in the policy's order."""
    watched = [
        (name, threshold)
        for name, threshold in policy.metrics
        if isinstance(threshold, MetricThreshold) and threshold.watch
    ]
    if not watched:
        return ()
    # Bonferroni: each of m metrics gets alpha/m, so all together falsely fire at most alpha.
    bar = len(watched) / policy.alpha
    ready = canary.calls >= policy.burn_in_calls and baseline.calls > 0
    out = []
    for name, threshold in watched:
        if name in RATE_METRICS:
            out.append(_rate_verdict(name, threshold, canary, baseline, bar, ready))
        else:
            out.append(_quantile_verdict(name, threshold, canary, baseline, bar, ready))
    return tuple(out)


def log_evidence(canary_events: int, baseline_events: int, q: float, ratio0: float) -> float:
    """log of the mixture likelihood ratio that canary events are over-represented.

    ``q`` is the canary's share of exposure (0 < q < 1); ``ratio0`` the tolerated rate ratio.
    """
    null = _landing(q, ratio0)
    terms = []
    for effect in _EFFECTS:
        alt = _landing(q, ratio0 * effect)
        terms.append(
            canary_events * math.log(alt / null)
            + baseline_events * math.log((1.0 - alt) / (1.0 - null))
        )
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms)) + _LOG_WEIGHT


def quantile(values: Sequence[float], p: float) -> float:
    """The ``p`` quantile with linear interpolation between order statistics (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("quantile of no values")
    return _sorted_quantile(ordered, p)


def _sorted_quantile(ordered: Sequence[float], p: float) -> float:
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --------------------------------------------------------------------------- one metric


def _rate_verdict(
    name: str,
    threshold: MetricThreshold,
    canary: ArmStats,
    baseline: ArmStats,
    bar: float,
    ready: bool,
) -> MetricVerdict:
    x = int(getattr(canary, RATE_METRICS[name]))
    y = int(getattr(baseline, RATE_METRICS[name]))
    canary_rate = x / canary.calls if canary.calls else None
    baseline_rate = y / baseline.calls if baseline.calls else None
    figures: dict[str, Any] = {
        "canary_rate": _round_or_none(canary_rate),
        "baseline_rate": _round_or_none(baseline_rate),
        "canary_events": x,
        "baseline_events": y,
        "tolerance": threshold.tolerance,
    }
    evidence = 1.0
    if ready and canary.calls:
        q = canary.calls / (canary.calls + baseline.calls)
        evidence = math.exp(min(log_evidence(x, y, q, 1.0 + threshold.tolerance), 700.0))
    status: Status = "waiting" if not ready else "regressed" if evidence >= bar else "ok"
    return MetricVerdict(name, status, canary_rate, baseline_rate, _round(evidence), bar, figures)


def _quantile_verdict(
    name: str,
    threshold: MetricThreshold,
    canary: ArmStats,
    baseline: ArmStats,
    bar: float,
    ready: bool,
) -> MetricVerdict:
    attribute, p = QUANTILE_METRICS[name]
    ours: Sequence[float] = getattr(canary, attribute)
    theirs: Sequence[float] = getattr(baseline, attribute)
    if min(len(ours), len(theirs)) < MIN_QUANTILE_SAMPLES:
        counts = {"canary_samples": len(ours), "baseline_samples": len(theirs)}
        return MetricVerdict(name, "waiting", None, None, 1.0, bar, counts)
    ours, theirs = sorted(ours), sorted(theirs)
    canary_q, baseline_q = _sorted_quantile(ours, p), _sorted_quantile(theirs, p)
    line = baseline_q * (1.0 + threshold.tolerance)
    x = len(ours) - bisect.bisect_right(ours, line)  # calls strictly above the line
    y = len(theirs) - bisect.bisect_right(theirs, line)
    figures: dict[str, Any] = {
        "quantile": p,
        "canary_value": _round(canary_q),
        "baseline_value": _round(baseline_q),
        "canary_mean": _round(math.fsum(ours) / len(ours)),
        "baseline_mean": _round(math.fsum(theirs) / len(theirs)),
        "line": _round(line),
        "canary_above_line": x,
        "baseline_above_line": y,
        "canary_samples": len(ours),
        "baseline_samples": len(theirs),
        "tolerance": threshold.tolerance,
    }
    evidence = 1.0
    if ready:
        q = len(ours) / (len(ours) + len(theirs))
        evidence = math.exp(min(log_evidence(x, y, q, 1.0), 700.0))
    worse = canary_q > line  # practically worse, not only statistically
    status: Status = "waiting" if not ready else "regressed" if evidence >= bar and worse else "ok"
    return MetricVerdict(name, status, canary_q, baseline_q, _round(evidence), bar, figures)


def _landing(q: float, ratio: float) -> float:
    """Chance that an event lands on the canary when its rate is ``ratio`` times production's."""
    return ratio * q / (ratio * q + 1.0 - q)


def _regression_reason(verdict: MetricVerdict) -> str:
    f = verdict.figures
    strength = f"evidence {verdict.evidence:.3g} ≥ {verdict.threshold:.3g}"
    if verdict.metric in RATE_METRICS:
        return (
            f"{verdict.metric} regressed: canary {_pct(verdict.canary)} "
            f"({f['canary_events']} events) vs production {_pct(verdict.baseline)} "
            f"({f['baseline_events']} events); {strength}"
        )
    return (
        f"{verdict.metric} regressed: canary {_num(verdict.canary)} vs production "
        f"{_num(verdict.baseline)} (tolerance {_tolerance_pct(f['tolerance'])}; "
        f"{f['canary_above_line']}/{f['canary_samples']} canary and "
        f"{f['baseline_above_line']}/{f['baseline_samples']} production calls above "
        f"{_num(f['line'])}); {strength}"
    )


def _tolerance_pct(tolerance: float) -> str:
    """A tolerance as people read it: 0.2 → "+20%"."""
    return f"+{tolerance * 100:.0f}%"


def _verdict_dict(verdict: MetricVerdict) -> dict[str, Any]:
    return {
        "metric": verdict.metric,
        "status": verdict.status,
        "canary": verdict.canary,
        "baseline": verdict.baseline,
        "evidence": verdict.evidence,
        "threshold": verdict.threshold,
        "figures": verdict.figures,
    }


def _round(value: float) -> float:
    return float(f"{value:.6g}")  # figures for people and JSON: six significant digits


def _round_or_none(value: float | None) -> float | None:
    return None if value is None else _round(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.0f} s"
