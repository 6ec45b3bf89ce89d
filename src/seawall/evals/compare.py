"""Compare two runs of a suite, case by case, and say whether the candidate regressed.

Only cases judged in both runs are paired (a case that errored or is missing in either is
listed apart). The verdict is the exact McNemar test on the cases that flipped: pass → fail
("regressed") against fail → pass ("improved"). Pass-rate deltas, overall and per tag, come
with Newcombe intervals for paired data.
"""

from __future__ import annotations

from dataclasses import dataclass

from seawall.evals.results import Run
from seawall.evals.stats import (
    McNemar,
    PairedCounts,
    Verdict,
    mcnemar,
    paired_delta,
    verdict,
)
from seawall.evals.summary import CaseOutcome, RunSummary, summarize


@dataclass(frozen=True, slots=True)
class Delta:
    """The change of a pass rate over the paired cases of a group (the suite, or a tag)."""

    name: str
    counts: PairedCounts
    delta: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """The verdict and the evidence for it."""

    baseline: RunSummary
    candidate: RunSummary
    confidence: float
    test: McNemar
    verdict: Verdict
    regressed: list[str]  # case ids: pass → fail
    improved: list[str]  # fail → pass
    overall: Delta
    tags: list[Delta]
    excluded: list[tuple[str, str]]  # (case id, why it is not paired)


def compare_runs(baseline: Run, candidate: Run, confidence: float = 0.95) -> Comparison:
    """Pair the two runs' case outcomes and test for a regression at ``confidence``."""
    before, after = summarize(baseline, confidence), summarize(candidate, confidence)
    old = {o.case.id: o for o in before.cases}
    new = {o.case.id: o for o in after.cases}
    pairs: list[tuple[CaseOutcome, CaseOutcome]] = []
    excluded: list[tuple[str, str]] = []
    for case_id in [*old, *(c for c in new if c not in old)]:
        why = _unpaired(old.get(case_id), new.get(case_id))
        if why:
            excluded.append((case_id, why))
        else:
            pairs.append((old[case_id], new[case_id]))
    regressed = [b.case.id for b, c in pairs if b.status == "pass" and c.status == "fail"]
    improved = [b.case.id for b, c in pairs if b.status == "fail" and c.status == "pass"]
    test = mcnemar(len(regressed), len(improved))
    tags = sorted({t for _, c in pairs for t in c.case.tags})
    return Comparison(
        baseline=before,
        candidate=after,
        confidence=confidence,
        test=test,
        verdict=verdict(test, confidence),
        regressed=regressed,
        improved=improved,
        overall=_delta("all", pairs, confidence),
        tags=[_delta(t, [p for p in pairs if t in p[1].case.tags], confidence) for t in tags],
        excluded=excluded,
    )


def _unpaired(old: CaseOutcome | None, new: CaseOutcome | None) -> str:
    if old is None:
        return "only in the candidate"
    if new is None:
        return "only in the baseline"
    for side, outcome in (("baseline", old), ("candidate", new)):
        if outcome.status in ("error", "missing"):
            return f"{outcome.status} in the {side}"
    return ""


def _delta(name: str, pairs: list[tuple[CaseOutcome, CaseOutcome]], confidence: float) -> Delta:
    both_pass = sum(b.status == "pass" and c.status == "pass" for b, c in pairs)
    regressed = sum(b.status == "pass" and c.status == "fail" for b, c in pairs)
    improved = sum(b.status == "fail" and c.status == "pass" for b, c in pairs)
    counts = PairedCounts(
        both_pass, regressed, improved, len(pairs) - both_pass - regressed - improved
    )
    delta, low, high = paired_delta(counts, confidence)
    return Delta(name, counts, delta, low, high)
