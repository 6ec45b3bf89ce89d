"""The alerts config: defaults for any deployment, overrides by name, validation, runbook links."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from seawall.alerts.catalog import EVENT_ANCHORS, OTHER_EVENT_ANCHOR, RUNBOOK_ANCHORS, build_catalog
from seawall.alerts.config import AlertsConfig

DOCS = Path(__file__).resolve().parents[3] / "docs"
OPERATIONS = DOCS / "operations.md"


def config(**fields: Any) -> AlertsConfig:
    return AlertsConfig.model_validate(fields)


def test_the_defaults_cover_the_usual_failures() -> None:
    rules = {rule.name: rule for rule in AlertsConfig().effective_rules}
    assert set(rules) == {
        "error-rate",
        "latency-p95",
        "ttft-p95",
        "degraded-rate",
        "breaker-open",
        "budget-soft-limit",
        "canary-rollback",
        "review-sla",
        "drift",
    }
    error_rate = rules["error-rate"]
    assert error_rate.kind == "error_rate"
    assert (error_rate.threshold, error_rate.window_s, error_rate.min_calls) == (0.02, 300.0, 20)
    events = {r.event for r in rules.values() if r.kind == "event"}
    assert events == {"budget_soft_limit", "canary_rollback", "review_sla", "drift"}


def test_a_rule_named_like_a_default_replaces_it_and_can_switch_it_off() -> None:
    cfg = config(
        rules=[
            {"kind": "error_rate", "name": "error-rate", "threshold": 0.05},
            {"kind": "event", "name": "drift", "event": "drift", "enabled": False},
            {"kind": "fallback_rate", "name": "fallbacks", "threshold": 0.2},
        ]
    )
    rules = {rule.name: rule for rule in cfg.effective_rules}
    assert rules["error-rate"].threshold == 0.05  # type: ignore[union-attr]
    assert "drift" not in rules
    assert "fallbacks" in rules
    assert [r.name for r in config(default_rules=False).effective_rules] == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {
                "rules": [
                    {
                        "kind": "error_rate",
                        "name": "e",
                        "threshold": 0.02,
                        "resolve_threshold": 0.03,
                    }
                ]
            },
            "resolve_threshold must not exceed threshold",
        ),
        (
            {
                "rules": [
                    {
                        "kind": "latency",
                        "name": "l",
                        "threshold_ms": 100,
                        "resolve_threshold_ms": 200,
                    }
                ]
            },
            "resolve_threshold_ms must not exceed threshold_ms",
        ),
        (
            {
                "rules": [
                    {"kind": "error_rate", "name": "e", "threshold": 0.02, "notify": ["pager"]}
                ]
            },
            "unknown notifier 'pager'",
        ),
        (
            {"rules": [{"kind": "degraded_rate", "name": "x", "threshold": 0.1}] * 2},
            "names must be unique",
        ),
        ({"slos": [{"name": "s", "objective": "latency", "target": 0.99}]}, "needs threshold_ms"),
        ({"notifiers": {"hook": {"kind": "webhook", "url": "ftp://x"}}}, "http(s)://"),
        (
            {
                "rules": [
                    {"kind": "error_rate", "name": "e", "threshold": 0.02, "group_by": ["route"]}
                ]
            },
            "group_by",
        ),
    ],
)
def test_bad_alert_configs_say_what_is_wrong(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        config(**fields)
    assert message in str(err.value)


def test_default_resolve_thresholds_sit_below_the_firing_ones() -> None:
    cfg = config(
        rules=[
            {"kind": "error_rate", "name": "e", "threshold": 0.04},
            {"kind": "latency", "name": "l", "threshold_ms": 1000},
        ]
    )
    rules = {r.name: r for r in cfg.rules}
    assert rules["e"].resolve_at == pytest.approx(0.02)  # type: ignore[union-attr]
    assert rules["l"].resolve_at == pytest.approx(800.0)  # type: ignore[union-attr]


def test_every_runbook_link_points_at_a_section_of_the_operations_runbook() -> None:
    text = OPERATIONS.read_text("utf-8")
    anchors = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', text))
    wanted = {*RUNBOOK_ANCHORS.values(), *EVENT_ANCHORS.values(), OTHER_EVENT_ANCHOR}
    assert wanted <= anchors, f"missing runbook sections: {sorted(wanted - anchors)}"
    for entry in build_catalog(AlertsConfig()):
        assert entry.runbook_url.startswith("docs/operations.md#")
        assert entry.runbook_url.split("#", 1)[1] in anchors


def test_slo_burn_windows_default_to_the_sre_workbook_pair() -> None:
    cfg = config(
        slos=[{"name": "chat", "model": "chat", "objective": "availability", "target": 0.995}]
    )
    burn = [e for e in build_catalog(cfg) if e.kind == "slo_burn"]
    assert [(e.name, e.severity) for e in burn] == [("chat-fast", "page"), ("chat-slow", "ticket")]
    windows = cfg.slos[0].windows
    assert [(w.long_s, w.short_s, w.burn_rate) for w in windows] == [
        (3600, 300, 14.4),
        (21_600, 1800, 6.0),
    ]


def test_the_examples_in_the_alerts_doc_are_valid() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (DOCS / "alerts.md").read_text("utf-8"), re.DOTALL)
    assert blocks
    for block in blocks:
        build_catalog(AlertsConfig.model_validate(yaml.safe_load(block)["alerts"]))
