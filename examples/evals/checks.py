"""Custom checks for the example suite: ``type: python, function: checks:NAME``.

A check takes the output text and the case, and returns a bool, (bool, reason), or a score
between 0 and 1.
"""

from __future__ import annotations

from typing import Any


def no_internal_links(output: str, case: Any) -> tuple[bool, str]:
    """Answers must not send customers to internal tools."""
    for marker in ("intranet", "admin.", "localhost"):
        if marker in output:
            return False, f"mentions {marker!r}"
    return True, ""
