"""A real webhook receiver on loopback for alert notifier tests.

``POST /hook`` records the JSON body and answers the next scripted status (then 200);
``POST /hang`` never answers until ``release()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpers.servers import serve_app


@dataclass
class Receiver:
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    hits: int = 0
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    @property
    def hook(self) -> str:
        return f"{self.url}/hook"

    @property
    def hang(self) -> str:
        return f"{self.url}/hang"

    def script(self, *statuses: int) -> None:
        with self._lock:
            self.statuses = list(statuses)

    async def _hook(self, request: Request) -> Response:
        body = await request.json()
        with self._lock:
            self.hits += 1
            status = self.statuses.pop(0) if self.statuses else 200
            if status < 300:
                self.received.append(body)
        return JSONResponse({"ok": status < 300}, status_code=status)

    async def _hang(self, request: Request) -> Response:
        if self._release is None:
            self._loop, self._release = asyncio.get_running_loop(), asyncio.Event()
        with self._lock:
            self.hits += 1
        await self._release.wait()
        return JSONResponse({"ok": True})

    def release(self) -> None:
        if self._loop is not None and self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/hook", self._hook, methods=["POST"]),
                Route("/hang", self._hang, methods=["POST"]),
            ]
        )

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> list[dict[str, Any]]:
        """Poll (bounded) until ``count`` bodies arrived; returns them."""
        deadline = time.monotonic() + timeout_s
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(self.received)} of {count} notifications after {timeout_s}s"
                )
            await asyncio.sleep(0.01)
        return list(self.received)


@contextlib.contextmanager
def start_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    with serve_app(receiver.app()) as url:
        receiver.url = url
        try:
            yield receiver
        finally:
            receiver.release()
