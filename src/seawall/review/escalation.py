"""Escalation: which calls go to a person, and what the caller gets meanwhile.

A call escalates when any rule of its prompt or logical model fires:

    high_stakes        every call of the route (a person checks them all)
    on_invalid_output  the output still failed its contract after repair and re-ask
    on_guard_flags     a guard flagged the call with one of these flags (``*``: any flag)
    min_confidence     the confidence score is below the threshold; a call without a score
                       is not escalated by this rule (unknown is not low)

The mode says what the caller gets while the item waits:

    advise    the answer goes out now, flagged, and a review item is queued
    hold      the caller gets 202 with the review id; the decision arrives by webhook and by
              polling ``GET /v1/reviews/{id}``
    fallback  the configured deterministic answer goes out now and the item is queued
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Mode = Literal["advise", "hold", "fallback"]
MODES: tuple[str, ...] = ("advise", "hold", "fallback")

# The flags ``stages.guard`` sets; a rule naming another flag is a typo that would never fire.
GUARD_FLAGS = frozenset(
    {"injection", "pii", "pii_redacted", "prompt_leak", "pii_output", "pii_output_redacted"}
)
ANY_FLAG = "*"


class EscalationRules(BaseModel):
    """The ``review:`` section of a prompt or logical model."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    min_confidence: float | None = Field(None, ge=0, le=1)
    """Escalate answers whose confidence score is below this (unset: confidence never escalates)."""
    high_stakes: bool = False
    """Escalate every call of this route."""
    on_guard_flags: tuple[str, ...] = ()
    """Escalate calls a guard flagged with one of these flags (``injection``, ``prompt_leak``,
    ``pii_output``, ...; ``*`` for any flag)."""
    on_invalid_output: bool = True
    """Escalate answers that failed the output contract even after repair and re-ask."""
    mode: Mode = "advise"
    """``advise``: answer now, flagged, and queue; ``hold``: answer 202 with a review id and
    wait for the decision; ``fallback``: answer ``fallback_answer`` now and queue."""
    fallback_answer: str | None = None
    """The deterministic answer of ``fallback`` mode."""
    sla_s: float = Field(3600.0, gt=0)
    """Seconds a review may wait before it is flagged overdue (and an alert event fires)."""
    claim_timeout_s: float = Field(900.0, gt=0)
    """Seconds a claim holds; an item not resolved by then goes back to the queue."""
    webhook_url: str | None = None
    """Where the decision is POSTed as JSON once a reviewer resolves the item."""

    @field_validator("on_guard_flags")
    @classmethod
    def _known_flags(cls, flags: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(flags) - GUARD_FLAGS - {ANY_FLAG})
        if unknown:
            known = ", ".join(sorted(GUARD_FLAGS))
            raise ValueError(f"unknown guard flag {', '.join(unknown)} (known: {known}, or *)")
        return flags

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return url

    @model_validator(mode="after")
    def _fallback_has_an_answer(self) -> EscalationRules:
        if self.mode == "fallback" and not self.fallback_answer:
            raise ValueError("mode 'fallback' needs a fallback_answer")
        return self


class CallSignals(NamedTuple):
    """What the escalation rules look at for one call (a NamedTuple: built on every call)."""

    confidence: float | None = None
    validation: str = "none"
    guard_flags: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a call escalated: a stable ``code`` and a sentence for the reviewer."""

    code: str  # "high_stakes" | "invalid_output" | "guard_flag" | "low_confidence" | "complaint"
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Escalation:
    """The call goes to review: how the caller is answered meanwhile, and why."""

    mode: str
    reasons: tuple[Reason, ...]
    fallback_answer: str | None = None
    sla_s: float = 3600.0
    claim_timeout_s: float = 900.0
    webhook_url: str | None = None

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


def decide(rules: EscalationRules | None, signals: CallSignals) -> Escalation | None:
    """The escalation of a call, or None when no rule fires (or there are no rules)."""
    if rules is None:
        return None
    reasons = _reasons(rules, signals)
    if not reasons:
        return None
    return Escalation(
        mode=rules.mode,
        reasons=tuple(reasons),
        fallback_answer=rules.fallback_answer,
        sla_s=rules.sla_s,
        claim_timeout_s=rules.claim_timeout_s,
        webhook_url=rules.webhook_url,
    )


def _reasons(rules: EscalationRules, signals: CallSignals) -> list[Reason]:
    reasons = []
    if rules.high_stakes:
        reasons.append(Reason("high_stakes", "the route is marked high-stakes"))
    if rules.on_invalid_output and signals.validation == "invalid":
        reasons.append(Reason("invalid_output", "the output failed its contract after repair"))
    if signals.guard_flags and rules.on_guard_flags:
        watched = set(signals.guard_flags)
        if ANY_FLAG not in rules.on_guard_flags:
            watched &= set(rules.on_guard_flags)
        for flag in sorted(watched):
            reasons.append(Reason("guard_flag", f"a guard flagged the call: {flag}"))
    threshold = rules.min_confidence
    if threshold is not None and signals.confidence is not None and signals.confidence < threshold:
        message = f"confidence {signals.confidence:.2f} is below {threshold:.2f}"
        reasons.append(Reason("low_confidence", message))
    return reasons
