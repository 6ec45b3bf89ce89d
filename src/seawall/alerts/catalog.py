"""The rules of a deployment as the engine, the CLI and the exports see them.

Each rule (window, breaker, event, or an SLO's burn window) becomes one ``RuleEntry``: its name,
routing, timing and runbook link, plus the evaluator that judges it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seawall.alerts.config import AlertsConfig, BreakerOpenRule, EventRule, RuleConfig
from seawall.alerts.rules import WindowEvaluator, evaluator_for, span
from seawall.alerts.slo import RUNBOOK_ANCHOR, BurnEvaluator, burn_evaluators, describe
from seawall.alerts.state import Timing

# Runbook section (an anchor in docs/operations.md) of each kind of rule.
RUNBOOK_ANCHORS = {
    "error_rate": "alert-error-rate",
    "degraded_rate": "alert-degraded-rate",
    "fallback_rate": "alert-fallback-rate",
    "validation_failure_rate": "alert-validation-failures",
    "latency": "alert-latency",
    "ttft": "alert-ttft",
    "cost_per_hour": "alert-cost",
    "cost_per_call": "alert-cost",
    "token_anomaly": "alert-token-anomaly",
    "breaker_open": "alert-breaker-open",
    "slo_burn": "alert-" + RUNBOOK_ANCHOR,
}
EVENT_ANCHORS = {
    "budget_soft_limit": "alert-budget-soft-limit",
    "canary_rollback": "alert-canary-rollback",
    "review_sla": "alert-review-sla",
    "drift": "alert-drift",
}
OTHER_EVENT_ANCHOR = "alert-other-events"


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """One alert rule, ready to evaluate and route."""

    name: str
    kind: str  # a rule kind, or "slo_burn"
    severity: str
    runbook_url: str
    labels: dict[str, str]
    notify: tuple[str, ...] | None
    notify_resolved: bool
    timing: Timing
    description: str
    evaluator: WindowEvaluator | BurnEvaluator | None = None  # window and SLO rules
    config: RuleConfig | None = None  # None for SLO burn rules

    @property
    def event_kind(self) -> str | None:
        """The reported event kind that fires this rule (event rules only)."""
        return self.config.event if isinstance(self.config, EventRule) else None

    @property
    def breaker_targets(self) -> list[str] | None:
        return self.config.targets if isinstance(self.config, BreakerOpenRule) else None


def runbook_url(base: str, anchor: str) -> str:
    """``<base>#<anchor>``."""
    return f"{base}#{anchor}"


def build_catalog(config: AlertsConfig) -> list[RuleEntry]:
    """Every enabled rule of the config, SLO burn windows included, in config order."""
    entries = [_rule_entry(config, rule) for rule in config.effective_rules]
    for evaluator in burn_evaluators(config.slos):
        slo, window = evaluator.slo, evaluator.window
        anchor = slo.runbook or RUNBOOK_ANCHORS["slo_burn"]
        labels = {**slo.labels, "slo": slo.name}
        entries.append(
            RuleEntry(
                name=evaluator.name,
                kind="slo_burn",
                severity=window.severity,
                runbook_url=runbook_url(config.runbook_base, anchor),
                labels=labels,
                notify=tuple(slo.notify) if slo.notify is not None else None,
                notify_resolved=True,
                timing=Timing(0.0, window.resolve_for_s, config.no_data_resolve_s),
                description=f"{describe(slo)}: burn > {window.burn_rate:g}x",
                evaluator=evaluator,
            )
        )
    return entries


def _rule_entry(config: AlertsConfig, rule: RuleConfig) -> RuleEntry:
    if isinstance(rule, EventRule):
        anchor = EVENT_ANCHORS.get(rule.event, OTHER_EVENT_ANCHOR)
        # An event alert "resolves" by quiet: no repeat of its key for dedup_s.
        timing = Timing(0.0, 0.0, rule.dedup_s)
        evaluator = None
        description = f"on event {rule.event} (dedup {span(rule.dedup_s)})"
    elif isinstance(rule, BreakerOpenRule):
        anchor = RUNBOOK_ANCHORS[rule.kind]
        timing = Timing(rule.for_s, rule.resolve_for_s, config.no_data_resolve_s)
        evaluator = None
        description = "a target's circuit breaker is open or half-open"
    else:
        anchor = RUNBOOK_ANCHORS[rule.kind]
        timing = Timing(rule.for_s, rule.resolve_for_s, config.no_data_resolve_s)
        evaluator = evaluator_for(rule)
        description = _describe_window(rule)
    return RuleEntry(
        name=rule.name,
        kind=rule.kind,
        severity=rule.severity,
        runbook_url=runbook_url(config.runbook_base, rule.runbook or anchor),
        labels=dict(rule.labels),
        notify=tuple(rule.notify) if rule.notify is not None else None,
        notify_resolved=rule.notify_resolved,
        timing=timing,
        description=description,
        evaluator=evaluator,
        config=rule,
    )


def _describe_window(rule: Any) -> str:
    what, over = rule.kind.replace("_", " "), f"over {span(rule.window_s)}"
    threshold = getattr(rule, "threshold", None)
    if threshold is not None:
        return f"{what} > {threshold:.1%} {over} (min {rule.min_calls} calls)"
    if hasattr(rule, "threshold_ms"):
        return f"p{rule.quantile * 100:g} {what} > {rule.threshold_ms:,.0f} ms {over}"
    if hasattr(rule, "threshold_usd"):
        return f"{what} > ${rule.threshold_usd:g} {over}"
    return f"{what}: tokens per call beyond {rule.ratio:g}x of the history, {over}"


def find_rule(entries: list[RuleEntry], name: str) -> RuleEntry | None:
    """The entry named ``name``."""
    return next((entry for entry in entries if entry.name == name), None)
