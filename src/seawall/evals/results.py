"""What a run produces: outputs, assertion results, sample results and the run itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "error"]
RunStatus = Literal["running", "complete", "interrupted"]


@dataclass(frozen=True, slots=True)
class Output:
    """One answer of the target, and what it took to get it."""

    text: str
    latency_ms: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None  # None: unknown (e.g. through a gateway without a price)
    trace_id: str | None = None
    upstream: str | None = None
    confidence: float | None = None  # the pipeline's score of this answer (0-1), when it had one
    cached: bool = False

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "cached"}

    @classmethod
    def from_json(cls, raw: dict[str, Any], *, cached: bool = False) -> Output:
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw and k != "cached"}
        return cls(**known, cached=cached)


@dataclass(frozen=True, slots=True)
class AssertionResult:
    """The verdict of one assertion on one output."""

    type: str
    passed: bool
    score: float
    reason: str = ""
    weight: float = 1.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SampleResult:
    """One sample of one case: pass, fail (an assertion said no) or error (no verdict)."""

    case_id: str
    sample: int
    status: Status
    score: float | None = None
    reason: str = ""  # why it failed, or the error
    output: str | None = None
    assertions: tuple[AssertionResult, ...] = ()
    latency_ms: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    cached: bool = False
    trace_id: str | None = None
    confidence: float | None = None  # of the answer (the call record's), None when unscored

    def verdict_key(self) -> tuple[Any, ...]:
        """Everything that must not depend on scheduling (not latency, cache or trace id)."""
        return (
            self.case_id,
            self.sample,
            self.status,
            self.score,
            self.reason,
            self.output,
            self.assertions,
        )


@dataclass(frozen=True, slots=True)
class CaseInfo:
    """A case as the run saw it (kept with the run, so reports work without the YAML)."""

    id: str
    tags: tuple[str, ...] = ()
    description: str | None = None


@dataclass(slots=True)
class Run:
    """A run of a suite: its identity, its settings and every sample result."""

    run_id: str
    suite: str
    target: str
    fingerprint: str
    started_at: float
    samples: int
    seed: int
    cases: list[CaseInfo]
    thresholds: dict[str, Any]
    status: RunStatus = "running"
    finished_at: float | None = None
    suite_path: str | None = None
    results: list[SampleResult] = field(default_factory=list)
    prompt: str | None = None  # a prompt target: the registry prompt's name
    prompt_version: int | None = None  # and the version its reference resolved to

    @property
    def case_threshold(self) -> float:
        return float(self.thresholds.get("case", 0.5))

    def by_case(self) -> dict[str, list[SampleResult]]:
        """Results per case id, in case order, samples in order."""
        out: dict[str, list[SampleResult]] = {case.id: [] for case in self.cases}
        for result in sorted(self.results, key=lambda r: r.sample):
            out.setdefault(result.case_id, []).append(result)
        return out
