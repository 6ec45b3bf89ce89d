"""Per-request context: identity, trace id and the deadline every stage respects."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def new_trace_id() -> str:
    """A W3C-compatible 128-bit trace id in hex."""
    return os.urandom(16).hex()


@dataclass(slots=True)
class RequestContext:
    trace_id: str
    started: float  # monotonic seconds
    started_wall: float
    deadline: float  # monotonic seconds
    tenant: str | None = None
    key_id: str | None = None
    user: str | None = None
    tags: list[str] = field(default_factory=list)

    def remaining(self, now: float) -> float:
        return self.deadline - now
