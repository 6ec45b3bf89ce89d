"""One text under scan, with the cheap views every finder shares (computed at most once).

Python's ``re`` is fast when a pattern starts with a literal (it jumps with a substring
search) and slow (~30 ns a character) when it starts with a look-behind, a class or an
alternation. So finders rarely scan the whole text with their own regex: they start from
anchors found cheaply (a literal's positions, or the number runs computed once here) and
run their anchored pattern only there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property

_NUMBER_RUN = re.compile(r"[0-9](?:[0-9 \-./()]*[0-9])?")


class TextView:
    """``text`` plus its lower-cased copy and number runs, computed lazily per scan."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def lower(self) -> str:
        """``text`` lower-cased, index for index (only ASCII is folded when lengths differ)."""
        lowered = self.text.lower()
        if len(lowered) != len(self.text):  # e.g. "İ" lowers to two code points
            lowered = "".join(ch.lower() if ch.isascii() else ch for ch in self.text)
        return lowered

    @cached_property
    def number_runs(self) -> list[tuple[int, int]]:
        """Spans from a digit to a digit over the separators numbers are written with."""
        return [m.span() for m in _NUMBER_RUN.finditer(self.text)]


def positions(haystack: str, needle: str) -> Iterator[int]:
    """Every index where ``needle`` occurs in ``haystack`` (a C substring search each)."""
    i = haystack.find(needle)
    while i != -1:
        yield i
        i = haystack.find(needle, i + 1)
