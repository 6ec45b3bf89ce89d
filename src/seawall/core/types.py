"""Wire types: what flows between the edge, the pipeline and the providers.

Requests and responses stay close to the OpenAI JSON they came from (a dict ``body``) so that
unknown fields pass through untouched and nothing is parsed twice on the hot path; the typed
attributes beside ``body`` are the few the pipeline reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_openai(self) -> JSON:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }

    @classmethod
    def from_openai(cls, raw: Any) -> Usage | None:
        if not isinstance(raw, dict):
            return None
        details = raw.get("prompt_tokens_details")
        cached = details.get("cached_tokens", 0) if isinstance(details, dict) else 0
        return cls(
            prompt_tokens=_int(raw.get("prompt_tokens")),
            completion_tokens=_int(raw.get("completion_tokens")),
            cached_tokens=_int(cached),
        )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


@dataclass(slots=True)
class ChatRequest:
    """An OpenAI-style chat request after shape checks (see ``pipeline.admit``)."""

    model: str
    messages: list[JSON]
    body: JSON
    stream: bool = False
    response_format: JSON | None = None

    def upstream_body(self, messages: list[JSON] | None = None) -> JSON:
        """The body to send upstream: the caller's fields without the streaming switches.

        Each attempt sets ``model`` to its target's model name (see ``stages.invoke``).
        """
        out = dict(self.body)
        if messages is not None:
            out["messages"] = messages
        out.pop("stream", None)
        out.pop("stream_options", None)
        return out


@dataclass(slots=True)
class ChatResponse:
    """A complete (non-streamed) answer in the OpenAI ``chat.completion`` shape."""

    body: JSON
    content: str | None
    finish_reason: str | None
    usage: Usage = field(default_factory=Usage)

    @classmethod
    def from_openai(cls, body: JSON) -> ChatResponse:
        """Read the fields the pipeline needs; raises ``ValueError`` on a foreign shape."""
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ValueError("response has no choices")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise ValueError("choice has no message")
        content = message.get("content")
        if content is not None and not isinstance(content, str):
            raise ValueError("message content is not a string")
        return cls(
            body=body,
            content=content,
            finish_reason=choices[0].get("finish_reason"),
            usage=Usage.from_openai(body.get("usage")) or Usage(),
        )

    def with_content(self, content: str) -> ChatResponse:
        """A copy whose first choice says ``content`` instead (after repair or degrade)."""
        body = dict(self.body)
        choice = dict(body["choices"][0])
        message = dict(choice.get("message") or {})
        message["content"] = content
        choice["message"] = message
        body["choices"] = [choice, *body["choices"][1:]]
        return ChatResponse(body, content, self.finish_reason, self.usage)


@dataclass(slots=True)
class ChatChunk:
    """One streamed ``chat.completion.chunk``; ``usage`` is set on the chunk that reports it."""

    body: JSON
    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None

    @classmethod
    def from_openai(cls, body: JSON) -> ChatChunk:
        text = ""
        finish = None
        choices = body.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            delta = choices[0].get("delta")
            if isinstance(delta, dict) and isinstance(delta.get("content"), str):
                text = delta["content"]
            finish = choices[0].get("finish_reason")
        return cls(
            body=body, text=text, finish_reason=finish, usage=Usage.from_openai(body.get("usage"))
        )
