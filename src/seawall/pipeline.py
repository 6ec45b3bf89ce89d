"""The pipeline: the one place to read to know what happens to a call.

    authenticate  key -> tenant, role, models        (http.auth, at the front door)
    admit      shape and size checks                 (stages.admit, at the front door)
    resolve    route rule -> logical model -> targets (stages.route, stages.resolve)
    guard in   PII, injection, fencing, canary       (stages.guard)
    limits     rate limits and budgets, taken        (stages.admission)
    cache      exact-match answer, per tenant        (stages.cache)
    invoke     timeout, retry, breaker, fallback     (stages.invoke)
    validate   JSON contract: repair, re-ask         (stages.validate)
    guard out  prompt leak, PII, restore             (stages.guard)
    degrade    stale cache, configured answer, or a named error (stages.cache, stages.degrade)
    settle     limits and budgets given the real usage (stages.admission)
    record     call record + metrics, off the hot path (stages.record)

Resolving comes before the limits because model limits, budgets and guards belong to the
logical model a route picks. Later: score and escalate after validate.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from seawall.core.clock import Clock
from seawall.core.context import RequestContext
from seawall.core.errors import GuardBlocked, OutputInvalid, SeawallError, UnknownModel
from seawall.core.types import ChatChunk, ChatRequest, ChatResponse, Usage
from seawall.limits.budget import SoftAlert
from seawall.limits.tokens import estimate_prompt_tokens
from seawall.review.context import CallContext
from seawall.review.escalation import Escalation
from seawall.stages import cache, degrade, guard, score, validate
from seawall.stages.admission import Admission, Admitted
from seawall.stages.invoke import InvokeLog, Invoker, StreamStart
from seawall.stages.record import Run, build_record
from seawall.stages.resolve import ModelRuntime, resolve
from seawall.stages.route import RouteRuntime
from seawall.stages.streaming import StreamEvent, aclose, chain, replay, restored, wants_usage
from seawall.state.base import SharedState
from seawall.telemetry.metrics import Metrics
from seawall.telemetry.prices import PriceTable
from seawall.telemetry.records import CallRecord

__all__ = ["Completion", "Pipeline", "StreamEvent", "StreamReply"]


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
        on_blocked: Callable[[RequestContext, GuardBlocked], Awaitable[None]] | None = None,
        trace_upstream: bool = False,
        routes: Mapping[str, RouteRuntime] | None = None,
        admission: Admission | None = None,
        on_soft_limit: Callable[[SoftAlert], None] | None = None,
        on_escalate: Callable[[CallContext, Escalation], Awaitable[str]] | None = None,
    ) -> None:
        self.models = models
        self.routes = routes or {}
        self._state = state
        self._admission = admission
        self._on_soft_limit = on_soft_limit
        self._on_escalate = on_escalate
        self._invoker = Invoker(state, clock, rng)
        self._submit = submit
        self._metrics = metrics
        self._prices = prices
        self._clock = clock
        self._store_payloads = store_payloads
        self._on_blocked = on_blocked
        self._trace_upstream = trace_upstream

    # ------------------------------------------------------------------ whole answers

    async def chat(self, request: ChatRequest, ctx: RequestContext) -> Completion:
        run = self._new_run(ctx, request)
        response, parsed = await self._complete(run)
        return Completion(response, run, parsed)

    def _new_run(self, ctx: RequestContext, request: ChatRequest) -> Run:
        trace_id = ctx.trace_id if self._trace_upstream else None
        return Run(ctx, request, InvokeLog(started=ctx.started, trace_id=trace_id))

    async def _complete(self, run: Run) -> tuple[ChatResponse, object]:
        """The stages in order, recovering on failure; the call is recorded either way."""
        parsed: object = None
        admitted: Admitted | None = None
        try:
            model = self._resolve(run)
            deadline = min(run.ctx.deadline, run.ctx.started + model.config.timeout.deadline_s)
            self._guard_input(run, model)
            admitted = await self._admit(run, model)
            response, parsed = await self._answer(run, model, deadline)
            response = await self._escalate(run, model, response, parsed)
        except SeawallError as exc:
            await self._blocked(run, exc)
            await self._settle(run, admitted)
            response = await self._recover(run, exc)
        else:
            await self._settle(run, admitted)
        self._record(run)
        return response, parsed

    def _resolve(self, run: Run) -> ModelRuntime:
        """The logical model of the call: by name, or chosen by a routing rule."""
        name = run.request.model
        route = self.routes.get(name)
        if route is not None:
            index, name = route.choose(run.request, self._estimate(run), run.ctx.tags)
            run.route = f"{route.name}:{index}:{name}"
        model = resolve(self.models, name) if route is not None else self._known(name)
        run.resolved = model.name
        return model

    def _known(self, name: str) -> ModelRuntime:
        model = self.models.get(name)
        if model is None:
            known = ", ".join(sorted([*self.models, *self.routes])) or "none"
            raise UnknownModel(
                f"unknown model '{name}'; this gateway serves: {known}", param="model"
            )
        return model

    def _estimate(self, run: Run) -> int:
        if run.estimated_tokens is None:
            run.estimated_tokens = estimate_prompt_tokens(run.request.body)
        return run.estimated_tokens

    async def _admit(self, run: Run, model: ModelRuntime) -> Admitted | None:
        if self._admission is None:
            return None
        return await self._admission.admit(run.ctx, model, run.request, self._estimate(run))

    async def _settle(self, run: Run, admitted: Admitted | None) -> None:
        if admitted is None or self._admission is None:
            return
        tokens = run.usage.prompt_tokens + run.usage.completion_tokens
        alerts = await self._admission.settle(admitted, tokens, run.cost_usd)
        if self._on_soft_limit is not None:
            for alert in alerts:
                self._on_soft_limit(alert)

    async def _answer(
        self, run: Run, model: ModelRuntime, deadline: float
    ) -> tuple[ChatResponse, object]:
        request = run.request
        contract = validate.contract_for(request, model.config.validation, model.validator)
        body = request.upstream_body(run.upstream_messages)
        hit = await self._cached(run, model, body)
        parsed: object = None
        if hit is not None:
            response = hit
            if contract is not None:
                parsed = validate.check(response.content, contract).value
        else:
            response = await self._invoker.chat(model, body, deadline, run.log)
            self._account(run, response)
            if contract is not None:
                response, parsed = await self._validate(run, model, contract, response, deadline)
            if run.cache_key is not None:
                await cache.store(self._state, model, run.cache_key, response)
        return self._guard_output(run, model, response), parsed

    async def _escalate(
        self, run: Run, model: ModelRuntime, response: ChatResponse, parsed: object
    ) -> ChatResponse:
        """Score the answer; when a rule fires, open a review item and answer as its mode says."""
        verdict = score.judge(run, model, response, parsed)
        run.confidence = verdict.confidence
        escalation = verdict.escalation
        if escalation is None or self._on_escalate is None:
            return response
        context = score.call_context(run, model, response.content, parsed)
        run.review_id = await self._on_escalate(context, escalation)
        run.escalation = escalation.mode
        if escalation.mode == "fallback":
            response = response.with_content(escalation.fallback_answer or "")
            run.response_body = response.body
        return response

    async def _escalate_invalid(self, run: Run, model: ModelRuntime) -> ChatResponse | None:
        """An answer invalid even after repair and re-ask may go to a person too."""
        verdict = score.judge(run, model, None, None)
        run.confidence = verdict.confidence
        escalation = verdict.escalation
        if escalation is None or self._on_escalate is None:
            return None
        answer = _content(run.response_body)
        context = score.call_context(run, model, answer, None)
        run.review_id = await self._on_escalate(context, escalation)
        run.escalation = escalation.mode
        if escalation.mode == "advise":
            return None  # the error still goes out; a person looks at it
        text = escalation.fallback_answer or "" if escalation.mode == "fallback" else ""
        response = degrade.degraded_response_text(text, run.request.model, run.ctx.trace_id)
        run.response_body = response.body
        return response

    async def _cached(
        self, run: Run, model: ModelRuntime, body: dict[str, object]
    ) -> ChatResponse | None:
        """A fresh cached answer, or None (and the key to store the answer under)."""
        run.cache_key = cache.key_for(model, run.request, body, run.ctx.tenant, run.ctx.cache_mode)
        if run.cache_key is None:
            return None
        found = await cache.lookup(self._state, run.cache_key)
        if found.response is None or not found.fresh:
            run.cache = "miss"
            return None
        run.cache = "hit"
        run.response_body = found.response.body
        return found.response

    def _guard_output(self, run: Run, model: ModelRuntime, response: ChatResponse) -> ChatResponse:
        if model.guard is None or run.guard is None:
            return response
        text = guard.check_output(model.guard, run.guard, response.content or "")
        if text == (response.content or ""):
            return response
        response = response.with_content(text)
        run.response_body = response.body
        return response

    def _guard_input(self, run: Run, model: ModelRuntime) -> None:
        if model.guard is not None:
            run.guard = guard.GuardCall()
            guard.check_input(model.guard, run.request, run.guard)

    async def _blocked(self, run: Run, error: SeawallError) -> None:
        """A guard block is audited, durably, before the refusal leaves."""
        if isinstance(error, GuardBlocked) and self._on_blocked is not None:
            await self._on_blocked(run.ctx, error)

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
        messages = validate.reask_messages(run.upstream_messages, answer, verdict.error or "")
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

    async def _recover(self, run: Run, error: SeawallError) -> ChatResponse:
        """An escalation, a stale cached answer, the configured degrade answer, or the error."""
        model = self.models.get(run.resolved or "")
        if isinstance(error, OutputInvalid) and model is not None and run.response_body:
            held = await self._escalate_invalid(run, model)
            if held is not None:
                return held
        if model is None or run.cache_key is None or not degrade.can_stand_in(error):
            return self._degrade_or_raise(run, error)
        found = await cache.lookup(self._state, run.cache_key)
        if found.response is None:
            return self._degrade_or_raise(run, error)
        run.cache, run.degraded, run.cause = "stale", True, error
        run.response_body = found.response.body
        try:
            return self._guard_output(run, model, found.response)
        except GuardBlocked as blocked:
            run.error = blocked
            self._record(run)
            raise

    def _degrade_or_raise(self, run: Run, error: SeawallError) -> ChatResponse:
        model = self.models.get(run.resolved or "")
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
        run = self._new_run(ctx, request)
        model = self._peek(run)
        if model is None or _has_contract(request, model) or _buffers(model, ctx):
            # An output contract or guard is checked before the first byte leaves: buffer,
            # then replay. (An unknown model or a bad schema fails in there, recorded.)
            response, _ = await self._complete(run)
            return StreamReply(run, replay(response, request))
        deadline = min(ctx.deadline, ctx.started + model.config.timeout.deadline_s)
        admitted: Admitted | None = None
        try:
            self._guard_input(run, model)
            admitted = await self._admit(run, model)
            body = request.upstream_body(run.upstream_messages)
            hit = await self._cached(run, model, body)
            if hit is not None:
                return await self._replay_hit(run, model, hit, admitted)
            # Usage is needed for the record and cost, whether or not the client asked for it.
            body["stream_options"] = {"include_usage": True}
            start = await self._invoker.stream(model, body, deadline, run.log)
        except SeawallError as exc:
            await self._blocked(run, exc)
            await self._settle(run, admitted)
            response = await self._recover(run, exc)
            self._record(run)
            return StreamReply(run, replay(response, request))
        run.overhead_s = (
            self._clock.monotonic() - ctx.started - run.log.upstream_s - run.log.backoff_s
        )
        chunks = chain(start.first, start.rest)
        if model.guard is not None and run.guard is not None:
            restorer = guard.restorer(model.guard, run.guard)
            if restorer is not None:
                chunks = restored(chunks, restorer)
                run.cache_key = None  # the relayed text is restored: not what may be cached
        return StreamReply(run, self._relay(run, start, chunks, model, admitted))

    def _peek(self, run: Run) -> ModelRuntime | None:
        """The call's model, or None when resolving fails (``_complete`` records that)."""
        try:
            return self._resolve(run)
        except SeawallError:
            return None

    async def _replay_hit(
        self, run: Run, model: ModelRuntime, hit: ChatResponse, admitted: Admitted | None
    ) -> StreamReply:
        response = self._guard_output(run, model, hit)
        await self._settle(run, admitted)
        self._record(run)
        return StreamReply(run, replay(response, run.request))

    async def _relay(
        self,
        run: Run,
        start: StreamStart,
        chunks: AsyncIterator[ChatChunk],
        model: ModelRuntime,
        admitted: Admitted | None,
    ) -> AsyncIterator[StreamEvent]:
        text: list[str] = []
        finish: str | None = None
        usage: Usage | None = None
        want_usage = wants_usage(run.request)
        try:
            async for chunk in chunks:
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
            await aclose(start.rest)
            content = "".join(text)
            run.usage = usage or Usage(
                completion_tokens=max(1, len(content) // 4) if content else 0
            )
            run.cost_usd = self._prices.cost(start.target.model, run.usage)
            run.response_body = {"content": content, "finish_reason": finish}
            if model.guard is not None and run.guard is not None:
                guard.check_stream_end(model.guard, run.guard, content)
            await self._settle(run, admitted)
            if run.cache_key is not None and run.error is None and finish is not None and content:
                whole = cache.completion_body(
                    start.first.body, content, finish, run.usage.as_openai()
                )
                await cache.store(
                    self._state, model, run.cache_key, ChatResponse.from_openai(whole)
                )
            self._record(run)

    # ------------------------------------------------------------------ record

    def _record(self, run: Run) -> None:
        run.finished = self._clock.monotonic()
        model = self.models.get(run.resolved or "")
        rules = model.guard if model is not None else None
        redact = None
        if rules is not None and rules.config.redact_at_rest:
            redact = partial(guard.redact_at_rest, rules)
        record = run.record = build_record(run, store_payloads=self._store_payloads, redact=redact)
        self._metrics.observe(record)
        for target, state in run.log.breaker_changes:
            self._metrics.breaker_changed(target, state)
        self._submit(record)


def _buffers(model: ModelRuntime, ctx: RequestContext) -> bool:
    """Must a stream be held back whole: guards check the answer, or a person may step in?"""
    if model.guard is not None and model.guard.buffers_stream:
        return True
    return model.config.review is not None or ctx.review_rules is not None


def _content(body: dict[str, Any] | None) -> str | None:
    try:
        return ChatResponse.from_openai(body).content if body else None
    except ValueError:
        return None


def _has_contract(request: ChatRequest, model: ModelRuntime) -> bool:
    try:
        return validate.contract_for(request, model.config.validation, model.validator) is not None
    except SeawallError:
        return True
