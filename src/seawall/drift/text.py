"""The last user message of a stored request, and a cheap detector of its writing system.

The script stands in for the language: a route built for English questions that starts
receiving Cyrillic ones has drifted, whatever the words. Letters are counted per Unicode block
(one regular expression per script, run in C), the script with the most letters wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SCRIPTS = (
    "latin",
    "cyrillic",
    "greek",
    "arabic",
    "hebrew",
    "devanagari",
    "cjk",
    "hangul",
    "kana",
    "thai",
    "other",
)
"""Categories of the ``script`` feature; ``kana`` is Japanese (kana with kanji)."""

SCRIPT_SAMPLE_CHARS = 2000
"""Only the first characters are inspected: the script of a message shows in its opening."""

_BLOCKS = {
    "latin": "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff",
    "cyrillic": "\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f",
    "greek": "\u0370-\u03ff\u1f00-\u1fff",
    "arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    "hebrew": "\u0590-\u05ff\ufb1d-\ufb4f",
    "devanagari": "\u0900-\u097f\ua8e0-\ua8ff",
    "cjk": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef",
    "hangul": "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af",
    "kana": "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    "thai": "\u0e00-\u0e7f",
}
_PATTERNS = {name: re.compile(f"[{chars}]") for name, chars in _BLOCKS.items()}
_ASCII_LETTER = re.compile("[A-Za-z]")
# Japanese writes kanji (CJK ideographs) between kana; Chinese has no kana at all. A text
# whose kana make up this share of its CJK letters is Japanese.
_KANA_SHARE = 0.1


def detect_script(text: str) -> str:
    """The writing system of most letters of ``text`` (one of ``SCRIPTS``)."""
    sample = text[:SCRIPT_SAMPLE_CHARS]
    if sample.isascii():  # most traffic: decided without counting
        return "latin" if _ASCII_LETTER.search(sample) else "other"
    counts = {name: len(pattern.findall(sample)) for name, pattern in _PATTERNS.items()}
    if counts["kana"] and counts["kana"] >= _KANA_SHARE * (counts["kana"] + counts["cjk"]):
        counts["kana"] += counts.pop("cjk")
    best = max(counts, key=counts.__getitem__)
    if counts[best] == 0:
        return "other"
    # Letters of scripts without a category (Georgian, Armenian, Ethiopic, ...) can outvote.
    unknown = sum(map(str.isalpha, sample)) - sum(counts.values())
    return "other" if unknown > counts[best] else best


def last_user_text(request: Mapping[str, Any] | None) -> str | None:
    """The text of the last ``user`` message of an OpenAI-style request body (None when absent)."""
    messages = request.get("messages") if isinstance(request, Mapping) else None
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return content_text(message.get("content"))
    return None


def content_text(content: Any) -> str:
    """A message's text: the string itself, or its text parts joined by newlines."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = (
            part.get("text")
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""
