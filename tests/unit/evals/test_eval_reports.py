"""Every report format carries the same facts, and each is well-formed for its readers."""

from __future__ import annotations

import io
from xml.etree import ElementTree as ET

import orjson
from rich.console import Console

from helpers.evals import make_run
from seawall.evals.compare import compare_runs
from seawall.evals.reports import render
from seawall.evals.reports.table import comparison_table, run_table
from seawall.evals.summary import RunSummary, summarize

TAGS = {"ok": ("happy",), "bad": ("happy",), "down": ("adversarial",), "<script>": ("happy",)}


def sample_summary() -> RunSummary:
    run = make_run(
        {
            "ok": ["pass", "pass"],
            "bad": ["fail", "fail"],
            "down": ["error", "error"],
            "<script>": ["pass", "pass"],
        },
        tags=TAGS,
        thresholds={"pass_rate": 0.9},
    )
    return summarize(run)


def test_json_report_has_cases_samples_and_checks() -> None:
    data = orjson.loads(render("json", sample_summary()))
    assert data["ok"] is False
    assert data["overall"]["passed"] == 2
    assert data["overall"]["errors"] == 1
    assert data["threshold_checks"] == [
        {"name": "pass_rate", "required": 0.9, "actual": 2 / 3, "ok": False}
    ]
    bad = next(c for c in data["cases"] if c["id"] == "bad")
    assert bad["status"] == "fail"
    assert [s["status"] for s in bad["samples"]] == ["fail", "fail"]
    assert bad["reasons"] == [{"reason": "fail #0", "count": 1}, {"reason": "fail #1", "count": 1}]


def test_junit_counts_failures_errors_and_thresholds() -> None:
    root = ET.fromstring(render("junit", sample_summary()))
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "eval.s"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "2", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["bad"].find("failure") is not None
    assert cases["down"].find("error") is not None
    assert cases["ok"].find("failure") is None
    assert cases["pass_rate"].find("failure").get("type") == "threshold"  # type: ignore[union-attr]


def test_junit_of_a_comparison_fails_on_regression() -> None:
    before = make_run({f"c{i}": ["pass"] for i in range(6)}, run_id="b")
    after = make_run({f"c{i}": ["fail"] for i in range(6)}, run_id="a")
    root = ET.fromstring(render("junit", comparison=compare_runs(before, after)))
    [suite] = root.findall("testsuite")
    assert suite.get("failures") == "7"  # six cases and the verdict
    verdict = next(c for c in suite.findall("testcase") if c.get("name") == "verdict")
    assert "REGRESSED" in (verdict.find("failure").get("message") or "")  # type: ignore[union-attr]


def test_markdown_and_html() -> None:
    summary = sample_summary()
    markdown = render("markdown", summary)
    assert markdown.startswith("## Eval `s` — FAIL: 1 threshold(s) missed (pass_rate)")
    assert "| `bad` | happy | 0/2 | fail | fail #0 (+1 other) |" in markdown
    page = render("html", summary)
    assert page.startswith("<!doctype html>")
    assert "<script>" not in page, "case ids and outputs are escaped"
    assert "&lt;script&gt;" in page


def test_run_and_comparison_in_one_document() -> None:
    before = make_run({"a": ["pass"]}, run_id="b")
    after = make_run({"a": ["fail"]}, run_id="a")
    comparison = compare_runs(before, after)
    data = orjson.loads(render("json", summarize(after), comparison))
    assert data["run_id"] == "a"
    assert data["comparison"]["regressed"] == ["a"]
    assert data["comparison"]["verdict"] == "no significant change"


def test_terminal_tables_name_the_failures() -> None:
    out = io.StringIO()
    console = Console(file=out, width=160, color_system=None)
    summary = sample_summary()
    console.print(run_table(summary))
    before = make_run({f"c{i}": ["pass"] for i in range(5)}, run_id="b")
    after = make_run({f"c{i}": ["fail"] for i in range(5)}, run_id="a")
    console.print(comparison_table(compare_runs(before, after)))
    text = out.getvalue()
    assert "FAIL: 1 threshold(s) missed (pass_rate)" in text
    assert "✗ pass_rate ≥ 90.0%: measured 66.7%" in text
    assert "fail #0 (+1 other)" in text
    assert "REGRESSED: 5 regressed, 0 improved" in text
    assert "pass → fail" in text
