"""The projection arithmetic and the cost commands' arguments, without a store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from seawall.config import Price
from seawall.cost.args import parse_growth, parse_instant, parse_route_change
from seawall.cost.project import RouteChange, UnknownPrice, project
from seawall.cost.report import CostRow, total
from seawall.telemetry.prices import PriceTable

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC).timestamp()


def row(upstream: str | None, calls: int, cost: float, prompt: int, completion: int) -> CostRow:
    return CostRow(upstream, calls, cost, prompt, completion, 0, 0, 0, 0.0)


ROWS = [
    row("openai/gpt-4o", 280, 1.26, 280_000, 56_000),
    row("openai/gpt-4o-mini", 700, 0.0945, 350_000, 70_000),
    row(None, 3, 0.0, 0, 0),
]


def test_a_month_is_cost_per_day_times_30_4_times_growth() -> None:
    result = project(ROWS, days=7, growth=10, changes=[], prices=PriceTable())
    assert [round(m.monthly_usd, 4) for m in result.models] == [54.72, 4.104, 0.0]
    assert result.monthly_usd == pytest.approx(58.824)
    assert result.monthly_after_changes_usd == result.monthly_usd


def test_a_route_change_reprices_the_moved_tokens() -> None:
    change = RouteChange("gpt-4o", "gpt-4o-mini")
    result = project(ROWS, days=7, growth=10, changes=[change], prices=PriceTable())
    (effect,) = result.changes
    assert effect.moved_calls == 280
    assert effect.monthly_before_usd == pytest.approx(54.72)
    # 280,000 x $0.15 + 56,000 x $0.60 per million, per week, x 30.4 / 7 x 10
    assert effect.monthly_after_usd == pytest.approx(0.0756 / 7 * 304)
    assert effect.saving_usd == pytest.approx(54.72 - 3.2832)
    assert result.monthly_after_changes_usd == pytest.approx(58.824 - effect.saving_usd)


def test_a_change_to_a_dearer_model_is_a_negative_saving() -> None:
    prices = PriceTable({"premium": Price(input=10.0, output=40.0)})
    change = RouteChange("openai/gpt-4o-mini", "premium")
    (effect,) = project(ROWS, days=7, growth=1, changes=[change], prices=prices).changes
    assert effect.saving_usd < 0


def test_a_change_to_an_unpriced_model_is_refused() -> None:
    with pytest.raises(UnknownPrice, match="no price for 'my-llama'"):
        project(ROWS, 7, 1, [RouteChange("gpt-4o", "my-llama")], PriceTable())


def test_route_changes_match_by_model_or_full_upstream() -> None:
    assert RouteChange("gpt-4o", "x").matches("openai/gpt-4o")
    assert RouteChange("openai/gpt-4o", "x").matches("openai/gpt-4o")
    assert not RouteChange("gpt-4o", "x").matches("openai/gpt-4o-mini")
    assert not RouteChange("gpt-4o", "x").matches(None)


def test_total_adds_up_the_groups() -> None:
    assert total(ROWS) == CostRow(None, 983, 1.3545, 630_000, 126_000, 0, 0, 0, 0.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", NOW - 7 * 86_400),
        ("36h", NOW - 36 * 3600),
        ("90m", NOW - 5400),
        ("1w", NOW - 604_800),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC).timestamp()),
        ("2026-11-01T06:00:00+01:00", datetime(2026, 11, 1, 5, tzinfo=UTC).timestamp()),
    ],
)
def test_instants_are_durations_back_from_now_or_dates(text: str, expected: float) -> None:
    assert parse_instant(text, NOW) == expected


def test_arguments_that_make_no_sense_say_so() -> None:
    with pytest.raises(ValueError, match="neither a duration"):
        parse_instant("last week", NOW)
    assert parse_growth("10x") == 10.0
    assert parse_growth("1.5") == 1.5
    for bad in ("0x", "-2", "ten"):
        with pytest.raises(ValueError, match="growth"):
            parse_growth(bad)
    assert parse_route_change(" gpt-4o = gpt-4o-mini ") == RouteChange("gpt-4o", "gpt-4o-mini")
    with pytest.raises(ValueError, match="FROM=TO"):
        parse_route_change("gpt-4o")
