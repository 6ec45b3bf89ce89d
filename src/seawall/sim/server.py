"""The simulator as a real HTTP server, in the OpenAI and Anthropic dialects.

Faults are acted out on the wire the way real upstreams fail: error statuses with the vendor's
error body (and ``Retry-After``), dropped connections, hung requests, broken JSON, empty answers
and streams that stop mid-answer. The chat routes are raw ASGI (no request objects, no
pydantic, orjson) because the gateway benchmark measures its overhead against this server.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from collections.abc import Iterator
from typing import Any, Protocol

import orjson
import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from seawall.config import SimFaults, SimSettings
from seawall.core.types import JSON
from seawall.sim import anthropic_wire, openai_wire
from seawall.sim.engine import SimEngine, SimOutcome

HANG_LIMIT_S = 300.0
"""A hung request is dropped after this long even if the client never gives up."""

_SEND_KEY = "seawall.sim.send"
_LABEL = (b"x-simulator", b"seawall-sim")
_SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"), _LABEL]
_ERROR_FAULTS = frozenset({"429", "500", "503", "outage"})
_Frames = Iterator[tuple[float, bytes]]


class _Closable(Protocol):
    def close(self) -> None: ...


class SimApp(Starlette):
    """A Starlette app that keeps the server's own ``send`` in the scope.

    ASGI has no message for "drop this connection"; the ``connect`` fault reaches the socket
    through the server's ``send`` (uvicorn's is a method of an object holding the transport).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_SEND_KEY] = send
        await super().__call__(scope, receive, send)


# --------------------------------------------------------------------------- raw ASGI helpers


async def _read_json(receive: Receive) -> Any:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    try:
        return orjson.loads(b"".join(parts))
    except orjson.JSONDecodeError:
        return None


async def _send_bytes(
    send: Send, status: int, payload: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    head = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        _LABEL,
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": payload, "more_body": False})


async def _send_stream(send: Send, frames: _Frames, end: bytes | None) -> None:
    """Send SSE frames; without ``end`` the stream stops short and the connection closes."""
    headers = _SSE if end is not None else [*_SSE, (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for wait, frame in frames:
        if wait > 0:
            await asyncio.sleep(wait)
        await send({"type": "http.response.body", "body": frame, "more_body": True})
    await send({"type": "http.response.body", "body": end or b"", "more_body": False})


async def _drop_connection(scope: Scope, receive: Receive, send: Send) -> None:
    """Close the connection without a byte of response, as a refused or reset upstream would."""
    owner = getattr(scope.get(_SEND_KEY), "__self__", None)
    transport: _Closable | None = getattr(owner, "transport", None)
    if transport is None or not callable(getattr(transport, "close", None)):
        # A server that hides its transport: fail a started response, which ASGI servers
        # answer by closing the connection (the client sees headers, then a disconnect).
        await send({"type": "http.response.start", "status": 200, "headers": _SSE})
        raise ConnectionAbortedError("simulated connection drop")
    transport.close()
    # Returns once the server saw the disconnect, so it does not answer the request itself.
    await receive()


async def _hang(receive: Receive) -> None:
    """Wait until the client gives up (or ``HANG_LIMIT_S`` passes)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(HANG_LIMIT_S):
            while (await receive())["type"] != "http.disconnect":
                pass


def _seconds(value: float) -> bytes:
    return f"{value:g}".encode()


# --------------------------------------------------------------------------- chat endpoints


class _ChatEndpoint:
    """One chat route in one dialect; subclasses say how the dialect writes each outcome."""

    malformed: bytes = b""
    """Body of a non-streamed ``malformed`` answer."""
    malformed_event: bytes = b""
    """The one SSE frame of a streamed ``malformed`` answer."""
    done: bytes | None = None
    """What ends a complete stream."""

    def __init__(self, engine: SimEngine) -> None:
        self._engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_json(receive)
        request = self.to_request(body) if isinstance(body, dict) else None
        if request is None:
            status, payload = self.invalid()
            await _send_bytes(send, status, orjson.dumps(payload))
            return
        stream = body.get("stream") is True
        outcome = self._engine.decide(request, stream=stream)
        if outcome.fault == "connect":
            await _drop_connection(scope, receive, send)
        elif outcome.fault == "hang":
            await _hang(receive)
            await _drop_connection(scope, receive, send)
        else:
            await self._answer(send, outcome, body, stream)

    async def _answer(self, send: Send, outcome: SimOutcome, body: JSON, stream: bool) -> None:
        if outcome.latency_s > 0 and (not stream or outcome.fault in _ERROR_FAULTS):
            await asyncio.sleep(outcome.latency_s)
        model = str(body.get("model") or "sim")
        if outcome.fault in _ERROR_FAULTS:
            status, payload, headers = self.error(outcome)
            await _send_bytes(send, status, orjson.dumps(payload), headers)
        elif outcome.fault == "malformed":
            await self._send_malformed(send, stream)
        elif stream:
            await _send_stream(send, self.frames(outcome, model, body), self._end(outcome))
        else:
            await _send_bytes(send, 200, orjson.dumps(self.complete(outcome, model)))

    async def _send_malformed(self, send: Send, stream: bool) -> None:
        if stream:
            await _send_stream(send, iter([(0.0, self.malformed_event)]), None)
        else:
            await _send_bytes(send, 200, self.malformed)

    def _end(self, outcome: SimOutcome) -> bytes | None:
        return None if outcome.fault == "truncated" else (self.done or b"")

    # The dialect: each subclass fills these in.
    def to_request(self, body: JSON) -> JSON | None:
        raise NotImplementedError

    def invalid(self) -> tuple[int, JSON]:
        raise NotImplementedError

    def error(self, outcome: SimOutcome) -> tuple[int, JSON, list[tuple[bytes, bytes]]]:
        raise NotImplementedError

    def complete(self, outcome: SimOutcome, model: str) -> JSON:
        raise NotImplementedError

    def frames(self, outcome: SimOutcome, model: str, body: JSON) -> _Frames:
        raise NotImplementedError


class _OpenAIChat(_ChatEndpoint):
    malformed = openai_wire.MALFORMED
    malformed_event = b"data: " + openai_wire.MALFORMED + b"\n\n"
    done = b"data: [DONE]\n\n"

    def to_request(self, body: JSON) -> JSON | None:
        return body if isinstance(body.get("messages"), list) else None

    def invalid(self) -> tuple[int, JSON]:
        message = "the body must be a JSON object with a 'messages' list"
        return 400, openai_wire.error(message, kind="invalid_request_error")

    def error(self, outcome: SimOutcome) -> tuple[int, JSON, list[tuple[bytes, bytes]]]:
        if outcome.fault == "429":
            body = openai_wire.error(
                "Rate limit reached (simulated)", kind="requests", code="rate_limit_exceeded"
            )
            return 429, body, [(b"retry-after", _seconds(outcome.retry_after_s))]
        if outcome.fault == "500":
            message = "The server had an error while processing your request (simulated)"
            return 500, openai_wire.error(message, kind="server_error"), []
        message = "Simulated outage" if outcome.fault == "outage" else "Overloaded (simulated)"
        return 503, openai_wire.error(message, kind="server_error"), []

    def complete(self, outcome: SimOutcome, model: str) -> JSON:
        return openai_wire.completion(outcome, model)

    def frames(self, outcome: SimOutcome, model: str, body: JSON) -> _Frames:
        usage = openai_wire.wants_usage(body)
        for wait, chunk in openai_wire.chunks(outcome, model, include_usage=usage):
            yield wait, b"data: " + orjson.dumps(chunk) + b"\n\n"


class _AnthropicMessages(_ChatEndpoint):
    malformed = anthropic_wire.MALFORMED
    malformed_event = b"event: content_block_delta\ndata: " + anthropic_wire.MALFORMED + b"\n\n"

    def to_request(self, body: JSON) -> JSON | None:
        if not isinstance(body.get("messages"), list):
            return None
        return anthropic_wire.as_openai_request(body)

    def invalid(self) -> tuple[int, JSON]:
        message = "the body must be a JSON object with a 'messages' list"
        return 400, anthropic_wire.error("invalid_request_error", message)

    def error(self, outcome: SimOutcome) -> tuple[int, JSON, list[tuple[bytes, bytes]]]:
        if outcome.fault == "429":
            body = anthropic_wire.error("rate_limit_error", "Rate limited (simulated)")
            return 429, body, [(b"retry-after", _seconds(outcome.retry_after_s))]
        if outcome.fault == "500":
            return 500, anthropic_wire.error("api_error", "Internal server error (simulated)"), []
        message = "Simulated outage" if outcome.fault == "outage" else "Overloaded (simulated)"
        return 529, anthropic_wire.error("overloaded_error", message), []

    def complete(self, outcome: SimOutcome, model: str) -> JSON:
        return anthropic_wire.message(outcome, model)

    def frames(self, outcome: SimOutcome, model: str, body: JSON) -> _Frames:
        for wait, event, data in anthropic_wire.events(outcome, model):
            yield wait, b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


# --------------------------------------------------------------------------- control routes


class _Control:
    """Health, model list and the runtime switches chaos tests flip."""

    def __init__(self, engine: SimEngine) -> None:
        self._engine = engine

    async def models(self, request: Request) -> Response:
        model = {"id": "sim", "object": "model", "created": 0, "owned_by": "seawall-sim"}
        return JSONResponse({"object": "list", "data": [model]})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "simulator": True})

    async def stats(self, request: Request) -> Response:
        return JSONResponse(self._state())

    async def outage(self, request: Request) -> Response:
        body = await _json_body(request)
        seconds = body.get("seconds") if isinstance(body, dict) else False
        if isinstance(seconds, bool) or not isinstance(seconds, int | float | None):
            return _bad_request('expected {"seconds": number or null}')
        self._engine.set_outage(None if seconds is None else float(seconds))
        return JSONResponse(self._state())

    async def faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self._engine.set_faults(SimFaults.model_validate(await _json_body(request)))
            except ValidationError as exc:
                return _bad_request(str(exc))
        return JSONResponse(self._engine.faults.model_dump())

    def _state(self) -> JSON:
        return {**self._engine.stats(), "outage_active": self._engine.outage_active()}


async def _json_body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None


def _bad_request(message: str) -> Response:
    return JSONResponse(openai_wire.error(message, kind="invalid_request_error"), status_code=400)


# --------------------------------------------------------------------------- app and server


def create_app(settings: SimSettings, *, engine: SimEngine | None = None) -> Starlette:
    """The simulator's ASGI app; pass ``engine`` to share or inspect its state in tests."""
    engine = engine or SimEngine(settings)
    control = _Control(engine)
    routes = [
        Route("/v1/chat/completions", _OpenAIChat(engine), methods=["POST"]),
        Route("/v1/messages", _AnthropicMessages(engine), methods=["POST"]),
        Route("/v1/models", control.models, methods=["GET"]),
        Route("/healthz", control.health, methods=["GET"]),
        Route("/sim/stats", control.stats, methods=["GET"]),
        Route("/sim/outage", control.outage, methods=["POST"]),
        Route("/sim/faults", control.faults, methods=["GET", "POST"]),
    ]
    app = SimApp(routes=routes)
    app.state.engine = engine
    return app


def uvicorn_config(app: Any, host: str, port: int) -> uvicorn.Config:
    """How the simulator is served: lean (no access log, httptools, uvloop when present)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="off",
        # A hung request must not hold up shutdown for HANG_LIMIT_S.
        timeout_graceful_shutdown=2,
        # Outlive the gateway's pooled idle connections (15 s), so reuse never meets a reset.
        timeout_keep_alive=75,
    )


def run(host: str, port: int, settings: SimSettings) -> None:
    """Serve the simulator until interrupted."""
    uvicorn.Server(uvicorn_config(create_app(settings), host, port)).run()
