"""The same rules as Prometheus alerting rules, over the metrics of ``telemetry/metrics.py``.

Hysteresis carries over: a rule fires above its threshold and, while it fires
(``ALERTS{alertstate="firing"}``), keeps firing down to its resolve threshold, plus
``keep_firing_for: resolve_for_s``. What cannot be said in PromQL is listed at the top of the
file: event rules (they come from inside Seawall, not from metrics), grouping or filtering by
tenant (not a metric label), cost SLOs (no per-call cost histogram).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from seawall.alerts.catalog import RuleEntry, build_catalog
from seawall.alerts.config import (
    AlertsConfig,
    BreakerOpenRule,
    CostPerCallRule,
    CostPerHourRule,
    EventRule,
    LatencyRule,
    TokenAnomalyRule,
    TtftRule,
    WindowRuleConfig,
)
from seawall.alerts.slo import BurnEvaluator
from seawall.alerts.windows import CLIENT_ERROR_CODES
from seawall.telemetry.metrics import _LATENCY_BUCKETS

REQUESTS = "seawall_requests_total"
_RATE_NUMERATORS = {
    "error_rate": (
        "seawall_requests_total",
        f'outcome="error",code!~"{"|".join(CLIENT_ERROR_CODES)}"',
    ),
    "degraded_rate": ("seawall_degraded_total", ""),
    "fallback_rate": ("seawall_fallbacks_total", ""),
    "validation_failure_rate": ("seawall_validation_total", 'result="invalid"'),
}
_HISTOGRAMS = {
    "latency": "seawall_request_latency_seconds",
    "ttft": "seawall_time_to_first_token_seconds",
}
_TOKEN_DIRECTIONS = {"input": "input", "output": "output", "total": "input|output"}


class NotExportable(Exception):
    """The rule has no Prometheus equivalent; the message says why."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Grouping and label matchers of a rule, in PromQL terms."""

    by: tuple[str, ...]
    matchers: tuple[str, ...]

    @property
    def on(self) -> str:
        return f"on({', '.join(self.by)})"

    def sel(self, metric: str, extra: str = "") -> str:
        parts = [*self.matchers, extra] if extra else list(self.matchers)
        return f"{metric}{{{','.join(parts)}}}" if parts else metric

    def sum_rate(
        self, metric: str, window: str, extra: str = "", by: Iterable[str] = (), offset: str = ""
    ) -> str:
        labels = ", ".join([*self.by, *by])
        shift = f" offset {offset}" if offset else ""
        return f"sum by ({labels}) (rate({self.sel(metric, extra)}[{window}]{shift}))"


def duration(seconds: float) -> str:
    """Seconds as a Prometheus duration: 300 -> ``5m``, 90 -> ``1m30s``, 0.5 -> ``500ms``."""
    ms = round(seconds * 1000)
    parts = []
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        if ms >= size:
            parts.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(parts) or "0s"


def alert_name(rule: str) -> str:
    """``error-rate`` -> ``SeawallErrorRate``."""
    return "Seawall" + "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", rule) if p)


def _scope(rule: WindowRuleConfig, notes: list[str]) -> Scope:
    if "tenant" in rule.match:
        raise NotExportable("filters on tenant, which is not a metric label")
    if "tenant" in rule.group_by:
        notes.append(f"{rule.name}: grouped by model only (tenant is not a metric label)")
    matchers = tuple(f'{name}="{value}"' for name, value in sorted(rule.match.items()))
    return Scope(tuple(label for label in rule.group_by if label != "tenant"), matchers)


def _with_hysteresis(name: str, scope: Scope, fire: str, hold: str, enough: str) -> str:
    # Fire above the threshold; once firing, hold down to the resolve threshold.
    firing = f'ALERTS{{alertname="{name}",alertstate="firing"}}'
    return (
        f"(\n  ({fire})\n  or\n  (({hold}) and {scope.on} {firing})\n)\nand {scope.on}\n({enough})"
    )


def _enough(scope: Scope, metric: str, window: str, min_calls: int) -> str:
    return (
        f"sum by ({', '.join(scope.by)}) (increase({scope.sel(metric)}[{window}])) >= {min_calls}"
    )


def _rate_expr(name: str, rule: Any, scope: Scope) -> str:
    window = duration(rule.window_s)
    metric, extra = _RATE_NUMERATORS[rule.kind]
    ratio = f"{scope.sum_rate(metric, window, extra)}\n  / {scope.sum_rate(REQUESTS, window)}"
    enough = _enough(scope, REQUESTS, window, rule.min_calls)
    return _with_hysteresis(
        name, scope, f"{ratio} > {rule.threshold:g}", f"{ratio} > {rule.resolve_at:g}", enough
    )


def _quantile_expr(name: str, rule: LatencyRule | TtftRule, scope: Scope) -> str:
    window, histogram = duration(rule.window_s), _HISTOGRAMS[rule.kind]
    q = f"histogram_quantile({rule.quantile:g}, {scope.sum_rate(histogram + '_bucket', window, by=['le'])})"
    enough = _enough(scope, histogram + "_count", window, rule.min_calls)
    fire, hold = rule.threshold_ms / 1000, rule.resolve_at / 1000
    return _with_hysteresis(name, scope, f"{q} > {fire:g}", f"{q} > {hold:g}", enough)


def _cost_expr(name: str, rule: CostPerHourRule | CostPerCallRule, scope: Scope) -> str:
    window = duration(rule.window_s)
    spend = scope.sum_rate("seawall_cost_usd_total", window)
    value = (
        f"{spend} * 3600"
        if isinstance(rule, CostPerHourRule)
        else f"{spend}\n  / {scope.sum_rate(REQUESTS, window)}"
    )
    enough = _enough(scope, REQUESTS, window, rule.min_calls)
    return _with_hysteresis(
        name, scope, f"{value} > {rule.threshold_usd:g}", f"{value} > {rule.resolve_at:g}", enough
    )


def _token_expr(name: str, rule: TokenAnomalyRule, scope: Scope) -> str:
    window, history = duration(rule.window_s), duration(rule.history_s)
    extra = f'direction=~"{_TOKEN_DIRECTIONS[rule.direction]}"'

    def per_call(range_: str, offset: str = "") -> str:
        tokens = scope.sum_rate("seawall_tokens_total", range_, extra, offset=offset)
        return f"({tokens} / {scope.sum_rate(REQUESTS, range_, offset=offset)})"

    # The history ends where the window starts, as in the engine's own evaluation.
    ratio = f"({per_call(window)} / {per_call(history, window)})"
    fire = f"({ratio} > {rule.ratio:g}) or ({ratio} < {1 / rule.ratio:.6g})"
    hold = f"({ratio} > {rule.resolve_at:g}) or ({ratio} < {1 / rule.resolve_at:.6g})"
    return _with_hysteresis(
        name, scope, fire, hold, _enough(scope, REQUESTS, window, rule.min_calls)
    )


def _window_expr(name: str, rule: WindowRuleConfig, notes: list[str]) -> str:
    scope = _scope(rule, notes)
    if rule.kind in _RATE_NUMERATORS:
        return _rate_expr(name, rule, scope)
    if isinstance(rule, LatencyRule | TtftRule):
        return _quantile_expr(name, rule, scope)
    if isinstance(rule, CostPerHourRule | CostPerCallRule):
        return _cost_expr(name, rule, scope)
    assert isinstance(rule, TokenAnomalyRule)
    return _token_expr(name, rule, scope)


def _breaker_expr(rule: BreakerOpenRule) -> str:
    targets = (
        f'{{target=~"{"|".join(re.escape(t) for t in rule.targets)}"}}' if rule.targets else ""
    )
    return f"max by (target) (seawall_breaker_state{targets}) >= 1"


def _le(bound: float) -> str:
    # The ``le`` label as prometheus-client writes it: repr of the float (1 -> "1.0").
    return repr(float(bound))


def _bucket_at_or_above(threshold_s: float, notes: list[str], slo: str) -> str:
    for bound in _LATENCY_BUCKETS:
        if bound >= threshold_s - 1e-12:
            if abs(bound - threshold_s) > 1e-9:
                notes.append(
                    f"{slo}: latency threshold {threshold_s:g}s is not a histogram bucket; "
                    f"Prometheus judges it at the bucket le={_le(bound)}"
                )
            return _le(bound)
    raise NotExportable(f"latency threshold {threshold_s:g}s is above the largest histogram bucket")


def _burn_expr(evaluator: BurnEvaluator, notes: list[str]) -> str:
    slo, window = evaluator.slo, evaluator.window
    if slo.objective == "cost":
        raise NotExportable(
            "cost SLOs need a per-call cost histogram, which Prometheus does not have"
        )
    scope = Scope(("model",), (f'model="{slo.model}"',) if slo.model else ())
    budget = window.burn_rate * (1 - slo.target)

    def bad(range_: str) -> str:
        if slo.objective == "availability":
            metric, extra = _RATE_NUMERATORS["error_rate"]
            return (
                f"({scope.sum_rate(metric, range_, extra)}\n  / {scope.sum_rate(REQUESTS, range_)})"
            )
        assert slo.threshold_ms is not None
        le = _bucket_at_or_above(slo.threshold_ms / 1000, notes, evaluator.name)
        hist = _HISTOGRAMS["latency"]
        good = scope.sum_rate(hist + "_bucket", range_, f'le="{le}"')
        return f"(1 - {good}\n  / {scope.sum_rate(hist + '_count', range_)})"

    long_, short = duration(window.long_s), duration(window.short_s)
    return f"({bad(long_)} > {budget:.6g})\nand {scope.on}\n({bad(short)} > {budget:.6g})"


# How each kind's ``$value`` reads in the description (a Go template pipeline, and a suffix).
_VALUE_FORMAT = {
    "latency": ("humanizeDuration", ""),
    "ttft": ("humanizeDuration", ""),
    "cost_per_hour": ('printf "%.2f"', " USD/h"),
    "cost_per_call": ('printf "%.4f"', " USD per call"),
    "token_anomaly": ('printf "%.2f"', "x the tokens per call of its history"),
    "breaker_open": ('printf "%.0f"', " (1 half-open, 2 open)"),
    "slo_burn": ("humanizePercentage", " bad calls over the long window"),
}


def _description(entry: RuleEntry) -> str:
    by = ("target",) if entry.kind == "breaker_open" else ("model",)
    where = ", ".join(f"{label} {{{{ $labels.{label} }}}}" for label in by)
    value, suffix = _VALUE_FORMAT.get(entry.kind, ("humanizePercentage", ""))
    return f"{where}: {{{{ $value | {value} }}}}{suffix}. {entry.description}"


def _rule(entry: RuleEntry, expr: str, for_s: float, keep_s: float) -> dict[str, Any]:
    name = alert_name(entry.name)
    rule: dict[str, Any] = {"alert": name, "expr": expr, "for": duration(for_s)}
    if keep_s > 0:
        rule["keep_firing_for"] = duration(keep_s)
    rule["labels"] = {**entry.labels, "severity": entry.severity, "seawall_rule": entry.name}
    rule["annotations"] = {
        "summary": f"{entry.name}: {entry.description}",
        "description": _description(entry),
        "runbook_url": entry.runbook_url,
    }
    return rule


def _export_entry(entry: RuleEntry, notes: list[str]) -> dict[str, Any]:
    name, config = alert_name(entry.name), entry.config
    timing = entry.timing
    if isinstance(config, EventRule):
        raise NotExportable(
            f"fires on '{config.event}' events reported inside Seawall, not on metrics"
        )
    if isinstance(config, BreakerOpenRule):
        return _rule(entry, _breaker_expr(config), timing.for_s, timing.resolve_for_s)
    if config is not None:
        return _rule(entry, _window_expr(name, config, notes), timing.for_s, timing.resolve_for_s)
    assert isinstance(entry.evaluator, BurnEvaluator)
    return _rule(entry, _burn_expr(entry.evaluator, notes), 0.0, timing.resolve_for_s)


def export_groups(config: AlertsConfig) -> tuple[dict[str, Any], list[str], list[str]]:
    """The rule groups, the rules left out (with why) and approximations made."""
    groups: dict[str, list[dict[str, Any]]] = {"seawall-alerts": [], "seawall-slos": []}
    skipped: list[str] = []
    notes: list[str] = []
    for entry in build_catalog(config):
        try:
            rule = _export_entry(entry, notes)
        except NotExportable as exc:
            skipped.append(f"{entry.name}: {exc}")
            continue
        groups["seawall-slos" if entry.kind == "slo_burn" else "seawall-alerts"].append(rule)
    document = {
        "groups": [
            {"name": name, "interval": duration(config.interval_s), "rules": rules}
            for name, rules in groups.items()
            if rules
        ]
    }
    return document, skipped, notes


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line expressions as literal blocks, readable in review.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def export_prometheus(config: AlertsConfig) -> str:
    """The Prometheus alerting rules file for ``config``, with what is left out said at the top."""
    document, skipped, notes = export_groups(config)
    head = [
        "# Prometheus alerting rules generated by `seawall alerts export --prometheus`.",
        "# Metrics: the gateway's /metrics (docs/operations.md#metrics).",
        "# Hysteresis: a firing alert holds down to its resolve threshold (ALERTS) and for",
        "# keep_firing_for (Prometheus >= 2.42).",
    ]
    if skipped:
        head.append("# No Prometheus equivalent (evaluated by Seawall's own alert engine only):")
        head += [f"#   - {line}" for line in skipped]
    if notes:
        head.append("# Approximations:")
        head += [f"#   - {line}" for line in dict.fromkeys(notes)]
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
    return "\n".join(head) + "\n" + body
