"""API keys made the way an operator makes them (``seawall keys create``), before a gateway starts."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from seawall.config import AuthConfig
from seawall.core.clock import SystemClock
from seawall.security.service import Security
from seawall.store import open_store

KeySpec = tuple[str, str] | tuple[str, str, Sequence[str] | None]  # tenant, role[, models]


def make_keys(url: str, specs: Mapping[str, KeySpec]) -> dict[str, str]:
    """name -> the secret of a new key per spec, in the store at ``url`` (migrated first)."""

    async def go() -> dict[str, str]:
        await (await open_store(url)).aclose()
        security = Security(url, AuthConfig(), SystemClock())
        await security.start(refresh_in_background=False)
        try:
            out = {}
            for name, spec in specs.items():
                models = spec[2] if len(spec) > 2 else None
                new = await security.create_key(
                    "cli:test", tenant=spec[0], role=spec[1], models=models
                )
                out[name] = new.secret
            return out
        finally:
            await security.aclose()

    return asyncio.run(go())
