"""``POST /v1/chat/completions``: the OpenAI-compatible front door to the pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from seawall.core.context import RequestContext
from seawall.core.errors import Forbidden, InvalidRequest, PayloadTooLarge, SeawallError
from seawall.http.errors import error_payload
from seawall.pipeline import StreamReply
from seawall.security.roles import Principal
from seawall.stages.admit import parse_chat_request
from seawall.stages.record import Run, overhead_s
from seawall.wiring import Runtime

_SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


async def read_json(request: Request, limit: int) -> object:
    """The decoded body, refusing bodies over ``limit`` bytes without reading them whole."""
    raw = await read_body(request, limit)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"request body is not valid JSON: {exc.args[0]}") from exc


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing bodies over ``limit`` bytes without reading them whole."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is {int(declared)} bytes; the limit is {limit}")
    parts: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes")
        parts.append(part)
    return b"".join(parts)


async def check_model_access(runtime: Runtime, principal: Principal, model: str) -> None:
    """A key limited to some models gets 403 (audited) for any other."""
    if principal.may_use_model(model):
        return
    if runtime.security is not None:
        await runtime.security.record(
            "access.denied", principal, target=f"model {model}", detail={"reason": "model"}
        )
    raise Forbidden(f"this API key may not use model '{model}'", param="model")


def call_headers(run: Run) -> dict[str, str]:
    log = run.log
    headers = {
        "x-seawall-trace-id": run.ctx.trace_id,
        "x-seawall-attempts": str(sum(1 for a in log.attempts if a.status != "skipped")),
        "x-seawall-overhead-ms": f"{max(0.0, overhead_s(run)) * 1000.0:.3f}",
    }
    if log.answered_by is not None:
        headers["x-seawall-upstream"] = log.answered_by.key
    if run.degraded:
        headers["x-seawall-degraded"] = "true"
    if run.validation != "none":
        headers["x-seawall-validation"] = run.validation
    if run.guard is not None and run.guard.flags:
        headers["x-seawall-guard"] = ",".join(run.guard.flags)
    if run.cache is not None:
        headers["x-seawall-cache"] = run.cache
    if run.route is not None:
        headers["x-seawall-route"] = run.route
    if run.confidence is not None and run.confidence.score is not None:
        headers["x-seawall-confidence"] = f"{run.confidence.score:.3f}"
    if run.review_id is not None:
        headers["x-seawall-review"] = run.review_id
        headers["x-seawall-escalation"] = run.escalation or ""
    return headers


def held_response(run: Run) -> Response:
    """202: a person decides this call; poll the review, or wait for the webhook."""
    review_id = run.review_id or ""
    body = {
        "id": f"review-{review_id}",
        "object": "seawall.review",
        "status": "pending",
        "review": {"id": review_id, "poll": f"/v1/reviews/{review_id}"},
        "trace_id": run.ctx.trace_id,
    }
    return Response(
        orjson.dumps(body),
        status_code=202,
        media_type="application/json",
        headers=call_headers(run),
    )


def read_call_options(request: Request, ctx: RequestContext) -> None:
    """Per-call options sent as headers: ``x-seawall-tags: a,b`` and ``x-seawall-cache``."""
    tags = request.headers.get("x-seawall-tags")
    if tags:
        ctx.tags = [tag.strip() for tag in tags.split(",") if tag.strip()][:32]
    mode = request.headers.get("x-seawall-cache")
    if mode is not None:
        mode = mode.strip().lower()
        if mode not in ("allow", "bypass"):
            raise InvalidRequest("header x-seawall-cache must be 'allow' or 'bypass'")
        ctx.cache_mode = mode


async def complete(
    runtime: Runtime, request: Request, ctx: RequestContext, principal: Principal
) -> Response:
    """admit (size, JSON, shape) at the door, then the pipeline; streams as SSE."""
    server, pipeline = runtime.config.server, runtime.pipeline
    body = await read_json(request, server.max_body_bytes)
    chat = parse_chat_request(body, max_messages=server.max_messages)
    read_call_options(request, ctx)
    await check_model_access(runtime, principal, chat.model)
    if chat.stream:
        reply = await pipeline.stream(chat, ctx)
        if reply.run.escalation == "hold":
            return held_response(reply.run)
        return StreamingResponse(
            _sse(reply),
            media_type="text/event-stream",
            headers={**_SSE_HEADERS, **call_headers(reply.run)},
        )
    completion = await pipeline.chat(chat, ctx)
    if completion.run.escalation == "hold":
        return held_response(completion.run)
    return Response(
        orjson.dumps(completion.response.body),
        media_type="application/json",
        headers=call_headers(completion.run),
    )


async def _sse(reply: StreamReply) -> AsyncIterator[bytes]:
    """Relay chunks as server-sent events; a mid-stream failure ends with an error event."""
    events = reply.events
    try:
        async for event in events:
            if isinstance(event, SeawallError):
                # No [DONE] after this: the client must not mistake a cut answer for a whole one.
                yield b"data: " + orjson.dumps({"error": error_payload(event)}) + b"\n\n"
                return
            yield b"data: " + orjson.dumps(event.body) + b"\n\n"
        yield b"data: [DONE]\n\n"
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
