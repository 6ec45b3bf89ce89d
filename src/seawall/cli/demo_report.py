"""The demo's report, computed from the call records the demo wrote."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.table import Table

from seawall.cli.common import console
from seawall.telemetry.metrics import Metrics
from seawall.telemetry.records import CallRecord


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


def answer_text(record: CallRecord) -> str | None:
    """The answer the client got, from the stored payload (None when payloads are off)."""
    body = record.response
    if body is None:
        return None
    if "content" in body:  # streams store the relayed text
        return str(body["content"] or "")
    try:
        return str(body["choices"][0]["message"]["content"] or "")
    except (KeyError, IndexError, TypeError):
        return ""


def empty_answers(records: Sequence[CallRecord]) -> str:
    """Successful or degraded calls whose answer was empty, read from the stored payloads."""
    answered = [r for r in records if r.outcome != "error"]
    texts = [answer_text(r) for r in answered]
    if any(t is None for t in texts):
        return "unknown (payloads not stored)"
    return f"{sum(1 for t in texts if not t)}"


def summarise(records: Sequence[CallRecord], breaker_trips: int) -> list[tuple[str, str]]:
    n = len(records) or 1
    ok = sum(1 for r in records if r.outcome == "ok")
    degraded = sum(1 for r in records if r.degraded)
    failed = sum(1 for r in records if r.outcome == "error")
    latencies = [r.latency_ms for r in records]
    ttfts = [r.ttft_ms for r in records if r.ttft_ms is not None]
    overheads = [r.overhead_ms for r in records]
    return [
        ("calls", f"{len(records)}"),
        ("answered by a model", f"{ok} ({ok / n:.1%})"),
        ("degraded answers", f"{degraded} ({degraded / n:.1%})"),
        ("errors returned", f"{failed} ({failed / n:.1%})"),
        ("empty answers sent", empty_answers(records)),
        ("upstream attempts", f"{sum(len(r.attempts) for r in records)}"),
        ("retries", f"{sum(r.retries for r in records)}"),
        ("fallbacks", f"{sum(1 for r in records if r.fallback)}"),
        ("breaker trips", f"{breaker_trips}"),
        (
            "validation repaired / re-asked",
            f"{sum(1 for r in records if r.validation == 'repaired')} / {sum(1 for r in records if r.validation == 'reasked')}",
        ),
        (
            "latency p50 / p95",
            f"{percentile(latencies, 50):.0f} / {percentile(latencies, 95):.0f} ms",
        ),
        ("time to first token p50 (streams)", f"{percentile(ttfts, 50):.0f} ms"),
        (
            "gateway overhead p50 / p99",
            f"{percentile(overheads, 50):.2f} / {percentile(overheads, 99):.2f} ms",
        ),
        (
            "tokens in / out",
            f"{sum(r.prompt_tokens for r in records)} / {sum(r.completion_tokens for r in records)}",
        ),
        ("cost", f"${sum(r.cost_usd for r in records):.4f}"),
    ]


def breaker_trips(metrics: Metrics) -> int:
    total = 0.0
    for family in metrics.breaker_transitions.collect():
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels.get("state") == "open":
                total += sample.value
    return int(total)


def print_report(records: Sequence[CallRecord], statuses: dict[int, int], metrics: Metrics) -> None:
    table = Table(
        title="Seawall demo report (upstream: SIMULATOR with injected faults)", show_header=False
    )
    table.add_column("figure", style="bold")
    table.add_column("value", justify="right")
    for name, value in summarise(records, breaker_trips(metrics)):
        table.add_row(name, value)
    shown = ", ".join(
        f"{code or 'no response'}: {count}" for code, count in sorted(statuses.items())
    )
    table.add_row("HTTP statuses seen by the client", shown)
    console.print(table)
