"""The full context a reviewer sees: what was asked, what happened, what was answered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seawall.telemetry.records import CallRecord


@dataclass(frozen=True, slots=True)
class CallContext:
    """One call as the review queue keeps it (the pipeline fills it in at escalation time).

    ``messages`` are the rendered messages as sent (after the guards' redaction, when the
    guards redact), ``variables`` the prompt variables they were rendered from.
    """

    trace_id: str
    tenant: str | None
    model: str
    answer: str | None
    messages: list[dict[str, Any]] = field(default_factory=list)
    variables: dict[str, Any] | None = None
    prompt: str | None = None  # "name@version" of a prompt run
    release: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    guards: dict[str, Any] = field(default_factory=dict)
    validation: str = "none"
    validation_error: str | None = None
    confidence: float | None = None
    confidence_components: list[dict[str, Any]] = field(default_factory=list)
    parsed: Any = None
    output_schema: dict[str, Any] | None = None
    user: str | None = None
    tags: list[str] = field(default_factory=list)
    key_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The item's ``context`` column: plain JSON."""
        return {
            "trace_id": self.trace_id,
            "tenant": self.tenant,
            "model": self.model,
            "prompt": self.prompt,
            "release": self.release,
            "messages": self.messages,
            "variables": self.variables,
            "answer": self.answer,
            "parsed": self.parsed,
            "output_schema": self.output_schema,
            "attempts": self.attempts,
            "guards": self.guards,
            "validation": self.validation,
            "validation_error": self.validation_error,
            "confidence": self.confidence,
            "confidence_components": self.confidence_components,
            "user": self.user,
            "tags": self.tags,
            "key_id": self.key_id,
            "extra": self.extra,
        }

    @classmethod
    def from_record(cls, record: CallRecord) -> CallContext:
        """The context of a recorded call (a complaint about it opens a review)."""
        extra = dict(record.extra)
        confidence = extra.pop("confidence", None)
        components: list[dict[str, Any]] = []
        if isinstance(confidence, Mapping):  # {"score": ..., "components": [...]}
            components = list(confidence.get("components") or [])
            confidence = confidence.get("score")
        return cls(
            trace_id=record.trace_id,
            tenant=record.tenant,
            model=record.model,
            answer=answer_text(record.response),
            messages=_messages(record.request),
            variables=_dict_or_none(extra.pop("variables", None)),
            prompt=_str_or_none(extra.pop("prompt", None)),
            release=_str_or_none(extra.pop("release", None)),
            attempts=[a.as_dict() for a in record.attempts],
            guards=dict(extra.pop("guards", None) or {}),
            validation=record.validation,
            validation_error=_str_or_none(extra.pop("validation_error", None)),
            confidence=confidence if isinstance(confidence, int | float) else None,
            confidence_components=components,
            user=_str_or_none(extra.pop("user", None)),
            tags=[str(t) for t in extra.pop("tags", None) or []],
            key_id=record.key_id,
            extra=extra,
        )


def answer_text(response: Mapping[str, Any] | None) -> str | None:
    """The first choice's message content of an OpenAI-style response body."""
    choices = response.get("choices") if response is not None else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else None


def _messages(request: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    messages = request.get("messages") if request is not None else None
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _dict_or_none(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None
