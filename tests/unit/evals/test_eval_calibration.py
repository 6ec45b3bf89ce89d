"""Calibration of the pipeline's confidence against eval verdicts: the numbers and the reports."""

from __future__ import annotations

import io
import random

import orjson
import pytest
from rich.console import Console

from helpers.evals import make_run
from seawall.evals.calibration import Calibration, calibrate
from seawall.evals.reports import render
from seawall.evals.reports.calibration import calibration_table
from seawall.evals.results import SampleResult, Status
from seawall.evals.summary import RunSummary, summarize


def sample(status: Status, confidence: float | None, n: int = 0) -> SampleResult:
    return SampleResult(f"c{n}", 0, status, confidence=confidence)


HAND = [
    sample("pass", 0.95),
    sample("pass", 0.91),
    sample("fail", 0.92),
    sample("pass", 0.15),
    sample("fail", 0.12),
    sample("fail", 0.0),
    sample("pass", 1.0),
    sample("pass", None),  # judged, no confidence: counted apart
    sample("error", 0.4),  # no verdict: left out
]


def test_bins_ece_brier_and_cutoffs_by_hand() -> None:
    cal = calibrate(HAND)
    assert (cal.scored, cal.passed, cal.unscored, cal.errors) == (7, 4, 1, 1)
    counts = [b.count for b in cal.bins]
    assert counts == [1, 2, 0, 0, 0, 0, 0, 0, 0, 4], "0.0 in the first bin, 1.0 in the last"
    top = cal.bins[9]
    assert top.mean_confidence == pytest.approx((0.95 + 0.91 + 0.92 + 1.0) / 4)
    assert top.pass_rate == 0.75
    low = cal.bins[1]
    assert (low.passed, low.pass_rate, low.mean_confidence) == (1, 0.5, pytest.approx(0.135))
    assert cal.bins[0].gap == 0.0
    assert cal.bins[4].mean_confidence is None
    assert cal.bins[4].gap is None
    ece = 4 / 7 * abs(0.75 - 0.945) + 2 / 7 * abs(0.5 - 0.135) + 1 / 7 * 0.0
    assert cal.ece == pytest.approx(ece)
    squares = [0.05**2, 0.09**2, 0.92**2, 0.85**2, 0.12**2, 0.0, 0.0]
    assert cal.brier == pytest.approx(sum(squares) / 7)
    by_threshold = {c.threshold: c for c in cal.cutoffs}
    assert sorted(by_threshold) == pytest.approx([i / 10 for i in range(1, 10)])
    half = by_threshold[0.5]
    assert (half.escalated, half.failures_caught, half.kept, half.kept_passed) == (3, 2, 4, 3)
    assert half.kept_pass_rate == 0.75


def test_no_confidence_at_all_is_reported_not_guessed() -> None:
    cal = calibrate([sample("pass", None), sample("fail", None), sample("error", None)])
    assert (cal.scored, cal.unscored, cal.errors, cal.ece, cal.brier) == (0, 2, 1, None, None)
    assert all(b.count == 0 for b in cal.bins)
    assert all(c.kept_pass_rate is None for c in cal.cutoffs)


def test_calibrated_confidence_has_a_small_ece_and_a_constant_one_separates_nothing() -> None:
    rng = random.Random(7)
    calibrated = []
    for n in range(20_000):
        confidence = rng.random()
        calibrated.append(sample("pass" if rng.random() < confidence else "fail", confidence, n))
    # Tolerance: each bin holds ~2,000 answers, so its pass rate is within ~0.02 of its mean.
    assert calibrate(calibrated).ece == pytest.approx(0.0, abs=0.02)
    constant = [sample("pass" if n % 4 else "fail", 0.9, n) for n in range(400)]
    cal = calibrate(constant)
    assert cal.ece == pytest.approx(0.15), "|0.75 pass rate - 0.9 confidence|"
    assert {(c.escalated, c.failures_caught) for c in cal.cutoffs} == {(0, 0)}


def calibrated_run_summary() -> tuple[RunSummary, Calibration]:
    run = make_run({"a": ["pass", "fail"], "b": ["pass", "error"]})
    run.results = [
        SampleResult("a", 0, "pass", confidence=0.82),
        SampleResult("a", 1, "fail", confidence=0.31),
        SampleResult("b", 0, "pass"),
        SampleResult("b", 1, "error", reason="upstream"),
    ]
    return summarize(run), calibrate(run.results)


def test_every_report_format_carries_the_calibration() -> None:
    summary, cal = calibrated_run_summary()
    data = orjson.loads(render("json", summary, None, cal))
    calibration = data["calibration"]
    assert calibration["samples_with_confidence"] == 2
    assert calibration["samples_without_confidence"] == 1
    assert calibration["samples_with_errors"] == 1
    assert calibration["ece"] == pytest.approx((0.18 + 0.31) / 2)
    assert [b["count"] for b in calibration["bins"]] == [0, 0, 0, 1, 0, 0, 0, 0, 1, 0]
    assert data["cases"][0]["samples"][0]["confidence"] == 0.82
    assert "calibration" not in orjson.loads(render("json", summary)), "only when asked"

    text = render("markdown", summary, None, cal)
    assert "### Calibration" in text
    assert "calibration: ECE 0.245, Brier 0.064 over 2 answers (1 passed); 1 judged" in text
    assert "| 0.8–0.9 | 1 | 0.820 | 100.0% |" in text
    page = render("html", summary, None, cal)
    assert "<h2>Calibration</h2>" in page
    assert "<td>0.3–0.4</td><td>1</td>" in page

    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(calibration_table(cal))
    printed = out.getvalue()
    assert "escalation cut-offs" in printed
    assert "ECE 0.245" in printed
