"""Backends: the pipeline in process (``seawall.Seawall``) or a running gateway over HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from seawall.config import Config
from seawall.core.errors import SeawallError
from seawall.core.types import Usage
from seawall.evals.results import Output
from seawall.evals.targets import TargetError, digest
from seawall.inprocess import Seawall
from seawall.telemetry.prices import PriceTable
from seawall.wiring import StartupError


def model_fingerprint(config: Config, model: str) -> str | None:
    """A hash of the model's section and the providers behind it (sim scenarios included)."""
    section = config.models.get(model)
    if section is None:
        return None
    providers = {t.provider: config.providers[t.provider] for t in section.targets}
    return digest(
        section.model_dump(mode="json"),
        {name: p.model_dump(mode="json") for name, p in sorted(providers.items())},
    )


class InProcessBackend:
    """Calls through ``seawall.Seawall``: the gateway's pipeline, records included."""

    def __init__(self, config: Config, *, source: str, seed: int | None = None) -> None:
        self._config = config
        self._source = source
        self._seawall = Seawall(config, seed=seed)

    def describe(self) -> str:
        return f"in process, {Path(self._source).name}"

    async def start(self) -> None:
        # Once, before the samples: concurrent first calls would each try to start the
        # runtime (and migrate its store) at the same time.
        try:
            await self._seawall.start()
        except StartupError as exc:
            raise TargetError(str(exc)) from exc

    def model_fingerprint(self, model: str) -> str | None:
        return model_fingerprint(self._config, model)

    async def known_models(self) -> set[str]:
        return set(self._config.models)

    async def chat(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> Output:
        try:
            done = await self._seawall.chat(model=model, messages=messages, **params)
        except SeawallError as exc:
            raise TargetError(f"{exc.code}: {exc.message}") from exc
        record = done.record
        if record.degraded:
            # The configured fallback answer stands in for a failure: never judge it as output.
            raise TargetError(
                f"degraded: every upstream failed ({record.error_code or 'unknown'}), "
                "the configured degrade answer was served"
            )
        return Output(
            text=done.content or "",
            latency_ms=record.latency_ms,
            prompt_tokens=record.prompt_tokens,
            completion_tokens=record.completion_tokens,
            cost_usd=record.cost_usd,
            trace_id=record.trace_id,
            upstream=record.upstream,
            confidence=record.confidence,
        )

    async def aclose(self) -> None:
        await self._seawall.aclose()


class GatewayBackend:
    """Calls a running Seawall gateway's ``/v1/chat/completions``."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        config: Config | None = None,
        connections: int = 64,
    ) -> None:
        self._url = url.rstrip("/").removesuffix("/v1")
        self._headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._config = config
        self._prices = PriceTable(config.prices if config else None)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def describe(self) -> str:
        return f"gateway {self._url}"

    async def start(self) -> None:
        """Connections open on the first call."""

    def model_fingerprint(self, model: str) -> str | None:
        # Only a config that says what serves the model makes its answers cacheable.
        if self._config is None:
            return None
        inner = model_fingerprint(self._config, model)
        return None if inner is None else digest("gateway", self._url, inner)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector, headers=self._headers)
        return self._session

    async def known_models(self) -> set[str]:
        try:
            async with self._client().get(f"{self._url}/v1/models") as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise TargetError(f"GET /v1/models answered HTTP {resp.status}: {_error(body)}")
        except aiohttp.ClientError as exc:
            raise TargetError(f"cannot reach the gateway at {self._url}: {exc}") from exc
        data = orjson.loads(body).get("data", [])
        return {item["id"] for item in data if isinstance(item, dict) and "id" in item}

    async def chat(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> Output:
        payload = orjson.dumps({**params, "model": model, "messages": messages})
        started = time.perf_counter()
        try:
            async with self._client().post(
                f"{self._url}/v1/chat/completions",
                data=payload,
                headers={"content-type": "application/json"},
            ) as resp:
                body = await resp.read()
                headers = resp.headers
                status = resp.status
        except aiohttp.ClientError as exc:
            raise TargetError(f"cannot reach the gateway at {self._url}: {exc}") from exc
        latency_ms = (time.perf_counter() - started) * 1000
        if status != 200:
            raise TargetError(f"HTTP {status}: {_error(body)}")
        if headers.get("x-seawall-degraded") == "true":
            raise TargetError("degraded: every upstream failed, the degrade answer was served")
        return self._output(body, headers, latency_ms)

    def _output(self, body: bytes, headers: Any, latency_ms: float) -> Output:
        try:
            data = orjson.loads(body)
            text = data["choices"][0]["message"].get("content") or ""
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise TargetError(
                "the gateway answered something that is not a chat completion"
            ) from exc
        usage = Usage.from_openai(data.get("usage")) or Usage()
        upstream = headers.get("x-seawall-upstream")
        cost = None
        if upstream:
            cost = self._prices.cost(upstream.partition("/")[2] or upstream, usage)
        return Output(
            text=text,
            latency_ms=latency_ms,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=cost,
            trace_id=headers.get("x-seawall-trace-id"),
            upstream=upstream,
            confidence=_confidence(headers.get("x-seawall-confidence")),
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _confidence(header: str | None) -> float | None:
    """The gateway's ``x-seawall-confidence`` (0-1); None when absent or not a sane number."""
    if not header:
        return None
    try:
        value = float(header)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None  # also rejects nan


def _error(body: bytes) -> str:
    """The OpenAI-shaped error's code and message, or the start of the body."""
    try:
        error = orjson.loads(body).get("error") or {}
        return f"{error.get('code') or error.get('type')}: {error.get('message')}"
    except (orjson.JSONDecodeError, AttributeError):
        return body[:200].decode("utf-8", "replace")
