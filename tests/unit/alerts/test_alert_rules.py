"""Rule evaluators and SLO burn rates, judged from window counts (no database)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from seawall.alerts.config import AlertsConfig, ErrorRateRule, LatencyRule, SloConfig
from seawall.alerts.rules import QuantileEvaluator, RateEvaluator, breaker_reading, evaluator_for
from seawall.alerts.slo import BurnEvaluator
from seawall.alerts.windows import LabelValues, Slice

NOW = 1_700_000_000.0


async def no_quantile(
    part: Slice, labels: LabelValues, column: sa.ColumnElement[Any], q: float, n: int
) -> float | None:
    return 1234.0


def error_rule(**changes: Any) -> ErrorRateRule:
    fields = {"kind": "error_rate", "name": "e", "threshold": 0.02, "resolve_threshold": 0.01}
    return ErrorRateRule.model_validate({**fields, **changes})


async def read(evaluator: Any, row: dict[str, float]) -> Any:
    part = evaluator.window(NOW)
    return await evaluator.read_one(part, ("chat",), row, no_quantile)


async def test_error_rate_verdicts_and_figures() -> None:
    evaluator = evaluator_for(error_rule())
    assert isinstance(evaluator, RateEvaluator)
    breach = await read(evaluator, {"calls": 200, "error_rate": 6})
    assert breach.verdict == "breach"
    assert breach.value == pytest.approx(0.03)
    assert breach.figures == {"calls": 200, "matching": 6, "threshold": 0.02}
    assert "3.0% (6 of 200 calls in 5m)" in breach.summary
    assert (await read(evaluator, {"calls": 200, "error_rate": 3})).verdict == "between"
    assert (await read(evaluator, {"calls": 200, "error_rate": 2})).verdict == "clear"


async def test_one_failure_in_two_calls_is_no_page() -> None:
    reading = await read(evaluator_for(error_rule()), {"calls": 2, "error_rate": 1})
    assert reading.verdict == "no_data"
    assert reading.value is None


async def test_quantile_verdict_is_exact_for_the_nearest_rank() -> None:
    rule = LatencyRule(kind="latency", name="l", threshold_ms=1000, resolve_threshold_ms=800)
    evaluator = evaluator_for(rule)
    assert isinstance(evaluator, QuantileEvaluator)
    n_key, fire_key, clear_key = evaluator._keys()
    # 100 calls: p95 is the 95th value, above 1000 ms exactly when 6 or more calls are.
    row = {"calls": 100, n_key: 100, fire_key: 5, clear_key: 9}
    assert (await read(evaluator, row)).verdict == "between"  # p95 in (800, 1000] ms
    row = {"calls": 100, n_key: 100, fire_key: 6, clear_key: 6}
    breach = await read(evaluator, row)
    assert breach.verdict == "breach"
    assert breach.value == 1234.0  # the quantile is read for what is shown
    row = {"calls": 100, n_key: 100, fire_key: 5, clear_key: 5}
    assert (await read(evaluator, row)).verdict == "clear"  # p95 at or below 800 ms


def test_breaker_readings() -> None:
    assert breaker_reading("open").verdict == "breach"
    assert breaker_reading("half_open").verdict == "breach"
    assert breaker_reading("closed").verdict == "clear"
    assert breaker_reading(None).verdict == "no_data"


def burn(target: float = 0.995) -> tuple[BurnEvaluator, BurnEvaluator]:
    slo = SloConfig(name="chat", model="chat", objective="availability", target=target)
    fast, slow = (BurnEvaluator(slo, w) for w in slo.windows)
    return fast, slow


def test_a_fast_burn_fires_the_fast_alert_with_its_figures() -> None:
    fast, _ = burn()
    # 10% errors for an hour against a 0.5% budget: burning at 20x in both windows.
    reading = fast.judge({"calls": 1000, fast._bad: 100}, {"calls": 100, fast._bad: 10})
    assert reading.verdict == "breach"
    assert reading.figures["burn_rate_long"] == pytest.approx(20.0)
    assert reading.figures["burn_rate_short"] == pytest.approx(20.0)
    assert reading.figures["burn_rate_threshold"] == 14.4
    # 20x for 1 h of a 30-day budget: 20 / 720 of it
    assert reading.figures["budget_spent_in_long_window"] == pytest.approx(20 / 720)
    assert "20.0x over 1h" in reading.summary


def test_a_slow_burn_below_both_thresholds_fires_nothing() -> None:
    fast, slow = burn()
    # 2% errors: 4x the budget, under 14.4x and under 6x.
    assert (
        fast.judge({"calls": 1000, fast._bad: 20}, {"calls": 100, fast._bad: 2}).verdict == "clear"
    )
    assert (
        slow.judge({"calls": 6000, slow._bad: 120}, {"calls": 600, slow._bad: 12}).verdict
        == "clear"
    )


def test_a_burn_that_stopped_does_not_fire_on_the_long_window_alone() -> None:
    fast, _ = burn()
    # An hour at 20x, but the last five minutes clean: the short window vetoes.
    assert (
        fast.judge({"calls": 1000, fast._bad: 100}, {"calls": 100, fast._bad: 0}).verdict == "clear"
    )
    # Only the last five minutes burning: the long window is still under 14.4x.
    assert (
        fast.judge({"calls": 1000, fast._bad: 30}, {"calls": 100, fast._bad: 30}).verdict
        == "between"
    )


def test_burn_rates_need_minimum_data() -> None:
    fast, _ = burn()
    assert (
        fast.judge({"calls": 1000, fast._bad: 100}, {"calls": 3, fast._bad: 3}).verdict == "no_data"
    )


def test_every_default_window_rule_has_an_evaluator() -> None:
    for rule in AlertsConfig().effective_rules:
        if rule.kind not in ("event", "breaker_open"):
            assert evaluator_for(rule).rule is rule  # type: ignore[arg-type]
