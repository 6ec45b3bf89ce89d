"""Provider config → a live provider, one factory per ``kind``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seawall.config import AnthropicProvider, OpenAIProvider, ProviderConfig, SimProvider
from seawall.providers.anthropic import AnthropicUpstream
from seawall.providers.base import Provider
from seawall.providers.openai import OpenAIUpstream

Secrets = Callable[[str | None], str | None]
"""Resolves a secret reference (``env:NAME``) to its value; None when unset."""

Factory = Callable[[str, Any, Secrets], Provider]


def build_provider(name: str, cfg: ProviderConfig, secrets: Secrets) -> Provider:
    """The provider ``cfg`` describes, with its secrets resolved (and never logged)."""
    return _FACTORIES[cfg.kind](name, cfg, secrets)


def _openai(name: str, cfg: OpenAIProvider, secrets: Secrets) -> Provider:
    resolved = {key: secrets(raw) for key, raw in cfg.headers.items()}
    headers = {key: value for key, value in resolved.items() if value is not None}
    return OpenAIUpstream(name, cfg.base_url, secrets(cfg.api_key), headers, cfg.max_connections)


def _anthropic(name: str, cfg: AnthropicProvider, secrets: Secrets) -> Provider:
    return AnthropicUpstream(
        name,
        cfg.base_url,
        secrets(cfg.api_key),
        cfg.version,
        cfg.default_max_tokens,
        cfg.max_connections,
    )


def _sim(name: str, cfg: SimProvider, secrets: Secrets) -> Provider:
    # Imported here so this module loads without the simulator (and its answer tables).
    from seawall.providers.sim import SimUpstream

    return SimUpstream(name, cfg.sim)


_FACTORIES: dict[str, Factory] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "sim": _sim,
}
