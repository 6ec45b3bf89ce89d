"""Prometheus export: valid rule files over the metric names and labels the gateway exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from seawall.alerts.config import AlertsConfig
from seawall.alerts.prometheus import alert_name, duration, export_prometheus
from seawall.telemetry.metrics import Metrics
from seawall.telemetry.records import AttemptRecord, CallRecord

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
DEPLOY_RULES = DEPLOY / "prometheus-rules.yml"
DASHBOARD = DEPLOY / "grafana-dashboard.json"
_SELECTOR = re.compile(r"\b(seawall_[a-z_]+)(?:\{([^}]*)\})?")

EVERYTHING = AlertsConfig.model_validate(
    {
        "rules": [
            {
                "kind": "fallback_rate",
                "name": "fallbacks",
                "threshold": 0.2,
                "match": {"model": "chat"},
            },
            {"kind": "validation_failure_rate", "name": "invalid", "threshold": 0.05},
            {
                "kind": "cost_per_hour",
                "name": "spend",
                "threshold_usd": 5,
                "group_by": ["model", "tenant"],
            },
            {"kind": "cost_per_call", "name": "dear", "threshold_usd": 0.05},
            {"kind": "token_anomaly", "name": "tokens"},
            {"kind": "error_rate", "name": "acme", "threshold": 0.05, "match": {"tenant": "acme"}},
            {"kind": "breaker_open", "name": "primary", "targets": ["openai/gpt-4o"]},
        ],
        "slos": [
            {"name": "chat-up", "model": "chat", "objective": "availability", "target": 0.995},
            {"name": "fast", "objective": "latency", "target": 0.99, "threshold_ms": 2000},
            {"name": "cheap", "objective": "cost", "target": 0.99, "threshold_usd": 0.01},
        ],
    }
)


def exposition() -> str:
    """What a gateway's /metrics shows once every kind of call has been seen."""
    metrics = Metrics()
    metrics.observe(
        CallRecord(
            trace_id="t",
            started_at=0.0,
            model="chat",
            stream=True,
            outcome="error",
            error_code="upstream_unavailable",
            attempts=[AttemptRecord("openai/gpt-4o", 0.0, 5.0, "error", "http_5xx")],
            retries=1,
            fallback=True,
            degraded=True,
            latency_ms=10.0,
            ttft_ms=5.0,
            prompt_tokens=3,
            completion_tokens=4,
            cost_usd=0.01,
            validation="invalid",
        )
    )
    metrics.breaker_changed("openai/gpt-4o", "open")
    return metrics.exposition().decode()


def rules_of(text: str) -> list[dict[str, Any]]:
    document = yaml.safe_load(text)
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_the_export_is_a_valid_rule_file_with_runbooks() -> None:
    text = export_prometheus(EVERYTHING)
    document = yaml.safe_load(text)
    assert {g["name"] for g in document["groups"]} == {"seawall-alerts", "seawall-slos"}
    rules = rules_of(text)
    for rule in rules:
        assert set(rule) >= {"alert", "expr", "for", "labels", "annotations"}
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rule["alert"])
        assert rule["annotations"]["runbook_url"].startswith("docs/operations.md#alert-")
        assert rule["labels"]["severity"] in ("page", "ticket", "info")
        assert re.fullmatch(r"(\d+[hms]|\d+ms)+", rule["for"])
        expr = rule["expr"]
        assert expr.count("(") == expr.count(")")
        assert expr.count("{") == expr.count("}")
    names = {rule["labels"]["seawall_rule"] for rule in rules}
    assert {"error-rate", "latency-p95", "fallbacks", "spend", "tokens", "primary"} <= names
    assert {"chat-up-fast", "chat-up-slow", "fast-fast", "fast-slow"} <= names


def test_what_has_no_prometheus_equivalent_is_named_at_the_top() -> None:
    text = export_prometheus(EVERYTHING)
    head = text.split("groups:", 1)[0]
    names = {rule["labels"]["seawall_rule"] for rule in rules_of(text)}
    for missing in (
        "budget-soft-limit",
        "canary-rollback",
        "review-sla",
        "drift",
        "acme",
        "cheap-fast",
    ):
        assert f"#   - {missing}:" in head
        assert missing not in names
    assert "tenant is not a metric label" in head
    assert "le=2.5" in head  # a 2 s latency SLO is judged at the 2.5 s bucket


def test_every_metric_and_label_used_exists_on_the_gateway() -> None:
    exposed = exposition()
    for rule in rules_of(export_prometheus(EVERYTHING)):
        for metric, matchers in _SELECTOR.findall(rule["expr"]):
            assert re.search(rf"^{metric}[{{ ]", exposed, re.MULTILINE), metric
            for label in re.findall(r"([a-z_]+)\s*(?:=~|!~|!=|=)", matchers):
                assert re.search(rf'^{metric}\{{[^}}]*\b{label}="', exposed, re.MULTILINE), (
                    f"{metric} has no label {label}"
                )


def test_hysteresis_carries_over() -> None:
    rule = next(
        r for r in rules_of(export_prometheus(AlertsConfig())) if r["alert"] == "SeawallErrorRate"
    )
    assert "> 0.02" in rule["expr"]
    assert "> 0.01" in rule["expr"]
    assert 'ALERTS{alertname="SeawallErrorRate",alertstate="firing"}' in rule["expr"]
    assert ">= 20" in rule["expr"]  # the minimum data
    assert rule["keep_firing_for"] == "5m"


def test_durations_and_names() -> None:
    assert duration(300) == "5m"
    assert duration(90) == "1m30s"
    assert duration(21_600) == "6h"
    assert duration(0.25) == "250ms"
    assert duration(0) == "0s"
    assert alert_name("error-rate") == "SeawallErrorRate"
    assert alert_name("chat.v2:fast") == "SeawallChatV2Fast"


def test_the_shipped_rules_file_is_the_default_export() -> None:
    assert DEPLOY_RULES.read_text("utf-8") == export_prometheus(AlertsConfig())


def test_the_grafana_dashboard_queries_metrics_the_gateway_exposes() -> None:
    dashboard = json.loads(DASHBOARD.read_text("utf-8"))
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    assert {v["name"] for v in dashboard["templating"]["list"]} == {"datasource", "model"}
    exposed = exposition()
    titles = []
    for panel in panels:
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"])
        titles.append(panel["title"].lower())
        for target in panel.get("targets", []):
            bare = re.sub(r"\{[^}]*\}", "", target["expr"])  # label names are not metrics
            metrics = {m for m, _ in _SELECTOR.findall(bare)}
            for metric in metrics:
                assert re.search(rf"^{metric}[{{ ]", exposed, re.MULTILINE), metric
    shown = " ".join(titles)
    for topic in (
        "calls",
        "error rate",
        "latency",
        "first token",
        "tokens",
        "spend",
        "fallback",
        "degraded",
        "breaker",
        "record queue",
    ):
        assert topic in shown, topic
