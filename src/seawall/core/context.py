"""Per-request context: identity, trace id and the deadline every stage respects."""

from __future__ import annotations

import os
import random
import re
from contextvars import ContextVar
from dataclasses import dataclass, field

# Trace ids need to be unique, not secret: a PRNG seeded from the OS avoids a syscall per call.
_ids = random.Random(os.urandom(16))
# Forked workers must not replay their parent's sequence of ids.
os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(16)))


# The W3C traceparent an upstream request carries, set by invoke around each attempt.
upstream_traceparent: ContextVar[str | None] = ContextVar("upstream_traceparent", default=None)

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


def parse_traceparent(header: str | None) -> tuple[str, str] | None:
    """(trace id, parent span id) of a valid W3C ``traceparent`` (version 00), else None."""
    if not header:
        return None
    match = _TRACEPARENT.match(header.strip().lower())
    if match is None or set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}:
        return None
    return match.group(1), match.group(2)


def new_trace_id() -> str:
    """A W3C-compatible 128-bit trace id in hex (never all zeros)."""
    return f"{_ids.getrandbits(128) or 1:032x}"


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
    parent_span_id: str | None = None  # the app's span, from its traceparent header
    cache_mode: str | None = None  # x-seawall-cache: "allow" opts in, "bypass" opts out
    prompt: str | None = None  # set by a prompt run: the registry prompt
    release: str | None = None  # and the version that serves it ("name@version")
    variables: dict[str, object] | None = None  # a prompt run's variables (review context)
    review_rules: object | None = None  # a prompt's escalation rules (review.EscalationRules)

    @classmethod
    def begin(cls, started: float, started_wall: float) -> RequestContext:
        """A fresh context; identity (tenant, key) arrives with the authenticate stage.

        The deadline is a backstop: each model's own ``timeout.deadline_s`` narrows it.
        """
        return cls(new_trace_id(), started, started_wall, deadline=started + 3600.0)
