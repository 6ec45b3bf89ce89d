"""The dashboard's Jinja2 environment (autoescaped, strict) and the filters its pages use."""

from __future__ import annotations

import math
import time
from typing import Any

import jinja2
import orjson

Environment = jinja2.Environment


def environment() -> jinja2.Environment:
    """Templates from ``seawall/dashboard/templates``; every value is escaped unless marked safe."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("seawall.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails the test, not the page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        ts=ts,
        ago=ago,
        ms=ms,
        usd=usd,
        pct=pct,
        num=num,
        pretty_json=pretty_json,
        short=short,
    )
    return env


def ts(value: float | None) -> str:
    """A unix time as ``2025-01-31 14:05:09 UTC``."""
    if value is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(value))


def ago(value: float | None, now: float | None = None) -> str:
    """How long ago (or from now) a unix time is, roughly: ``5 min ago``, ``in 2 h``."""
    if value is None:
        return "—"
    delta = (now if now is not None else time.time()) - value
    text = _duration(abs(delta))
    return f"{text} ago" if delta >= 0 else f"in {text}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86_400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def ms(value: float | None) -> str:
    """Milliseconds, with a unit that keeps 2-3 significant digits."""
    if value is None or not math.isfinite(value):
        return "—"
    if value >= 10_000:
        return f"{value / 1000:.1f} s"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 10:
        return f"{value:.0f} ms"
    return f"{value:.1f} ms"


def usd(value: float | None) -> str:
    """US dollars, with decimals for small amounts (a call costs fractions of a cent)."""
    if value is None:
        return "—"
    if value == 0:
        return "$0"
    if abs(value) >= 100:
        return f"${value:,.0f}"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    if abs(value) >= 0.01:
        return f"${value:.3f}"
    return f"${value:.5f}"


def pct(value: float | None, digits: int = 1) -> str:
    """A share as a percentage."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def num(value: float | None) -> str:
    """A count with thousands separators (``12.3k`` style above a million)."""
    if value is None:
        return "—"
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.2f}M"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def pretty_json(value: Any) -> str:
    """Indented JSON for ``<pre>`` blocks (escaped by the template like any text)."""
    return orjson.dumps(value, default=str, option=orjson.OPT_INDENT_2).decode()


def short(value: str | None, size: int = 12) -> str:
    """The start of a long id."""
    if value is None:
        return "—"
    return value if len(value) <= size else value[:size] + "…"
