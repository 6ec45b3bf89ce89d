"""The command-line values of the cost commands: time windows, growth and route changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from seawall.cost.project import RouteChange

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_instant(text: str, now: float) -> float:
    """``7d``, ``12h``, ``30m`` before ``now``, or an ISO date/time (UTC when no zone)."""
    value = text.strip()
    match = _DURATION.match(value)
    if match:
        return now - float(match.group(1)) * _UNIT_S[match.group(2)]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (7d, 12h, 30m) nor a date (2026-11-01)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_growth(text: str) -> float:
    """``10x``, ``1.5x`` or ``2``: the traffic multiplier, > 0."""
    value = text.strip().lower().removesuffix("x")
    try:
        growth = float(value)
    except ValueError:
        raise ValueError(f"growth {text!r} must be a factor such as 10x or 1.5x") from None
    if not growth > 0:
        raise ValueError(f"growth {text!r} must be > 0")
    return growth


def parse_route_change(text: str) -> RouteChange:
    """``gpt-4o=gpt-4o-mini`` (or ``openai/gpt-4o=gpt-4o-mini``)."""
    source, sep, target = (part.strip() for part in text.partition("="))
    if not sep or not source or not target:
        raise ValueError(f"route change {text!r} must look like FROM=TO, e.g. gpt-4o=gpt-4o-mini")
    return RouteChange(source, target)
