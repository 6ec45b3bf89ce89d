"""JUnit XML, which every CI system shows: one test case per eval case.

A case that failed is a ``<failure>``, a case that could not be judged an ``<error>``, a case
never run (interrupted) is ``<skipped>``; thresholds are test cases of their own, so a missed
threshold fails the build's test view too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from seawall.evals.compare import Comparison
from seawall.evals.reports.fmt import pct, verdict_line
from seawall.evals.summary import CaseOutcome, RunSummary


def junit_document(suites: list[ET.Element]) -> str:
    """The XML document of one or more test suites."""
    root = ET.Element("testsuites")
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def run_suite_element(summary: RunSummary) -> ET.Element:
    """A run as a JUnit test suite."""
    run = summary.run
    suite = ET.Element("testsuite", name=f"eval.{run.suite}", timestamp=_iso(run.started_at))
    _properties(
        suite,
        {
            "run_id": run.run_id,
            "target": run.target,
            "fingerprint": run.fingerprint,
            "samples": str(run.samples),
            "status": run.status,
            "pass_rate": pct(summary.overall.rate),
        },
    )
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for outcome in summary.cases:
        _case(suite, run.suite, outcome, counts)
    for check in summary.thresholds:
        counts["tests"] += 1
        case = ET.SubElement(
            suite, "testcase", classname=f"eval.{run.suite}.thresholds", name=check.name
        )
        if check.missed:
            counts["failures"] += 1
            message = f"{check.name}: measured {pct(check.actual)}, required {pct(check.required)}"
            ET.SubElement(case, "failure", message=message, type="threshold").text = message
    duration = (run.finished_at or run.started_at) - run.started_at
    suite.set("time", f"{duration:.3f}")
    for name, value in counts.items():
        suite.set(name, str(value))
    return suite


def _case(parent: ET.Element, suite: str, outcome: CaseOutcome, counts: dict[str, int]) -> None:
    counts["tests"] += 1
    tags = ".".join(outcome.case.tags) or "untagged"
    case = ET.SubElement(parent, "testcase", classname=f"eval.{suite}.{tags}", name=outcome.case.id)
    details = "\n".join(f"[{count}×] {reason}" for reason, count in outcome.reasons)
    summary_line = f"{outcome.passed}/{outcome.scored} samples passed"
    if outcome.status == "fail":
        counts["failures"] += 1
        ET.SubElement(case, "failure", message=summary_line, type="assertion").text = details
    elif outcome.status == "error":
        counts["errors"] += 1
        ET.SubElement(
            case, "error", message="no sample could be judged", type="upstream"
        ).text = details
    elif outcome.status == "missing":
        counts["skipped"] += 1
        ET.SubElement(case, "skipped", message="not run: the run was interrupted")


def comparison_suite_element(comparison: Comparison) -> ET.Element:
    """One test case per paired case: a regression is a failure; the verdict is a test too."""
    cand = comparison.candidate.run
    suite = ET.Element(
        "testsuite", name=f"eval.{cand.suite}.compare", timestamp=_iso(cand.started_at)
    )
    _properties(
        suite,
        {
            "baseline": comparison.baseline.run.run_id,
            "candidate": cand.run_id,
            "verdict": comparison.verdict.value,
        },
    )
    regressed = set(comparison.regressed)
    paired = [o for o in comparison.candidate.cases if o.case.id not in dict(comparison.excluded)]
    failures = 0
    for outcome in paired:
        case = ET.SubElement(
            suite, "testcase", classname=f"eval.{cand.suite}.compare", name=outcome.case.id
        )
        if outcome.case.id in regressed:
            failures += 1
            ET.SubElement(case, "failure", message="pass → fail", type="regression")
    verdict = ET.SubElement(
        suite, "testcase", classname=f"eval.{cand.suite}.compare", name="verdict"
    )
    if comparison.verdict.value == "regressed":
        failures += 1
        ET.SubElement(verdict, "failure", message=verdict_line(comparison), type="verdict")
    suite.set("tests", str(len(paired) + 1))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    return suite


def _properties(suite: ET.Element, values: dict[str, str]) -> None:
    properties = ET.SubElement(suite, "properties")
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=value)


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%S")
