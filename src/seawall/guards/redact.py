"""Redaction: findings become numbered placeholders ("[EMAIL_1]") that can be put back later.

One ``Redaction`` spans a conversation: the same value gets the same placeholder in every
message, so the model still sees that two mentions are one person. The values stay in memory
only; ``mapping`` and ``counts`` (what records keep) name types, never values.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

from seawall.guards.findings import Finding
from seawall.guards.pii import PiiDetector

__all__ = ["Redaction", "StreamRestorer", "redact_payload"]

_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*_[0-9]+\]")
_PREFIX = re.compile(r"(?:[A-Z][A-Z_]*)?")


class Redaction:
    """Placeholders for the values of one conversation, and the way back.

    ``prefix`` (upper-case letters and "_", e.g. "OUT_") gives placeholders of their own,
    "[OUT_EMAIL_1]": a second redaction of the same text (the model's own PII in an answer)
    then never collides with, and is never restored by, the conversation's redaction.
    """

    def __init__(self, prefix: str = "") -> None:
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"placeholder prefix {prefix!r}: use upper-case letters and '_'")
        self._prefix = prefix
        self._placeholder_of: dict[tuple[str, str], str] = {}
        self._value_of: dict[str, str] = {}
        self._type_of: dict[str, str] = {}
        self._issued: dict[str, int] = {}  # placeholders issued per type
        self._counts: dict[str, int] = {}  # findings redacted per type
        self._partials: set[str] = set()  # proper prefixes of issued placeholders

    def redact(self, text: str, findings: Sequence[Finding]) -> str:
        """``text`` with each finding replaced by its value's placeholder."""
        parts: list[str] = []
        pos = 0
        for f in sorted(findings, key=lambda f: f.start):
            if f.start < pos or f.end <= f.start or f.end > len(text):
                continue  # overlapping or out of range: the detector never returns those
            parts.append(text[pos : f.start])
            parts.append(self._placeholder(f.type, text[f.start : f.end]))
            self._counts[f.type] = self._counts.get(f.type, 0) + 1
            pos = f.end
        parts.append(text[pos:])
        return "".join(parts)

    def restore(self, text: str) -> str:
        """``text`` with the placeholders this redaction issued replaced by their values."""
        if not self._value_of or "[" not in text:
            return text
        return _PLACEHOLDER.sub(lambda m: self._value_of.get(m.group(), m.group()), text)

    @property
    def mapping(self) -> dict[str, str]:
        """Placeholder → type, for records (never the values)."""
        return dict(self._type_of)

    def counts(self) -> dict[str, int]:
        """Findings redacted so far, by type (every occurrence counts)."""
        return dict(self._counts)

    def is_partial(self, tail: str) -> bool:
        """Could ``tail`` still grow into a placeholder this redaction issued?"""
        return tail in self._partials

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        found = self._placeholder_of.get(key)
        if found is not None:
            return found
        number = self._issued.get(kind, 0) + 1
        self._issued[kind] = number
        placeholder = f"[{self._prefix}{kind.upper()}_{number}]"
        self._placeholder_of[key] = placeholder
        self._value_of[placeholder] = value
        self._type_of[placeholder] = kind
        self._partials.update(placeholder[:i] for i in range(1, len(placeholder)))
        return placeholder


class StreamRestorer:
    """Restores placeholders in a streamed answer, holding back one cut between chunks."""

    def __init__(self, redaction: Redaction) -> None:
        self._redaction = redaction
        self._held = ""

    def feed(self, chunk: str) -> str:
        """The text that can be sent now, placeholders restored."""
        text = self._held + chunk
        cut = text.rfind("[")
        # Only the last "[" can open an unfinished placeholder: placeholders hold no "[".
        if cut != -1 and self._redaction.is_partial(text[cut:]):
            self._held, text = text[cut:], text[:cut]
        else:
            self._held = ""
        return self._redaction.restore(text)

    def flush(self) -> str:
        """What is still held back, at the end of the stream."""
        text, self._held = self._held, ""
        return self._redaction.restore(text)


def redact_payload(obj: object, detector: PiiDetector) -> object:
    """A deep copy of a JSON-like value with every string value redacted (keys kept).

    Placeholders are numbered per payload, in document order; tuples come back as lists.
    Iterative, so a deeply nested payload cannot exhaust the interpreter's recursion limit.
    """
    redaction = Redaction()
    root: list[Any] = [None]
    stack: list[tuple[object, Any, Any]] = [(obj, root, 0)]
    while stack:
        value, parent, key = stack.pop()
        if isinstance(value, str):
            findings = detector.scan(value)
            parent[key] = redaction.redact(value, findings) if findings else value
        elif isinstance(value, dict):
            copied: dict[Any, Any] = dict.fromkeys(value)
            parent[key] = copied
            stack.extend((v, copied, k) for k, v in reversed(value.items()))
        elif isinstance(value, list | tuple):
            items: list[Any] = [None] * len(value)
            parent[key] = items
            stack.extend((v, items, i) for i, v in reversed(list(enumerate(value))))
        else:
            parent[key] = copy.deepcopy(value)
    return root[0]
