"""From sample results to case outcomes, thresholds, and a comparison's verdict."""

from __future__ import annotations

from helpers.evals import make_run
from seawall.evals.compare import compare_runs
from seawall.evals.stats import Verdict
from seawall.evals.summary import summarize


def test_case_outcomes_follow_the_case_threshold() -> None:
    run = make_run(
        {
            "solid": ["pass", "pass", "pass"],
            "flaky": ["pass", "fail", "pass"],
            "mostly-bad": ["fail", "pass", "fail"],
            "half-errored": ["error", "pass", "fail"],  # 1 of 2 scored: half passes 0.5
            "down": ["error", "error", "error"],
            "never-ran": [],
        }
    )
    by_id = {o.case.id: o for o in summarize(run).cases}
    assert {k: v.status for k, v in by_id.items()} == {
        "solid": "pass",
        "flaky": "pass",
        "mostly-bad": "fail",
        "half-errored": "pass",
        "down": "error",
        "never-ran": "missing",
    }
    assert by_id["mostly-bad"].reasons == (("fail #0", 1), ("fail #2", 1))
    assert by_id["down"].reasons[0][0] == "error #0"
    strict = make_run({"flaky": ["pass", "fail", "pass"]}, thresholds={"case": 1.0})
    assert summarize(strict).cases[0].status == "fail"


def test_pass_rates_count_cases_with_an_interval_and_exclude_errors() -> None:
    run = make_run(
        {"a": ["pass"], "b": ["pass"], "c": ["fail"], "d": ["error"]},
        tags={"a": ("happy",), "b": ("happy",), "c": ("adversarial",), "d": ("happy",)},
        thresholds={"pass_rate": 0.6, "tags": {"happy": 1.0, "adversarial": 1.0}},
    )
    summary = summarize(run)
    overall = summary.overall
    assert (overall.passed, overall.failed, overall.errors, overall.rate) == (2, 1, 1, 2 / 3)
    assert 0.2 < overall.low < 2 / 3 < overall.high < 1
    assert overall.latency_p50_ms == 10.0
    checks = {c.name: (c.actual, c.ok, c.missed) for c in summary.thresholds}
    assert checks == {
        "pass_rate": (2 / 3, True, False),
        "tags.happy": (1.0, True, False),
        "tags.adversarial": (0.0, False, True),
    }
    assert summary.incomplete, "an errored case leaves the run incomplete"
    assert summary.brief()["thresholds_missed"] == ["tags.adversarial"]


def test_a_threshold_nothing_measured_is_not_a_miss() -> None:
    run = make_run({"a": ["error"]}, thresholds={"pass_rate": 0.9})
    [check] = summarize(run).thresholds
    assert (check.actual, check.ok, check.missed) == (None, False, False)


def test_compare_names_the_cases_that_regressed() -> None:
    cases = {f"refund-{i}": ("refunds",) for i in range(6)} | {
        f"ship-{i}": ("shipping",) for i in range(6)
    }
    baseline = make_run({c: ["pass", "pass", "pass"] for c in cases}, tags=cases, run_id="base")
    broken = {
        c: (["fail", "fail", "pass"] if c.startswith("refund") else ["pass"] * 3) for c in cases
    }
    candidate = make_run(broken, tags=cases, run_id="cand")
    result = compare_runs(baseline, candidate)
    assert result.verdict is Verdict.REGRESSED
    assert result.regressed == [f"refund-{i}" for i in range(6)]
    assert result.improved == []
    assert result.test.p_regressed == 1 / 64
    tags = {d.name: d for d in result.tags}
    assert tags["refunds"].delta == -1.0
    assert tags["refunds"].high < 0, "the whole tag dropped: the interval excludes no change"
    assert tags["shipping"].delta == 0.0
    assert result.overall.delta == -0.5
    # And the other way round it is an improvement.
    assert compare_runs(candidate, baseline).verdict is Verdict.IMPROVED


def test_compare_pairs_only_cases_judged_in_both_runs() -> None:
    baseline = make_run({"a": ["pass"], "b": ["pass"], "c": ["error"], "gone": ["pass"]})
    candidate = make_run({"a": ["fail"], "b": ["error"], "c": ["pass"], "new": ["fail"]})
    result = compare_runs(baseline, candidate)
    assert result.regressed == ["a"]
    assert result.overall.counts.n == 1
    assert dict(result.excluded) == {
        "b": "error in the candidate",
        "c": "error in the baseline",
        "gone": "only in the baseline",
        "new": "only in the candidate",
    }
    assert result.verdict is Verdict.NO_CHANGE, "one flip is not evidence"
