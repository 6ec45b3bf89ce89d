"""``seawall.Seawall``: the gateway's pipeline inside a Python process, without HTTP.

    sw = seawall.Seawall.from_config("seawall.yaml")
    async with sw:
        done = await sw.chat(model="chat", messages=[{"role": "user", "content": "hi"}])
        print(done.content, done.trace_id)

The very same pipeline as the gateway runs: resolve, invoke (retries, breakers, fallback),
validate, degrade and record, with records written to the configured store.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from seawall.config import Config
from seawall.configload import load_config
from seawall.core.context import RequestContext
from seawall.core.errors import SeawallError, ServiceUnavailable
from seawall.core.types import ChatChunk
from seawall.pipeline import Completion
from seawall.stages.admit import parse_chat_request
from seawall.telemetry.records import CallRecord
from seawall.wiring import Runtime, build_runtime


@dataclass(frozen=True, slots=True)
class ChatResult:
    """An answer and how it was obtained."""

    content: str | None
    body: dict[str, Any]  # the OpenAI chat.completion object
    parsed: Any  # the validated JSON value, when an output contract applied
    record: CallRecord

    @property
    def trace_id(self) -> str:
        return self.record.trace_id

    @property
    def degraded(self) -> bool:
        return self.record.degraded


class Seawall:
    """The pipeline in process. Use as an async context manager so records are flushed."""

    def __init__(self, config: Config, *, seed: int | None = None) -> None:
        self.config = config
        self._runtime: Runtime = build_runtime(config, seed=seed)
        self._started = False
        self._starting = asyncio.Lock()
        self._rng = random.Random(seed)  # concurrent first calls must start the runtime once

    @classmethod
    def from_config(cls, path: str | Path, *, seed: int | None = None) -> Seawall:
        return cls(load_config(path).config, seed=seed)

    @property
    def runtime(self) -> Runtime:
        return self._runtime

    async def start(self) -> None:
        if self._started:
            return
        async with self._starting:
            if not self._started:
                await self._runtime.start(server=False)
                self._started = True

    async def aclose(self) -> None:
        """Flush every record and release connections."""
        if self._started:
            await self._runtime.close()
            self._started = False

    async def __aenter__(self) -> Seawall:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def chat(
        self, *, model: str, messages: list[dict[str, Any]], **params: Any
    ) -> ChatResult:
        """One call through the pipeline; raises ``SeawallError`` subclasses on failure."""
        await self.start()
        request = parse_chat_request(
            {**params, "model": model, "messages": messages, "stream": False},
            max_messages=self.config.server.max_messages,
        )
        completion = await self._runtime.pipeline.chat(
            request, RequestContext.begin(time.monotonic(), time.time())
        )
        return _result(completion)

    async def run_prompt(
        self,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        user: str | None = None,
        session: str | None = None,
        label: str | None = None,
        tags: Sequence[str] = (),
    ) -> ChatResult:
        """Run a registry prompt as ``POST /v1/prompts/{name}:run`` does; ``record.release`` names the version."""
        await self.start()
        releases = self._runtime.releases
        if releases is None:  # pragma: no cover - start() opens it
            raise ServiceUnavailable("the release service is not running")
        served = await releases.runs.serve(
            name, label=label, subject=user or session, rng=self._rng
        )
        request = parse_chat_request(
            served.prompt.chat_body(dict(variables or {})),
            max_messages=self.config.server.max_messages,
        )
        ctx = RequestContext.begin(time.monotonic(), time.time())
        ctx.prompt, ctx.release, ctx.user, ctx.tags = name, served.release, user, list(tags)
        return _result(await self._runtime.pipeline.chat(request, ctx))

    async def stream(
        self, *, model: str, messages: list[dict[str, Any]], **params: Any
    ) -> AsyncIterator[ChatChunk]:
        """Stream a call; a mid-stream upstream failure is raised after the chunks received."""
        await self.start()
        request = parse_chat_request(
            {**params, "model": model, "messages": messages, "stream": True},
            max_messages=self.config.server.max_messages,
        )
        reply = await self._runtime.pipeline.stream(
            request, RequestContext.begin(time.monotonic(), time.time())
        )
        async for event in reply.events:
            if isinstance(event, SeawallError):
                raise event
            yield event


def _result(completion: Completion) -> ChatResult:
    response = completion.response
    return ChatResult(response.content, response.body, completion.parsed, completion.record)
