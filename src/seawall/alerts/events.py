"""What goes into the alert engine from other subsystems, and what comes out of it.

``AlertSignal``: something happened elsewhere (a budget's soft limit was crossed, a canary was
rolled back, a review item passed its SLA, drift was detected); event rules turn it into an
alert. ``AlertEvent``: an alert fired or resolved; notifiers send it and the history keeps it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

Status = Literal["firing", "resolved"]


@dataclass(frozen=True, slots=True)
class AlertSignal:
    """An event reported by another subsystem, e.g.::

    AlertSignal("budget_soft_limit", "tenant acme spent $80 of its $100 monthly budget",
                labels={"scope": "tenant:acme", "period": "month"},
                key="tenant:acme/month/1767225600", values={"spent_usd": 80.0})
    """

    kind: str  # matches ``event`` of an event rule: budget_soft_limit, canary_rollback, ...
    summary: str  # one line for a person
    labels: Mapping[str, str] = field(default_factory=dict)  # model, tenant, prompt, release, ...
    key: str | None = None  # dedup key (default: the labels); put the budget period in it
    values: Mapping[str, float] = field(default_factory=dict)  # figures shown with the alert
    at: float | None = None  # unix seconds (default: when the engine takes it)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert that fired or resolved, with everything a person needs to act on it."""

    rule: str
    kind: str  # the rule's kind: error_rate, latency, breaker_open, event, slo_burn, ...
    status: Status
    severity: str
    labels: dict[str, str]
    summary: str
    runbook_url: str
    at: float  # unix seconds of this transition
    fired_at: float | None = None  # when the alert (last) started firing
    value: float | None = None
    figures: dict[str, float] = field(default_factory=dict)
    series: str = ""  # digest of the label set: one alert of a rule
    test: bool = False  # sent by `seawall alerts test`, not by a real condition

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape sent to webhooks and kept in the history."""
        return {
            "rule": self.rule,
            "kind": self.kind,
            "status": self.status,
            "severity": self.severity,
            "labels": dict(self.labels),
            "summary": self.summary,
            "runbook_url": self.runbook_url,
            "at": self.at,
            "fired_at": self.fired_at,
            "value": self.value,
            "figures": dict(self.figures),
            "series": self.series,
            "test": self.test,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertEvent:
        """The event from its ``as_dict`` form (history rows)."""
        return cls(
            rule=data["rule"],
            kind=data["kind"],
            status=data["status"],
            severity=data["severity"],
            labels=dict(data.get("labels") or {}),
            summary=data.get("summary", ""),
            runbook_url=data.get("runbook_url", ""),
            at=float(data["at"]),
            fired_at=data.get("fired_at"),
            value=data.get("value"),
            figures=dict(data.get("figures") or {}),
            series=data.get("series", ""),
            test=bool(data.get("test", False)),
        )


def series_id(labels: Mapping[str, str], key: str | None = None) -> str:
    """A short stable digest naming one alert of a rule: of its dedup key, else its labels."""
    text = (
        key if key is not None else orjson.dumps(dict(labels), option=orjson.OPT_SORT_KEYS).decode()
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]
