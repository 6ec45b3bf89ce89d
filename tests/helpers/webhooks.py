"""A real webhook receiver on loopback: answers a scripted list of statuses, records each POST."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from helpers.servers import serve_app


@dataclass
class Received:
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Receiver:
    """Answers ``statuses`` in order (then 200) and keeps every request it got."""

    statuses: list[int] = field(default_factory=list)
    url: str = ""
    received: list[Received] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle(self, request: Request) -> Response:
        body = orjson.loads(await request.body())
        with self._changed:
            self.received.append(Received(body, dict(request.headers)))
            status = self.statuses.pop(0) if self.statuses else 200
            self._changed.notify_all()
        return Response(b"{}", status_code=status, media_type="application/json")

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Received]:
        """Block until ``count`` requests arrived (for tests whose sender runs elsewhere)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout_s):
                raise AssertionError(f"{len(self.received)} webhook calls, expected {count}")
            return list(self.received)


@contextlib.contextmanager
def webhook_receiver(statuses: list[int] | None = None) -> Iterator[Receiver]:
    """Serve a ``Receiver`` on a free port; its ``url`` is the hook's address."""
    receiver = Receiver(list(statuses or []))
    app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    with serve_app(app) as base:
        receiver.url = f"{base}/hook"
        yield receiver
