"""The ``alerts:`` section of ``seawall.yaml``: rules, SLOs and notifiers.

Rules of every kind share the hysteresis fields (``for_s``, ``resolve_for_s``, a resolve
threshold below the firing one) and the routing fields (``severity``, ``notify``, ``labels``,
``runbook``). A default set of rules that fits any deployment is on unless ``default_rules``
is false; a rule of yours with the same name replaces the default one.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from seawall.alerts.notifier_config import (
    LogNotifier,
    NotifierConfig,
    RetrySettings,
    Severity,
    SlackNotifier,
    WebhookNotifier,
)

__all__ = [
    "AlertsConfig",
    "LogNotifier",
    "NotifierConfig",
    "RetrySettings",
    "Severity",
    "SlackNotifier",
    "WebhookNotifier",
]

GroupLabel = Literal["model", "tenant"]
"""Labels a window rule may group or filter by (columns of the call records; extend here)."""

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


# --------------------------------------------------------------------------- rules


class _RuleBase(_Model):
    name: str = Field(pattern=_NAME, max_length=100)
    """Unique name of the rule (``seawall alerts test NAME``)."""
    severity: Severity = "page"
    """``page`` wakes someone, ``ticket`` can wait for the morning, ``info`` is for the record."""
    runbook: str | None = None
    """Anchor of the runbook section in ``runbook_base`` (default: the section of the rule's kind)."""
    labels: dict[str, str] = {}
    """Extra labels on every event of this rule (e.g. ``team: search``)."""
    notify: list[str] | None = None
    """Names of the notifiers to send to (default: every notifier)."""
    notify_resolved: bool = True
    """Also notify when the alert resolves."""
    enabled: bool = True
    """Switch the rule off without deleting it (also turns off a default rule of the same name)."""


class _WindowRule(_RuleBase):
    window_s: float = Field(300.0, gt=0)
    """Length of the sliding window of call records the rule reads."""
    for_s: float = Field(0.0, ge=0)
    """The firing condition must hold this long before the alert fires."""
    resolve_for_s: float = Field(300.0, ge=0)
    """The resolve condition must hold this long before the alert resolves."""
    min_calls: int = Field(20, ge=1)
    """Fewest calls in the window for the rule to judge at all (1 failure in 2 calls is no page)."""
    group_by: list[GroupLabel] = ["model"]
    """One alert per value of these labels of the call records."""
    match: dict[GroupLabel, str] = {}
    """Only calls whose labels equal these values (e.g. ``model: chat``)."""


class _RateRule(_WindowRule):
    threshold: float = Field(gt=0, le=1)
    """Fires when the share of calls in the window exceeds this."""
    resolve_threshold: float | None = Field(None, ge=0, le=1)
    """Resolves when the share is at or below this (default: half of ``threshold``)."""

    @model_validator(mode="after")
    def _band(self) -> _RateRule:
        if self.resolve_threshold is not None and self.resolve_threshold > self.threshold:
            raise ValueError("resolve_threshold must not exceed threshold")
        return self

    @property
    def resolve_at(self) -> float:
        return self.threshold / 2 if self.resolve_threshold is None else self.resolve_threshold


class ErrorRateRule(_RateRule):
    kind: Literal["error_rate"]
    """Share of calls that failed on Seawall's or the upstream's side (callers' 4xx excluded)."""


class DegradedRateRule(_RateRule):
    kind: Literal["degraded_rate"]
    """Share of calls answered by the degrade policy."""


class FallbackRateRule(_RateRule):
    kind: Literal["fallback_rate"]
    """Share of calls answered by a fallback target."""


class ValidationRateRule(_RateRule):
    kind: Literal["validation_failure_rate"]
    """Share of calls whose answer failed its JSON schema after repair and re-ask."""


class _QuantileRule(_WindowRule):
    quantile: float = Field(0.95, gt=0, lt=1)
    """Which quantile of the window is compared (0.95: p95)."""
    threshold_ms: float = Field(gt=0)
    """Fires when the quantile exceeds this many milliseconds."""
    resolve_threshold_ms: float | None = Field(None, gt=0)
    """Resolves when the quantile is at or below this (default: 80% of ``threshold_ms``)."""
    for_s: float = Field(120.0, ge=0)
    """The firing condition must hold this long before the alert fires."""

    @model_validator(mode="after")
    def _band(self) -> _QuantileRule:
        if self.resolve_threshold_ms is not None and self.resolve_threshold_ms > self.threshold_ms:
            raise ValueError("resolve_threshold_ms must not exceed threshold_ms")
        return self

    @property
    def resolve_at(self) -> float:
        default = self.threshold_ms * 0.8
        return default if self.resolve_threshold_ms is None else self.resolve_threshold_ms


class LatencyRule(_QuantileRule):
    kind: Literal["latency"]
    """A quantile of the total call latency."""


class TtftRule(_QuantileRule):
    kind: Literal["ttft"]
    """A quantile of the time to first token (streams only)."""


class CostPerHourRule(_WindowRule):
    kind: Literal["cost_per_hour"]
    """Spend rate: cost in the window scaled to US dollars per hour."""
    threshold_usd: float = Field(gt=0)
    """Fires above this many US dollars per hour."""
    resolve_threshold_usd: float | None = Field(None, ge=0)
    """Resolves at or below this (default: 80% of ``threshold_usd``)."""
    window_s: float = Field(3600.0, gt=0)
    """Length of the sliding window of call records the rule reads."""
    min_calls: int = Field(1, ge=1)
    """Fewest calls in the window for the rule to judge at all."""

    @property
    def resolve_at(self) -> float:
        default = self.threshold_usd * 0.8
        return default if self.resolve_threshold_usd is None else self.resolve_threshold_usd


class CostPerCallRule(_WindowRule):
    kind: Literal["cost_per_call"]
    """Mean cost of a call in the window."""
    threshold_usd: float = Field(gt=0)
    """Fires when the mean cost per call exceeds this (US dollars)."""
    resolve_threshold_usd: float | None = Field(None, ge=0)
    """Resolves at or below this (default: 80% of ``threshold_usd``)."""
    window_s: float = Field(3600.0, gt=0)
    """Length of the sliding window of call records the rule reads."""

    @property
    def resolve_at(self) -> float:
        default = self.threshold_usd * 0.8
        return default if self.resolve_threshold_usd is None else self.resolve_threshold_usd


class TokenAnomalyRule(_WindowRule):
    kind: Literal["token_anomaly"]
    """Mean tokens per call in the window against the same labels' own history."""
    direction: Literal["input", "output", "total"] = "total"
    """Which tokens are counted."""
    ratio: float = Field(3.0, gt=1)
    """Fires when the window's mean is this many times above (or below) the history's mean."""
    resolve_ratio: float | None = Field(None, ge=1)
    """Resolves when the ratio is back within this factor (default: halfway to 1)."""
    history_s: float = Field(7 * 86_400.0, gt=0)
    """Length of the history before the window."""
    min_history_calls: int = Field(100, ge=1)
    """Fewest calls in the history for a comparison."""
    window_s: float = Field(900.0, gt=0)
    """Length of the sliding window of call records the rule reads."""
    for_s: float = Field(300.0, ge=0)
    """The firing condition must hold this long before the alert fires."""

    @property
    def resolve_at(self) -> float:
        return (1 + self.ratio) / 2 if self.resolve_ratio is None else self.resolve_ratio


class BreakerOpenRule(_RuleBase):
    kind: Literal["breaker_open"]
    """A circuit breaker of a target is open or probing (half-open)."""
    targets: list[str] | None = None
    """Only these targets (``provider/model``; default: every target)."""
    for_s: float = Field(60.0, ge=0)
    """The breaker must stay open (or half-open) this long before the alert fires."""
    resolve_for_s: float = Field(120.0, ge=0)
    """The breaker must stay closed this long before the alert resolves."""


class EventRule(_RuleBase):
    kind: Literal["event"]
    """Fires on events other parts of Seawall report (budgets, canaries, reviews, drift)."""
    event: str = Field(min_length=1)
    """The event kind that fires this rule, e.g. ``budget_soft_limit``."""
    dedup_s: float = Field(3600.0, gt=0)
    """The alert stays firing this long after the last event; repeats meanwhile notify nobody."""
    severity: Severity = "ticket"
    """``page`` wakes someone, ``ticket`` can wait for the morning, ``info`` is for the record."""
    notify_resolved: bool = False
    """Also notify when the alert resolves (by quiet for ``dedup_s``)."""


WindowRuleConfig = (
    ErrorRateRule
    | DegradedRateRule
    | FallbackRateRule
    | ValidationRateRule
    | LatencyRule
    | TtftRule
    | CostPerHourRule
    | CostPerCallRule
    | TokenAnomalyRule
)
RuleConfig = Annotated[WindowRuleConfig | BreakerOpenRule | EventRule, Field(discriminator="kind")]


# --------------------------------------------------------------------------- SLOs


class BurnWindow(_Model):
    name: str = Field(pattern=_NAME)
    """Suffix of the alert's name (``<slo>-<name>``)."""
    long_s: float = Field(gt=0)
    """Long window: the burn rate over it must exceed ``burn_rate``."""
    short_s: float = Field(gt=0)
    """Short window: must exceed it too, so the alert stops soon after the burn does."""
    burn_rate: float = Field(gt=0)
    """Multiple of the sustainable error rate (1 spends the budget exactly in the period)."""
    severity: Severity = "page"
    """Severity of this window's alert."""
    resolve_for_s: float = Field(300.0, ge=0)
    """The short window must stay under ``burn_rate`` this long before the alert resolves."""

    @model_validator(mode="after")
    def _short_is_shorter(self) -> BurnWindow:
        if self.short_s >= self.long_s:
            raise ValueError("short_s must be shorter than long_s")
        return self


# The SRE workbook's multiwindow, multi-burn-rate pair for a 30-day budget: 2% of the budget
# in an hour pages, 5% in six hours opens a ticket.
DEFAULT_BURN_WINDOWS = [
    BurnWindow(name="fast", long_s=3600, short_s=300, burn_rate=14.4, severity="page"),
    BurnWindow(name="slow", long_s=21_600, short_s=1800, burn_rate=6.0, severity="ticket"),
]


class SloConfig(_Model):
    name: str = Field(pattern=_NAME, max_length=80)
    """Name of the SLO; its alerts are ``<name>-fast`` and ``<name>-slow``."""
    model: str | None = None
    """Logical model it covers (default: every model, each on its own)."""
    objective: Literal["availability", "latency", "cost"]
    """What a good call is: no server error, faster than ``threshold_ms``, cheaper than ``threshold_usd``."""
    target: float = Field(gt=0, lt=1)
    """Share of good calls promised over the period, e.g. 0.995."""
    threshold_ms: float | None = Field(None, gt=0)
    """``latency``: a call slower than this is bad."""
    threshold_usd: float | None = Field(None, gt=0)
    """``cost``: a call dearer than this is bad."""
    period_days: float = Field(30.0, gt=0)
    """Length of the SLO period the error budget covers."""
    min_calls: int = Field(20, ge=1)
    """Fewest calls in a short window for its burn rate to count."""
    windows: list[BurnWindow] = Field(DEFAULT_BURN_WINDOWS, min_length=1)
    """Burn-rate alerts (default: fast 1 h/5 min at 14.4x, slow 6 h/30 min at 6x)."""
    runbook: str | None = None
    """Anchor of the runbook section (default: ``slo-burn-rate``)."""
    labels: dict[str, str] = {}
    """Extra labels on every event of this SLO."""
    notify: list[str] | None = None
    """Names of the notifiers to send to (default: every notifier)."""

    @model_validator(mode="after")
    def _threshold_given(self) -> SloConfig:
        if self.objective == "latency" and self.threshold_ms is None:
            raise ValueError("a latency SLO needs threshold_ms")
        if self.objective == "cost" and self.threshold_usd is None:
            raise ValueError("a cost SLO needs threshold_usd")
        return self


# --------------------------------------------------------------------------- root


def default_rules() -> list[RuleConfig]:
    """Rules that make sense for any deployment (see ``docs/alerts.md``)."""
    return [
        ErrorRateRule(kind="error_rate", name="error-rate", threshold=0.02, resolve_threshold=0.01),
        LatencyRule(kind="latency", name="latency-p95", threshold_ms=20_000, window_s=600),
        TtftRule(kind="ttft", name="ttft-p95", threshold_ms=5_000, window_s=600),
        DegradedRateRule(kind="degraded_rate", name="degraded-rate", threshold=0.01),
        BreakerOpenRule(kind="breaker_open", name="breaker-open", severity="ticket"),
        EventRule(
            kind="event", name="budget-soft-limit", event="budget_soft_limit", dedup_s=86_400
        ),
        EventRule(kind="event", name="canary-rollback", event="canary_rollback"),
        EventRule(kind="event", name="review-sla", event="review_sla"),
        EventRule(kind="event", name="drift", event="drift", dedup_s=86_400),
    ]


class AlertsConfig(_Model):
    enabled: bool = True
    """Evaluate rules in the server (``seawall alerts`` commands work either way)."""
    interval_s: float = Field(30.0, gt=0)
    """How often window, breaker and SLO rules are evaluated (events are handled at once)."""
    runbook_base: str = "docs/operations.md"
    """Where runbooks live; an event links to ``<runbook_base>#<anchor>``."""
    default_rules: bool = True
    """Include the default rules (error rate, latency, breaker, degraded, budget, canary, review, drift)."""
    rules: list[RuleConfig] = []
    """Your rules; one named like a default rule replaces it."""
    slos: list[SloConfig] = []
    """Service level objectives with error-budget burn-rate alerts."""
    notifiers: dict[str, NotifierConfig] = {"log": LogNotifier(kind="log")}
    """Where events go, by name."""
    no_data_resolve_s: float = Field(3600.0, gt=0)
    """A firing window alert whose labels saw no calls for this long resolves ("no data")."""
    events_queue_size: int = Field(10_000, ge=1)
    """Reported events waiting for the engine; when full the oldest is dropped and counted."""

    @model_validator(mode="after")
    def _consistent(self) -> AlertsConfig:
        names = [r.name for r in self.rules]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"rules: names must be unique ({', '.join(repeated)} repeated)")
        slo_names = [s.name for s in self.slos]
        if len(slo_names) != len(set(slo_names)):
            raise ValueError("slos: names must be unique")
        for where, notify in self._routes():
            for name in notify:
                if name not in self.notifiers:
                    known = ", ".join(sorted(self.notifiers)) or "none"
                    raise ValueError(f"{where}.notify: unknown notifier '{name}' (known: {known})")
        return self

    def _routes(self) -> list[tuple[str, list[str]]]:
        found = [(f"rules.{i}", r.notify) for i, r in enumerate(self.rules) if r.notify]
        found += [(f"slos.{i}", s.notify) for i, s in enumerate(self.slos) if s.notify]
        return found

    @property
    def effective_rules(self) -> list[RuleConfig]:
        """Default rules (unless switched off) overridden by name, then the rest of yours; enabled only."""
        own = {rule.name: rule for rule in self.rules}
        merged = [own.pop(r.name, r) for r in default_rules()] if self.default_rules else []
        merged += [r for r in self.rules if r.name in own]
        return [r for r in merged if r.enabled]
