"""The built-in price table: coverage, dates, lookup of dated ids, and the cost formula."""

from __future__ import annotations

from datetime import date

import pytest

from seawall.config import Price
from seawall.core.types import Usage
from seawall.telemetry.prices import PriceTable, builtin_prices, prices_as_of

REQUIRED = [
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "o1",
    "o3",
    "o3-mini",
    "o4-mini",
    "claude-3-5-sonnet",
    "claude-3-5-haiku",
    "claude-3-7-sonnet",
    "claude-sonnet-4",
    "claude-sonnet-4-5",
    "claude-opus-4-1",
    "claude-haiku-4-5",
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.0-flash",
    "mistral-large-latest",
    "mistral-small-latest",
]


def test_the_table_covers_the_common_hosted_models() -> None:
    table = builtin_prices()
    assert [name for name in REQUIRED if name not in table] == []
    for name, price in table.items():
        assert 0 < price.input <= price.output, name
        if price.cached_input is not None:
            assert price.cached_input < price.input, name


def test_the_table_says_when_its_prices_were_taken() -> None:
    taken = date.fromisoformat(prices_as_of())
    assert date(2026, 1, 1) <= taken <= date.today()


@pytest.mark.parametrize(
    ("model", "alias"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("openai/gpt-4o-mini", "gpt-4o-mini"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ("anthropic/claude-3-7-sonnet-20250219", "claude-3-7-sonnet"),
    ],
)
def test_dated_and_prefixed_ids_are_priced_like_their_alias(model: str, alias: str) -> None:
    table = PriceTable()
    assert table.price(model) == builtin_prices()[alias]


def test_a_listed_snapshot_keeps_its_own_price_and_unknown_models_cost_nothing() -> None:
    table = PriceTable()
    assert table.price("gpt-4o-2024-05-13") == Price(input=5.0, output=15.0)
    assert table.price("my-local-llama") is None
    assert table.cost("my-local-llama", Usage(1000, 1000)) == 0.0


def test_the_config_overrides_and_extends_the_table() -> None:
    table = PriceTable(
        {"gpt-4o": Price(input=1.0, output=2.0), "llama": Price(input=0.1, output=0.2)}
    )
    assert table.cost("gpt-4o", Usage(1_000_000, 1_000_000)) == pytest.approx(3.0)
    assert table.cost("gpt-4o-2024-08-06", Usage(1_000_000, 0)) == pytest.approx(1.0)
    assert table.cost("llama", Usage(0, 1_000_000)) == pytest.approx(0.2)


def test_cached_tokens_are_billed_at_the_cached_price() -> None:
    table = PriceTable()
    usage = Usage(prompt_tokens=10_000, completion_tokens=1_000, cached_tokens=4_000)
    # gpt-4o: 6,000 x $2.50 + 4,000 x $1.25 + 1,000 x $10 per million
    assert table.cost("gpt-4o", usage) == pytest.approx(0.015 + 0.005 + 0.01)
    no_cache_price = PriceTable({"m": Price(input=1.0, output=1.0)})
    assert no_cache_price.cost("m", usage) == pytest.approx(0.011)
