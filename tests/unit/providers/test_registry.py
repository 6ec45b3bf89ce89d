"""Provider configs → live providers, secrets resolved through the given callable."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import TypeAdapter

from seawall.config import ProviderConfig
from seawall.providers.anthropic import AnthropicUpstream
from seawall.providers.openai import OpenAIUpstream
from seawall.providers.registry import build_provider
from seawall.providers.sim import SimUpstream

_ADAPTER: TypeAdapter[ProviderConfig] = TypeAdapter(ProviderConfig)
_SECRETS = {"env:KEY": "sk-secret", "env:ORG": "org-1"}


def _secrets(ref: str | None) -> str | None:
    return None if ref is None else _SECRETS.get(ref, None if ref.startswith("env:") else ref)


def _build(raw: Mapping[str, object]) -> object:
    return build_provider("p", _ADAPTER.validate_python(raw), _secrets)


async def test_openai() -> None:
    raw = {
        "kind": "openai",
        "base_url": "http://up/v1/",
        "api_key": "env:KEY",
        "headers": {"OpenAI-Organization": "env:ORG", "X-Missing": "env:NOPE", "X-Plain": "v"},
    }
    provider = _build(raw)
    assert isinstance(provider, OpenAIUpstream)
    assert provider.name == "p"
    headers = provider._http.session().headers  # the pool is built lazily, in the loop
    assert headers["Authorization"] == "Bearer sk-secret"
    assert headers["OpenAI-Organization"] == "org-1"
    assert headers["X-Plain"] == "v"
    assert "X-Missing" not in headers
    assert "sk-secret" not in repr(provider)
    await provider.aclose()


async def test_anthropic() -> None:
    provider = _build({"kind": "anthropic", "api_key": "env:KEY"})
    assert isinstance(provider, AnthropicUpstream)
    headers = provider._http.session().headers
    assert headers["x-api-key"] == "sk-secret"
    assert headers["anthropic-version"] == "2023-06-01"
    assert "sk-secret" not in repr(provider)
    await provider.aclose()


def test_sim() -> None:
    provider = _build({"kind": "sim"})
    assert isinstance(provider, SimUpstream)
    assert provider.name == "p"
