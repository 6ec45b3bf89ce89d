"""The typed, frozen model of an eval suite (``evals/<name>.yaml``).

    name: support
    target:
      model: support-chat              # a logical model of seawall.yaml
      messages:
        - {role: system, content: "You are ACME's support assistant."}
        - {role: user, content: "{{question}}"}
    samples: 3
    thresholds: {pass_rate: 0.9, tags: {adversarial: 1.0}}
    cases:
      - id: refund-window
        tags: [happy]
        vars: {question: "How long do I have to return an item?"}
        assert:
          - {type: icontains, value: "30 days"}

``seawall.evals.load`` reads the file and explains every problem as ``file:line: path: message``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from seawall.evals.assertions.specs import AssertionSpec, Group, LlmJudge
from seawall.evals.render import variables_in

CASE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True
    )


class Message(_Model):
    """One message template of the target or a case."""

    role: Literal["system", "developer", "user", "assistant"]
    """Who speaks."""
    content: str
    """The text; ``{{name}}`` is replaced by the case's variable ``name``."""


class TargetSpec(_Model):
    """What the suite evaluates: a logical model and its messages, or a registry prompt."""

    model: str | None = None
    """Logical model of the seawall.yaml the suite runs against."""
    prompt: str | None = Field(None, pattern=r"^[\w.-]+@[\w.-]+$")
    """A prompt of the registry as ``NAME@VERSION`` or ``NAME@label`` (``production``, ...);
    its messages, params and output schema come from that version."""
    config: str | None = None
    """seawall.yaml to run against, relative to the suite file (``--config`` overrides it)."""
    messages: list[Message] = []
    """Messages sent for every case that has none of its own."""
    params: dict[str, Any] = {}
    """Other request fields: ``temperature``, ``max_tokens``, ``response_format``, ..."""

    @model_validator(mode="after")
    def _one_target(self) -> TargetSpec:
        if (self.model is None) == (self.prompt is None):
            raise ValueError("set exactly one of 'model' or 'prompt'")
        reserved = {"model", "messages", "stream"} & set(self.params)
        if reserved:
            raise ValueError(f"params must not set {', '.join(sorted(reserved))}")
        if self.prompt is not None and (self.messages or self.params):
            # Evaluating a version means evaluating exactly what it would send.
            raise ValueError(
                "a prompt target takes its messages and params from the prompt version: "
                "remove target.messages and target.params"
            )
        return self

    @property
    def prompt_ref(self) -> tuple[str, str] | None:
        """(name, version or label) of a prompt target, as written."""
        if self.prompt is None:
            return None
        name, _, ref = self.prompt.partition("@")
        return name, ref


class Thresholds(_Model):
    """Pass rates a run must reach."""

    pass_rate: float | None = Field(None, ge=0, le=1)
    """Share of cases that must pass over the whole suite."""
    tags: dict[str, float] = {}
    """Share of cases that must pass, per tag (``{adversarial: 1.0}``)."""
    case: float = Field(0.5, gt=0, le=1)
    """Share of a case's samples that must pass for the case to pass (0.5: at least half;
    1.0: every sample)."""

    @model_validator(mode="after")
    def _rates(self) -> Thresholds:
        for tag, rate in self.tags.items():
            if not 0 <= rate <= 1:
                raise ValueError(f"tags.{tag}: a pass rate is between 0 and 1 (got {rate})")
        return self


class JudgeSpec(_Model):
    """The model that scores ``llm_judge`` assertions."""

    model: str
    """Logical model that scores ``llm_judge`` assertions; it must answer JSON
    ``{"score": 0..1, "reason": "..."}``."""
    rubric: str | None = None
    """Guidance added to every judgement (the assertions carry their own rubric)."""


class Case(_Model):
    """One input and what its answers must do."""

    id: str = Field(pattern=CASE_ID)
    """Stable identifier: runs are compared case by case through it."""
    description: str | None = None
    """What the case checks, for people."""
    tags: list[str] = []
    """Groups for pass rates and thresholds: ``happy``, ``adversarial``, ``regression``, ..."""
    vars: dict[str, Any] = {}
    """Values of the ``{{name}}`` variables in the messages (a prompt target: the prompt's
    variables, checked against its variables schema before the first call)."""
    messages: list[Message] | None = None
    """Messages for this case instead of the target's."""
    params: dict[str, Any] = {}
    """Request fields for this case, over the target's (e.g. ``response_format``)."""
    assert_: list[AssertionSpec] = Field([], alias="assert")
    """Assertions on each sample's output (added to the suite's ``assert``)."""
    threshold: float | None = Field(None, ge=0, le=1)
    """When set, a sample passes when its weighted score reaches it (instead of all passing)."""


class Suite(_Model):
    """A whole ``evals/<name>.yaml``."""

    name: str = Field(pattern=r"^[\w.-]+$")
    """Name of the suite (default: the file name without ``.yaml``); runs are grouped by it."""
    description: str | None = None
    """What the suite guards."""
    target: TargetSpec
    """What is evaluated."""
    samples: int = Field(3, ge=1, le=100)
    """Calls per case: models are not deterministic, so each case is sampled this many times."""
    seed: int = 0
    """Seeds the ``seed`` request field of every sample (reruns ask the same questions)."""
    concurrency: int = Field(8, ge=1, le=1000)
    """Calls in flight at once (``--concurrency`` overrides)."""
    timeout_s: float = Field(120.0, gt=0)
    """Longest one call (or judgement) may take before the sample counts as an error."""
    thresholds: Thresholds = Thresholds()
    """Pass rates the run must reach; a miss makes ``eval run`` exit 1."""
    judge: JudgeSpec | None = None
    """The model behind ``llm_judge`` assertions."""
    assert_: list[AssertionSpec] = Field([], alias="assert")
    """Assertions applied to every case."""
    cases: list[Case] = Field(min_length=1)
    """The cases."""

    @model_validator(mode="after")
    def _cases_are_complete(self) -> Suite:
        seen: set[str] = set()
        for i, case in enumerate(self.cases):
            if case.id in seen:
                raise ValueError(f"cases.{i}.id: '{case.id}' is used by an earlier case")
            seen.add(case.id)
            _check_case(self, i, case)
        for tag in self.thresholds.tags:
            if not any(tag in case.tags for case in self.cases):
                raise ValueError(f"thresholds.tags.{tag}: no case has this tag")
        return self

    def messages_for(self, case: Case) -> list[Message]:
        """The message templates of ``case``: its own, else the target's."""
        return list(case.messages if case.messages is not None else self.target.messages)

    def assertions_for(self, case: Case) -> list[AssertionSpec]:
        return [*self.assert_, *case.assert_]


def _check_case(suite: Suite, i: int, case: Case) -> None:
    where = f"cases.{i}"
    reserved = {"model", "messages", "stream"} & set(case.params)
    if reserved:
        raise ValueError(f"{where}.params: must not set {', '.join(sorted(reserved))}")
    if suite.target.prompt is not None and (case.messages is not None or case.params):
        raise ValueError(
            f"{where}: a prompt target renders the prompt's messages from the case's vars "
            "(remove the case's messages and params)"
        )
    messages = suite.messages_for(case)
    if suite.target.model is not None and not messages:
        raise ValueError(f"{where}: no messages (set target.messages or the case's messages)")
    for message in messages:
        missing = variables_in(message.content) - set(case.vars)
        if missing:
            raise ValueError(f"{where}.vars: missing {', '.join(sorted(missing))}")
    if not suite.assertions_for(case):
        raise ValueError(f"{where}.assert: the case checks nothing (and the suite has no assert)")
    for spec in walk(suite.assertions_for(case)):
        if isinstance(spec, LlmJudge) and spec.model is None and suite.judge is None:
            raise ValueError(f"{where}: llm_judge needs 'model' or the suite's 'judge.model'")


def walk(specs: list[AssertionSpec]) -> Iterator[AssertionSpec]:
    """Every assertion, groups and their members included, depth first."""
    for spec in specs:
        yield spec
        if isinstance(spec, Group):
            yield from walk(spec.assert_)
