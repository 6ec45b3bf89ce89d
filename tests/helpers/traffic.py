"""Bounded, concurrent traffic against a gateway over loopback, for chaos and durability tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]


async def send_many(
    base: str, bodies: list[dict[str, Any]], *, concurrency: int = 32, timeout: float = 30.0
) -> list[Reply]:
    """POST every body to /v1/chat/completions, at most ``concurrency`` at once, in order."""
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:

        async def one(body: dict[str, Any]) -> Reply:
            async with gate:
                resp = await client.post("/v1/chat/completions", json=body)
                return Reply(resp.status_code, resp.content, dict(resp.headers))

        return list(await asyncio.gather(*(one(b) for b in bodies)))


def chat_bodies(n: int, model: str = "chat") -> list[dict[str, Any]]:
    return [
        {"model": model, "messages": [{"role": "user", "content": f"question number {i}"}]}
        for i in range(n)
    ]
