"""Cost of a call from the price table (built-in, extended by ``prices:`` in the config)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources

from seawall.config import Price
from seawall.core.types import Usage


def builtin_prices() -> dict[str, Price]:
    raw = json.loads(resources.files("seawall").joinpath("data/prices.json").read_text("utf-8"))
    return {name: Price(**spec) for name, spec in raw.items() if not name.startswith("_")}


class PriceTable:
    def __init__(self, overrides: Mapping[str, Price] | None = None) -> None:
        self._prices = {**builtin_prices(), **(overrides or {})}

    def cost(self, model: str, usage: Usage) -> float:
        """US dollars for ``usage`` on upstream ``model``; 0 for models without a price."""
        price = self._prices.get(model)
        if price is None:
            return 0.0
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        cached_price = price.cached_input if price.cached_input is not None else price.input
        return (
            (usage.prompt_tokens - cached) * price.input
            + cached * cached_price
            + usage.completion_tokens * price.output
        ) / 1_000_000
