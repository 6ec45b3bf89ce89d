"""What a guard found: a span of text and its type, never the matched value itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected span ``text[start:end]`` of ``type`` (``detail``: e.g. the secret's vendor)."""

    start: int
    end: int
    type: str
    detail: str | None = None
