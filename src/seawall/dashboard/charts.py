"""Server-rendered SVG charts: time series and horizontal bars, with axes, ticks and labels.

The markup is built here (no chart library, no script): every text that comes from data is
escaped, colours are SVG presentation attributes (allowed by the dashboard's strict content
security policy), and each point carries a ``<title>`` so hovering shows its exact value.
A chart without data says so instead of drawing empty axes.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 36  # plot margins: room for tick labels and the legend
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563")

Format = Callable[[float], str]


@dataclass(frozen=True, slots=True)
class Line:
    """One series of a time chart: a value per point, None where there is no data."""

    name: str
    values: Sequence[float | None]
    color: str | None = None


def nice_ticks(high: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``high`` (1, 2, 2.5 or 5 times a power of ten)."""
    if not math.isfinite(high) or high <= 0:
        return [0.0, 1.0]
    raw = high / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw - 1e-12)
    ticks, value = [0.0], 0.0
    while value < high - 1e-12:
        value = round(value + step, 12)
        ticks.append(value)
    return ticks


def time_label(at: float, span_s: float) -> str:
    """A tick label for a UTC instant: time of day for short spans, day and hour beyond."""
    moment = time.gmtime(at)
    if span_s <= 2 * 86_400:
        return time.strftime("%H:%M", moment)
    return time.strftime("%d %b %H:00", moment)


def line_chart(
    title: str,
    starts: Sequence[float],
    step_s: float,
    lines: Sequence[Line],
    fmt: Format,
    *,
    unit: str = "",
) -> Markup:
    """A time series: x is time (``starts`` of each point, ``step_s`` apart), y from 0."""
    points = [v for line in lines for v in line.values if v is not None]
    if not starts or not points:
        return _empty(title)
    ticks = nice_ticks(max(points))
    top = ticks[-1] or 1.0
    span = step_s * len(starts)
    x0 = starts[0]

    def x(at: float) -> float:
        return LEFT + (at - x0) / span * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return TOP + (1 - value / top) * (HEIGHT - TOP - BOTTOM)

    parts = _frame(title, unit)
    parts += _y_axis(ticks, y, fmt)
    parts += _x_axis([x0 + i * span / 4 for i in range(5)], x, span)
    for index, line in enumerate(lines):
        color = line.color or PALETTE[index % len(PALETTE)]
        centres = [(start + step_s / 2, v) for start, v in zip(starts, line.values, strict=True)]
        parts += _polyline(centres, x, y, color)
        parts += _dots(line.name, centres, x, y, color, fmt, span)
    parts += _legend(
        [(line.name, line.color or PALETTE[i % len(PALETTE)]) for i, line in enumerate(lines)]
    )
    return _svg(title, parts)


def bar_chart(
    title: str, bars: Sequence[tuple[str, float]], fmt: Format, *, unit: str = ""
) -> Markup:
    """Horizontal bars, largest first as given, each labelled with its name and value."""
    if not bars or all(value <= 0 for _, value in bars):
        return _empty(title)
    row, label_w = 24, 150
    height = TOP + row * len(bars) + 8
    top = max(value for _, value in bars)
    scale = (WIDTH - label_w - 90) / top
    parts = _frame(title, unit, height=height)
    for i, (name, value) in enumerate(bars):
        y = TOP + i * row
        width = max(0.0, value * scale)
        shown = _clip(name, 22)
        parts += [
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" class="lbl">'
            f"{escape(shown)}<title>{escape(name)}</title></text>",
            f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row - 8}" '
            f'fill="{PALETTE[0]}" rx="2"><title>{escape(name)}: {escape(fmt(value))}</title></rect>',
            f'<text x="{label_w + width + 6:.1f}" y="{y + 15}" class="val">'
            f"{escape(fmt(value))}</text>",
        ]
    return _svg(title, parts, height=height, fixed=True)


@dataclass(frozen=True, slots=True)
class Span:
    """One bar of a timeline: a label, where it starts and how long it lasts (ms)."""

    label: str
    start: float
    length: float
    color: str = PALETTE[0]
    lead: float = 0.0  # a lighter stretch before the bar (a backoff sleep)


def timeline_chart(title: str, spans: Sequence[Span], total: float, fmt: Format) -> Markup:
    """Bars on one time axis from 0 to ``total`` (a call's attempts, a waterfall)."""
    if not spans:
        return _empty(title)
    row, label_w = 26, 190
    end = max([total, *(s.start + s.length for s in spans)])
    ticks = nice_ticks(end)
    right = WIDTH - RIGHT
    scale = (right - label_w) / (ticks[-1] or 1.0)
    height = TOP + row * len(spans) + 30
    parts = _frame(title, "", height=height)
    base = TOP + row * len(spans) + 4
    for tick in ticks:
        at = label_w + tick * scale
        parts.append(f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{TOP}" y2="{base}" stroke="#e5e7eb"/>')
        parts.append(
            f'<text x="{at:.1f}" y="{base + 14}" text-anchor="middle" class="tick">'
            f"{escape(fmt(tick))}</text>"
        )
    for i, span in enumerate(spans):
        y = TOP + i * row
        x = label_w + span.start * scale
        width = max(1.5, span.length * scale)
        tip = f"{span.label}: starts at {fmt(span.start)}, lasts {fmt(span.length)}"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="lbl">'
            f"{escape(_clip(span.label, 28))}<title>{escape(span.label)}</title></text>"
        )
        if span.lead > 0:
            lead = span.lead * scale
            parts.append(
                f'<rect x="{x - lead:.1f}" y="{y + 9}" width="{lead:.1f}" height="4" '
                f'fill="#d1d5db"><title>backoff {escape(fmt(span.lead))}</title></rect>'
            )
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 4}" width="{width:.1f}" height="{row - 10}" rx="2" '
            f'fill="{span.color}"><title>{escape(tip)}</title></rect>'
        )
    return _svg(title, parts, height=height, fixed=True)


# --------------------------------------------------------------------------- pieces


def _frame(title: str, unit: str, *, height: int = HEIGHT) -> list[str]:
    heading = f"{title} ({unit})" if unit else title
    return [
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="16" class="ttl">{escape(heading)}</text>',
    ]


def _y_axis(ticks: Sequence[float], y: Callable[[float], float], fmt: Format) -> list[str]:
    parts = []
    for tick in ticks:
        at = y(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at:.1f}" y2="{at:.1f}" '
            f'stroke="#e5e7eb" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{at + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(fmt(tick))}</text>"
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#9ca3af"/>'
    )
    return parts


def _x_axis(at: Sequence[float], x: Callable[[float], float], span: float) -> list[str]:
    base = HEIGHT - BOTTOM
    parts = [f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" stroke="#9ca3af"/>']
    for i, moment in enumerate(at):
        anchor = "start" if i == 0 else ("end" if i == len(at) - 1 else "middle")
        parts.append(
            f'<text x="{x(moment):.1f}" y="{base + 16}" text-anchor="{anchor}" class="tick">'
            f"{escape(time_label(moment, span))}</text>"
        )
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 4}" text-anchor="end" class="tick">UTC</text>'
    )
    return parts


def _polyline(
    centres: Sequence[tuple[float, float | None]],
    x: Callable[[float], float],
    y: Callable[[float], float],
    color: str,
) -> list[str]:
    # A gap (no data) breaks the line rather than drawing a slope through it.
    parts: list[str] = []
    run: list[str] = []
    for at, value in [*centres, (0.0, None)]:
        if value is None:
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                    f'stroke-width="2" stroke-linejoin="round"/>'
                )
            run = []
        else:
            run.append(f"{x(at):.1f},{y(value):.1f}")
    return parts


def _dots(
    name: str,
    centres: Sequence[tuple[float, float | None]],
    x: Callable[[float], float],
    y: Callable[[float], float],
    color: str,
    fmt: Format,
    span: float,
) -> list[str]:
    label = escape(name)
    return [
        f'<circle cx="{x(at):.1f}" cy="{y(value):.1f}" r="2.5" fill="{color}">'
        f"<title>{label} at {_time_label(at, span)}: {escape(fmt(value))}</title>"
        "</circle>"
        for at, value in centres
        if value is not None
    ]


@functools.lru_cache(maxsize=4096)
def _time_label(at: float, span: float) -> str:
    # Every line of a chart labels the same instants: format each once.
    return escape(time_label(at, span))


def _legend(entries: Sequence[tuple[str, str]]) -> list[str]:
    if len(entries) < 2:
        return []
    parts, at = [], WIDTH - RIGHT
    for name, color in reversed(entries):
        shown = _clip(name, 18)
        at -= 24 + 7 * len(shown)
        parts.append(f'<rect x="{at}" y="7" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{at + 14}" y="16" class="lgd">{escape(shown)}</text>')
    return parts


def _empty(title: str) -> Markup:
    parts = _frame(title, "", height=80)
    parts.append(f'<text x="{LEFT}" y="50" class="none">no calls in this window</text>')
    return _svg(title, parts, height=80, fixed=True)


def _svg(title: str, parts: Sequence[str], *, height: int = HEIGHT, fixed: bool = False) -> Markup:
    # ``fixed`` charts (bars, timelines) keep their natural size instead of filling the width:
    # a few bars stretched over a wide screen become huge.
    body = "".join(parts)
    size = f' width="{WIDTH}" height="{height}"' if fixed else ""
    return Markup(
        f'<svg class="chart{" fixed" if fixed else ""}" viewBox="0 0 {WIDTH} {height}"{size} '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
