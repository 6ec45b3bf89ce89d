"""SVG charts: valid markup, axes with readable ticks, gaps, escaping and empty states."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from seawall.dashboard.charts import Line, Span, bar_chart, line_chart, nice_ticks, timeline_chart

SVG = "{http://www.w3.org/2000/svg}"
START = 1_800_000_000.0  # 2027-01-15 08:00 UTC


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # raises on malformed or badly escaped markup


def texts(root: ET.Element) -> list[str]:
    """The visible text of each label (not its hover title)."""
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def fmt(value: float) -> str:
    return f"{value:g}"


def test_nice_ticks_are_round_and_reach_the_top() -> None:
    assert nice_ticks(93) == [0, 25, 50, 75, 100]
    assert nice_ticks(0.037) == [0, 0.01, 0.02, 0.03, 0.04]
    assert nice_ticks(4) == [0, 1, 2, 3, 4]
    assert nice_ticks(0) == [0, 1]


def test_a_time_series_has_axes_labels_and_one_dot_per_value() -> None:
    starts = [START + 60 * i for i in range(10)]
    values = [float(i * 10) for i in range(10)]
    root = parse(
        line_chart("Traffic", starts, 60.0, [Line("calls", values)], fmt, unit="calls/min")
    )
    labels = texts(root)
    assert "Traffic (calls/min)" in labels
    assert [t for t in labels if t.isdigit()] == ["0", "25", "50", "75", "100"]
    assert "08:00" in labels  # time ticks in UTC
    assert "UTC" in labels
    assert len(list(root.iter(f"{SVG}circle"))) == 10
    titles = ["".join(c.itertext()) for c in root.iter(f"{SVG}circle")]
    assert titles[3] == "calls at 08:03: 30"  # the hover text names the point
    assert root.get("role") == "img"


def test_a_gap_in_the_data_breaks_the_line() -> None:
    starts = [START + 60 * i for i in range(6)]
    values = [1.0, 2.0, None, None, 3.0, 4.0]
    root = parse(line_chart("Latency", starts, 60.0, [Line("p95", values)], fmt))
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    assert len(list(root.iter(f"{SVG}circle"))) == 4


def test_two_lines_get_a_legend_and_distinct_colours() -> None:
    starts = [START, START + 60]
    lines = [Line("p50", [1.0, 2.0]), Line("p95", [3.0, 4.0])]
    root = parse(line_chart("Latency", starts, 60.0, lines, fmt))
    assert {"p50", "p95"} <= set(texts(root))
    colours = {p.get("stroke") for p in root.iter(f"{SVG}polyline")}
    assert len(colours) == 2


def test_names_from_data_are_escaped() -> None:
    hostile = '<script>alert("x")</script>&'
    markup = bar_chart("Cost per model", [(hostile, 2.0), ("chat", 1.0)], fmt)
    assert "<script>" not in markup
    root = parse(markup)
    assert any(hostile[:21] in t or "&" in t for t in texts(root))
    line = line_chart(hostile, [START], 60.0, [Line(hostile, [1.0])], fmt)
    assert "<script>" not in line
    parse(line)


def test_bars_are_proportional_and_labelled_with_values() -> None:
    root = parse(bar_chart("Cost", [("a", 4.0), ("b", 1.0)], fmt))
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect") if r.get("rx")]
    assert widths[0] == 4 * widths[1]
    assert {"a", "b", "4", "1"} <= set(texts(root))


def test_a_timeline_places_attempts_on_one_axis() -> None:
    spans = [Span("1. openai error", 0.0, 100.0), Span("2. backup ok", 300.0, 200.0, lead=200.0)]
    root = parse(timeline_chart("Attempts", spans, 500.0, fmt))
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("rx")]
    x0, x1 = float(bars[0].get("x", "0")), float(bars[1].get("x", "0"))
    w0, w1 = float(bars[0].get("width", "0")), float(bars[1].get("width", "0"))
    # The second starts at 300 ms: three first-attempt lengths later (to the 0.1 px drawn).
    assert x1 - x0 == pytest.approx(3 * w0, abs=0.3)
    assert w1 == pytest.approx(2 * w0, abs=0.2)
    backoff = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#d1d5db"]
    assert len(backoff) == 1


def test_no_data_says_so() -> None:
    for markup in (
        line_chart("Traffic", [START], 60.0, [Line("calls", [None])], fmt),
        bar_chart("Cost", [], fmt),
        timeline_chart("Attempts", [], 0.0, fmt),
    ):
        assert "no calls in this window" in texts(parse(markup))
