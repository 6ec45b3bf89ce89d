"""Cost of a call from the price table (built-in, extended by ``prices:`` in the config).

The built-in table (``data/prices.json``) lists list prices per million tokens with the date
they were taken (``PRICES_AS_OF``). A model is found by its exact name first, then without a
provider prefix (``openai/gpt-4o``), then without a date suffix or ``-latest``
(``gpt-4o-2024-08-06``, ``claude-sonnet-4-5-20250929``, ``claude-3-5-haiku-latest``), so
that dated snapshots are priced like their alias unless the table lists them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from seawall.config import Price
from seawall.core.types import Usage

_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$")


def _raw_table() -> dict[str, Any]:
    text = resources.files("seawall").joinpath("data/prices.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def builtin_prices() -> dict[str, Price]:
    """The built-in table: model name to its price."""
    return {name: Price(**spec) for name, spec in _raw_table().items() if not name.startswith("_")}


def prices_as_of() -> str:
    """The date the built-in prices were taken (ISO 8601)."""
    return str(_raw_table()["_as_of"])


class PriceTable:
    """Prices by upstream model name; ``overrides`` (the config) win over the built-in ones."""

    def __init__(self, overrides: Mapping[str, Price] | None = None) -> None:
        self._prices = {**builtin_prices(), **(overrides or {})}
        self._found: dict[str, Price | None] = {}

    def price(self, model: str) -> Price | None:
        """The price of ``model`` (exact, then without prefix or date suffix), or None."""
        try:
            return self._found[model]
        except KeyError:
            pass
        found = self._lookup(model)
        if len(self._found) < 10_000:  # names come from config and records: few, but bounded
            self._found[model] = found
        return found

    def cost(self, model: str, usage: Usage) -> float:
        """US dollars for ``usage`` on upstream ``model``; 0 for models without a price."""
        price = self.price(model)
        if price is None:
            return 0.0
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        cached_price = price.cached_input if price.cached_input is not None else price.input
        return (
            (usage.prompt_tokens - cached) * price.input
            + cached * cached_price
            + usage.completion_tokens * price.output
        ) / 1_000_000

    def _lookup(self, model: str) -> Price | None:
        for name in (model, model.rsplit("/", 1)[-1]):
            price = self._prices.get(name)
            if price is None:
                price = self._prices.get(_SUFFIX.sub("", name))
            if price is not None:
                return price
        return None
