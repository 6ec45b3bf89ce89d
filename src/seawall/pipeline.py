"""The pipeline: the one place to read to know what happens to a call.

    admit      shape and size checks               (stages.admit, at the front door)
    resolve    logical model -> targets, policies  (stages.resolve)
    invoke     timeout, retry, breaker, fallback   (stages.invoke)
    validate   JSON contract: repair, re-ask       (stages.validate)
    degrade    configured answer or named error    (stages.degrade)
    record     call record + metrics, off the hot path (stages.record)

Later stages slot in here, in this order: authenticate and admit limits/budgets before
resolve, guard input after admit, cache before invoke, score and escalate after validate.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass

from seawall.core.clock import Clock
from seawall.core.context import RequestContext
from seawall.core.errors import OutputInvalid, SeawallError
from seawall.core.types import ChatChunk, ChatRequest, ChatResponse, Usage
from seawall.stages import degrade, validate
from seawall.stages.invoke import InvokeLog, Invoker, StreamStart
from seawall.stages.record import Run, build_record
from seawall.stages.resolve import ModelRuntime, resolve
from seawall.state.base import SharedState
from seawall.telemetry.metrics import Metrics
from seawall.telemetry.prices import PriceTable
from seawall.telemetry.records import CallRecord

StreamEvent = ChatChunk | SeawallError


@dataclass(slots=True)
class Completion:
    """A finished call: the answer and what happened on the way."""

    response: ChatResponse
    run: Run
    parsed: object = None  # the validated JSON value when a contract applied

    @property
    def record(self) -> CallRecord:
        assert self.run.record is not None  # the record stage always ran before a Completion
        return self.run.record


@dataclass(slots=True)
class StreamReply:
    """A stream that has started (its first chunk is ready); iterate ``events`` to relay it.

    ``events`` yields chunks, and at most one ``SeawallError`` as its last item when the
    upstream failed mid-stream. ``run.record`` is set once ``events`` is exhausted or closed.
    """

    run: Run
    events: AsyncIterator[StreamEvent]


class Pipeline:
    def __init__(
        self,
        *,
        models: Mapping[str, ModelRuntime],
        state: SharedState,
        submit: Callable[[CallRecord], object],
        metrics: Metrics,
        prices: PriceTable,
        clock: Clock,
        rng: random.Random,
        store_payloads: bool,
    ) -> None:
        self.models = models
        self._invoker = Invoker(state, clock, rng)
        self._submit = submit
        self._metrics = metrics
        self._prices = prices
        self._clock = clock
        self._store_payloads = store_payloads

    # ------------------------------------------------------------------ whole answers

    async def chat(self, request: ChatRequest, ctx: RequestContext) -> Completion:
        run = Run(ctx, request, InvokeLog(started=ctx.started))
        response, parsed = await self._complete(run)
        return Completion(response, run, parsed)

    async def _complete(self, run: Run) -> tuple[ChatResponse, object]:
        """resolve → invoke → validate, degrading on failure; the call is recorded either way."""
        parsed: object = None
        try:
            model = resolve(self.models, run.request.model)
            deadline = min(run.ctx.deadline, run.ctx.started + model.config.timeout.deadline_s)
            response, parsed = await self._answer(run, model, deadline)
        except SeawallError as exc:
            response = self._degrade_or_raise(run, exc)
        self._record(run)
        return response, parsed

    async def _answer(
        self, run: Run, model: ModelRuntime, deadline: float
    ) -> tuple[ChatResponse, object]:
        request = run.request
        contract = validate.contract_for(request, model.config.validation, model.validator)
        response = await self._invoker.chat(model, request.upstream_body(), deadline, run.log)
        self._account(run, response)
        if contract is None:
            return response, None
        return await self._validate(run, model, contract, response, deadline)

    async def _validate(
        self,
        run: Run,
        model: ModelRuntime,
        contract: validate.Contract,
        response: ChatResponse,
        deadline: float,
    ) -> tuple[ChatResponse, object]:
        """Hold the answer to its contract: repair, then one re-ask, then ``OutputInvalid``."""
        verdict = validate.check(response.content, contract)
        if verdict.status == "invalid" and contract.reask:
            response = await self._reask(run, model, response.content or "", verdict, deadline)
            verdict = validate.check(response.content, contract)
            if verdict.status != "invalid":
                verdict = validate.Verdict("reasked", verdict.text, value=verdict.value)
        run.validation, run.validation_error = verdict.status, verdict.error
        if verdict.status == "invalid":
            raise OutputInvalid(
                f"the model's answer does not match the required schema: {verdict.error}"
            )
        if verdict.text != response.content:
            response = response.with_content(verdict.text)
            run.response_body = response.body
        return response, verdict.value

    async def _reask(
        self, run: Run, model: ModelRuntime, answer: str, verdict: validate.Verdict, deadline: float
    ) -> ChatResponse:
        messages = validate.reask_messages(run.request.messages, answer, verdict.error or "")
        first = len(run.log.attempts)
        body = run.request.upstream_body(messages)
        response = await self._invoker.chat(model, body, deadline, run.log)
        for attempt in run.log.attempts[first:]:
            attempt.purpose = "reask"
        self._account(run, response)
        return response

    def _account(self, run: Run, response: ChatResponse) -> None:
        """Add an answer's usage and cost to the call (re-asks are billed too)."""
        usage = response.usage
        target = run.log.answered_by
        if target is not None:
            run.cost_usd += self._prices.cost(target.model, usage)
        run.usage = Usage(
            run.usage.prompt_tokens + usage.prompt_tokens,
            run.usage.completion_tokens + usage.completion_tokens,
            run.usage.cached_tokens + usage.cached_tokens,
        )
        run.response_body = response.body

    def _degrade_or_raise(self, run: Run, error: SeawallError) -> ChatResponse:
        model = self.models.get(run.request.model)
        if model is None or not degrade.can_degrade(model.config.degrade, error):
            run.error = error
            self._record(run)
            raise error
        response = degrade.degraded_response(
            model.config.degrade, run.request.model, run.ctx.trace_id
        )
        run.degraded, run.cause = True, error
        run.response_body = response.body
        return response

    # ------------------------------------------------------------------ streams

    async def stream(self, request: ChatRequest, ctx: RequestContext) -> StreamReply:
        """Start a stream: returns once the first chunk is in hand, or raises before any byte."""
        run = Run(ctx, request, InvokeLog(started=ctx.started))
        model = self.models.get(request.model)
        if model is None or _has_contract(request, model):
            # An output contract is checked before the first byte leaves: buffer, then replay.
            # (An unknown model or a bad schema fails in there, recorded like any call.)
            response, _ = await self._complete(run)
            return StreamReply(run, _replay(response, request))
        deadline = min(ctx.deadline, ctx.started + model.config.timeout.deadline_s)
        try:
            body = request.upstream_body()
            # Usage is needed for the record and cost, whether or not the client asked for it.
            body["stream_options"] = {"include_usage": True}
            start = await self._invoker.stream(model, body, deadline, run.log)
        except SeawallError as exc:
            response = self._degrade_or_raise(run, exc)
            self._record(run)
            return StreamReply(run, _replay(response, request))
        run.overhead_s = (
            self._clock.monotonic() - ctx.started - run.log.upstream_s - run.log.backoff_s
        )
        return StreamReply(run, self._relay(run, start))

    async def _relay(self, run: Run, start: StreamStart) -> AsyncIterator[StreamEvent]:
        text: list[str] = []
        finish: str | None = None
        usage: Usage | None = None
        want_usage = _wants_usage(run.request)
        try:
            async for chunk in _chain(start.first, start.rest):
                if run.ttft is None:
                    run.ttft = self._clock.monotonic()
                text.append(chunk.text)
                finish = chunk.finish_reason or finish
                usage = chunk.usage or usage
                if chunk.usage is not None and not chunk.body.get("choices") and not want_usage:
                    continue
                yield chunk
        except SeawallError as exc:
            run.error = exc
            yield exc
        finally:
            await _aclose(start.rest)
            content = "".join(text)
            run.usage = usage or Usage(
                completion_tokens=max(1, len(content) // 4) if content else 0
            )
            run.cost_usd = self._prices.cost(start.target.model, run.usage)
            run.response_body = {"content": content, "finish_reason": finish}
            self._record(run)

    # ------------------------------------------------------------------ record

    def _record(self, run: Run) -> None:
        run.finished = self._clock.monotonic()
        record = run.record = build_record(run, store_payloads=self._store_payloads)
        self._metrics.observe(record)
        for target, state in run.log.breaker_changes:
            self._metrics.breaker_changed(target, state)
        self._submit(record)


async def _chain(first: ChatChunk, rest: AsyncIterator[ChatChunk]) -> AsyncIterator[ChatChunk]:
    yield first
    async for chunk in rest:
        yield chunk


async def _aclose(chunks: AsyncIterator[ChatChunk]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


def _has_contract(request: ChatRequest, model: ModelRuntime) -> bool:
    try:
        return validate.contract_for(request, model.config.validation, model.validator) is not None
    except SeawallError:
        return True


def _wants_usage(request: ChatRequest) -> bool:
    options = request.body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


async def _replay(response: ChatResponse, request: ChatRequest) -> AsyncIterator[StreamEvent]:
    """A whole answer as a stream: role chunk, content chunk, finish chunk (and usage)."""
    body = response.body
    base = {
        "id": body.get("id", ""),
        "object": "chat.completion.chunk",
        "created": body.get("created", 0),
        "model": body.get("model", request.model),
    }
    yield ChatChunk(
        {
            **base,
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
            ],
        }
    )
    content = response.content or ""
    yield ChatChunk(
        {**base, "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]},
        text=content,
    )
    yield ChatChunk(
        {
            **base,
            "choices": [
                {"index": 0, "delta": {}, "finish_reason": response.finish_reason or "stop"}
            ],
        },
        finish_reason=response.finish_reason or "stop",
    )
    if _wants_usage(request):
        yield ChatChunk(
            {**base, "choices": [], "usage": response.usage.as_openai()}, usage=response.usage
        )
