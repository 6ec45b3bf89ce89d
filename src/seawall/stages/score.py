"""Score and escalate: a confidence for every answer, and the rules that send a call to a person.

Confidence combines the signals the call produced (``seawall.review.confidence``: token
logprobs, how validation went, guard flags, a self-reported confidence field); a call without
any signal has none. The escalation rules of the prompt (a prompt run) or the logical model
decide whether a person must look (``seawall.review.escalation``) and how the caller is
answered meanwhile: ``advise`` (the answer, flagged), ``fallback`` (the configured answer), or
``hold`` (202 and a review id to poll). The review item itself is written by the review
service, through the callback the pipeline is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seawall.core.types import ChatResponse
from seawall.review.confidence import Confidence, Signals, score, self_reported, token_logprobs
from seawall.review.context import CallContext
from seawall.review.escalation import CallSignals, Escalation, EscalationRules, decide
from seawall.stages.record import Run
from seawall.stages.resolve import ModelRuntime


@dataclass(frozen=True, slots=True)
class Verdict:
    """The call's confidence, and its escalation when a rule fired."""

    confidence: Confidence
    escalation: Escalation | None


_NOTHING = Verdict(Confidence(None), None)


def rules_for(run: Run, model: ModelRuntime) -> EscalationRules | None:
    """A prompt run's own rules win over the logical model's."""
    rules = run.ctx.review_rules
    if isinstance(rules, EscalationRules):
        return rules
    return model.config.review


def output_schema(run: Run, model: ModelRuntime) -> dict[str, Any] | None:
    schema = model.config.validation.json_schema
    if schema is not None:
        return schema
    fmt = run.request.response_format
    if isinstance(fmt, dict) and isinstance(fmt.get("json_schema"), dict):
        inner = fmt["json_schema"].get("schema")
        return inner if isinstance(inner, dict) else None
    return None


def judge(run: Run, model: ModelRuntime, response: ChatResponse | None, parsed: object) -> Verdict:
    """Score the call and decide whether it escalates."""
    rules = rules_for(run, model)
    if (
        rules is None
        and run.validation == "none"
        and run.guard is None
        and not _has_logprobs(response)
    ):
        return _NOTHING  # no signal and no rule: the common case costs nothing
    flags = run.guard.flags if run.guard is not None else None
    signals = Signals(
        token_logprobs=token_logprobs(response.body) if response is not None else None,
        validation=run.validation if run.validation != "none" else None,
        guard_flags=flags,
        self_reported=self_reported(parsed, output_schema(run, model)),
    )
    confidence = score(signals)
    escalation = decide(rules, CallSignals(confidence.score, run.validation, tuple(flags or ())))
    return Verdict(confidence, escalation)


def _has_logprobs(response: ChatResponse | None) -> bool:
    if response is None:
        return False
    choices = response.body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return False
    return choices[0].get("logprobs") is not None


def call_context(run: Run, model: ModelRuntime, answer: str | None, parsed: object) -> CallContext:
    """Everything a reviewer needs to judge the call."""
    ctx = run.ctx
    confidence = run.confidence
    return CallContext(
        trace_id=ctx.trace_id,
        tenant=ctx.tenant,
        model=run.request.model,
        answer=answer,
        messages=[dict(m) for m in run.upstream_messages],
        variables=dict(ctx.variables) if ctx.variables is not None else None,
        prompt=ctx.prompt,
        release=ctx.release,
        attempts=[a.as_dict() for a in run.log.attempts],
        guards=run.guard.record() if run.guard is not None else {},
        validation=run.validation,
        validation_error=run.validation_error,
        confidence=confidence.score if confidence is not None else None,
        confidence_components=[c.as_dict() for c in confidence.components] if confidence else [],
        parsed=parsed,
        output_schema=output_schema(run, model),
        user=ctx.user,
        tags=list(ctx.tags),
        key_id=ctx.key_id,
    )
