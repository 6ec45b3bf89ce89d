"""The vocabulary of assertions: what a check receives and what it may raise."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from seawall.evals.results import AssertionResult, Output

if TYPE_CHECKING:  # the suite model imports the assertion specs
    from seawall.evals.suite import Case


class CheckError(Exception):
    """The check could not reach a verdict (judge unreachable, plugin crashed): an error, not
    a failure."""


class JudgeClient(Protocol):
    """Sends a judgement request to a logical model and returns the answer text."""

    async def judge(self, model: str, messages: list[dict[str, Any]], sample: int) -> str:
        """The judge model's answer text; raises ``CheckError`` when there is none."""


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may look at besides the output."""

    case: Case
    sample: int
    prompt: str = ""  # the rendered messages as text (what the judge sees as the input)
    plugins: Mapping[str, Callable[..., Any]] = field(default_factory=dict)  # by import path
    judge: JudgeClient | None = None
    judge_model: str | None = None
    judge_guidance: str | None = None


Check = Callable[[Any, Output, CheckContext], AssertionResult | Awaitable[AssertionResult]]


def result(
    spec: Any, passed: bool, reason: str = "", score: float | None = None
) -> AssertionResult:
    """An ``AssertionResult`` for ``spec``; the score defaults to 1 for a pass, 0 for a fail."""
    value = (1.0 if passed else 0.0) if score is None else score
    return AssertionResult(spec.type, passed, value, reason, spec.weight)


def short(text: str, limit: int = 80) -> str:
    """``text`` on one line, cut to ``limit`` characters, for failure reasons."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
