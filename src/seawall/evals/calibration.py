"""How well the pipeline's confidence predicts that an answer passes: ``eval run --calibration``.

The unit is the sample: one answer, one call record, one confidence (``record.confidence`` in
process, the ``x-seawall-confidence`` header through a gateway), one verdict. Samples that
errored have no verdict and are left out; judged samples without a confidence (the call had no
signal to score) are counted and reported, never given a guessed value.

* **Reliability table**: the judged, scored samples in 10 equal-width confidence bins
  ([0, 0.1), ..., [0.9, 1.0]), each with its count, mean confidence and observed pass rate
  (with a Wilson interval: a bin of 4 answers says little). Calibrated confidence has the pass
  rate of each bin close to its mean confidence.
* **ECE** (expected calibration error): sum over bins of (bin share) x |pass rate - mean
  confidence|, 0 for perfect calibration. It measures calibration, not usefulness: a constant
  confidence equal to the overall pass rate has ECE 0 and separates nothing, which the table
  and the cut-offs show.
* **Cut-offs**: for each bin edge t, what escalating every answer below t would do: how many
  answers a person would see, how many of the failing answers they would catch, and the pass
  rate of the answers that go out unreviewed. This is the table to pick a threshold from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from seawall.evals.results import SampleResult
from seawall.evals.stats import wilson

BINS = 10


@dataclass(frozen=True, slots=True)
class Bin:
    """The scored samples whose confidence is in [low, high) (the last bin includes 1.0)."""

    low: float
    high: float
    count: int
    passed: int
    mean_confidence: float | None  # None: an empty bin
    interval: tuple[float, float]  # 95% Wilson interval of the pass rate

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.count if self.count else None

    @property
    def gap(self) -> float | None:
        """Observed pass rate minus mean confidence (negative: over-confident)."""
        if self.pass_rate is None or self.mean_confidence is None:
            return None
        return self.pass_rate - self.mean_confidence


@dataclass(frozen=True, slots=True)
class Cutoff:
    """What escalating every answer with confidence below ``threshold`` would do."""

    threshold: float
    escalated: int  # answers a person would review
    failures_caught: int  # failing answers among them
    kept: int  # answers that go out without review
    kept_passed: int

    @property
    def kept_pass_rate(self) -> float | None:
        return self.kept_passed / self.kept if self.kept else None


@dataclass(frozen=True, slots=True)
class Calibration:
    """The reliability table, ECE and cut-offs of a run's scored samples."""

    bins: tuple[Bin, ...]
    cutoffs: tuple[Cutoff, ...]
    scored: int  # judged samples with a confidence: the ones in the table
    passed: int  # of those, how many passed
    unscored: int  # judged samples without a confidence (counted, not guessed)
    errors: int  # samples with no verdict (left out)
    ece: float | None  # None: no scored sample
    brier: float | None  # mean squared error of confidence as a pass probability

    @property
    def failed(self) -> int:
        return self.scored - self.passed


def calibrate(results: Iterable[SampleResult], bins: int = BINS) -> Calibration:
    """The calibration of the confidence of ``results`` against their verdicts."""
    pairs: list[tuple[float, bool]] = []
    unscored = errors = 0
    for result in results:
        if result.status == "error":
            errors += 1
        elif result.confidence is None:
            unscored += 1
        else:
            pairs.append((min(1.0, max(0.0, result.confidence)), result.status == "pass"))
    table = _bins(pairs, bins)
    n = len(pairs)
    ece = None
    brier = None
    if n:
        ece = sum(b.count / n * abs(b.gap) for b in table if b.gap is not None)
        brier = sum((c - passed) ** 2 for c, passed in pairs) / n
    return Calibration(
        bins=table,
        cutoffs=_cutoffs(pairs, bins),
        scored=n,
        passed=sum(passed for _, passed in pairs),
        unscored=unscored,
        errors=errors,
        ece=ece,
        brier=brier,
    )


def _bins(pairs: list[tuple[float, bool]], bins: int) -> tuple[Bin, ...]:
    members: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for pair in pairs:
        members[min(int(pair[0] * bins), bins - 1)].append(pair)
    out = []
    for i, inside in enumerate(members):
        wins = sum(p for _, p in inside)
        mean = sum(c for c, _ in inside) / len(inside) if inside else None
        out.append(
            Bin(i / bins, (i + 1) / bins, len(inside), wins, mean, wilson(wins, len(inside)))
        )
    return tuple(out)


def _cutoffs(pairs: list[tuple[float, bool]], bins: int) -> tuple[Cutoff, ...]:
    out = []
    for i in range(1, bins):
        threshold = i / bins
        below = [passed for c, passed in pairs if c < threshold]
        above = [passed for c, passed in pairs if c >= threshold]
        out.append(Cutoff(threshold, len(below), below.count(False), len(above), above.count(True)))
    return tuple(out)
