"""A prompt as code: the typed, frozen model of a ``prompts/*.yaml`` file.

A prompt pins everything that decides its behaviour: the logical model, the sampling
parameters, the message templates, the schema of its variables and of its output, the eval
suite that gates it and the canary policy that releases it. Changing any of them makes a new
version in the registry, so a model or parameter change goes through the same gate as a
wording change.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

import yaml
from jsonschema import Draft202012Validator, SchemaError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from seawall.prompts.templates import check_syntax, variables_used

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
"""Prompt names: safe in a URL path (``/v1/prompts/{name}:run``) and after ``@`` refs."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Message(_Model):
    """One message template of the prompt."""

    role: Literal["system", "developer", "user", "assistant"]
    """Who says it; ``assistant`` messages make few-shot examples."""
    content: str
    """A Jinja2 template (sandboxed, undefined variables are errors)."""

    @field_validator("content")
    @classmethod
    def _parses(cls, value: str) -> str:
        check_syntax(value)  # raises TemplateSyntaxProblem, which knows the template line
        return value


class Params(_Model):
    """Sampling parameters sent with every call of the prompt."""

    temperature: float | None = Field(None, ge=0, le=2)
    """Sampling temperature."""
    top_p: float | None = Field(None, gt=0, le=1)
    """Nucleus sampling mass."""
    max_tokens: int | None = Field(None, ge=1)
    """Most tokens in the answer."""
    stop: list[str] | None = None
    """Sequences that end the answer."""
    seed: int | None = None
    """Seed for providers that sample deterministically with one."""
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    """OpenAI-style presence penalty."""
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    """OpenAI-style frequency penalty."""

    def as_body(self) -> dict[str, Any]:
        """The parameters that are set, as fields of an OpenAI chat request body."""
        return self.model_dump(exclude_none=True)


class MetricThreshold(_Model):
    """Whether a metric is watched during a canary, and how much worsening it tolerates."""

    watch: bool = True
    """Compare this metric between canary and production (a regression rolls back)."""
    tolerance: float = Field(0.1, ge=0, le=10)
    """Relative worsening tolerated before it counts as a regression (0.1: canary may be 10% worse)."""


class CanaryMetrics(_Model):
    """The metrics a canary is judged on, each with its threshold."""

    error_rate: MetricThreshold = MetricThreshold()
    """Share of calls that failed (no answer)."""
    invalid_output_rate: MetricThreshold = MetricThreshold()
    """Share of answers that did not satisfy the output schema."""
    degraded_rate: MetricThreshold = MetricThreshold()
    """Share of calls answered by the degrade policy."""
    escalation_rate: MetricThreshold = MetricThreshold()
    """Share of calls escalated to human review."""
    negative_feedback_rate: MetricThreshold = MetricThreshold()
    """Share of calls that received negative feedback or a complaint."""
    p95_latency_ms: MetricThreshold = MetricThreshold(tolerance=0.2)
    """95th percentile of call latency."""
    cost_per_call: MetricThreshold = MetricThreshold()
    """Cost of a call (compared at the median; the mean is reported)."""


class CanaryPolicy(_Model):
    """How a new version is released: share, minimums, false-rollback budget, metrics."""

    share: float = Field(0.10, gt=0, lt=1)
    """Share of traffic (users or sessions) served by the candidate during the canary."""
    min_calls: int = Field(500, ge=1)
    """Canary calls needed before the candidate can be promoted."""
    duration_s: float = Field(3600.0, ge=0)
    """Shortest canary: promotion waits this long even when ``min_calls`` came sooner."""
    max_duration_s: float = Field(86_400.0, gt=0)
    """Longest canary: a candidate still short of ``min_calls`` then is rolled back."""
    burn_in_calls: int = Field(50, ge=1)
    """No statistical verdict on fewer canary calls than this (noise of the first minutes)."""
    alpha: float = Field(0.05, gt=0, lt=0.5)
    """Chance of a false rollback of a healthy candidate over the whole canary (all metrics)."""
    auto_promote: bool = True
    """Promote on its own when the canary passes; otherwise wait for ``promote --finish``."""
    metrics: CanaryMetrics = CanaryMetrics()
    """Which metrics are watched and how much worsening each tolerates."""

    @model_validator(mode="after")
    def _durations_ordered(self) -> CanaryPolicy:
        if self.max_duration_s < self.duration_s:
            raise ValueError("max_duration_s must be >= duration_s")
        return self


class PromptSpec(_Model):
    """A prompt file: everything that decides the prompt's behaviour, pinned together."""

    name: str = Field(pattern=NAME_PATTERN)
    """Unique name of the prompt (letters, digits, ``_ . -``)."""
    owner: str = Field(min_length=1)
    """Team or person answerable for the prompt."""
    description: str = ""
    """What the prompt is for."""
    model: str = Field(min_length=1)
    """Logical model from ``seawall.yaml`` that serves the prompt."""
    params: Params = Params()
    """Sampling parameters sent with every call."""
    messages: list[Message] = Field(min_length=1)
    """The message templates, in order."""
    variables: dict[str, Any] = {}
    """JSON schema of the variables (an object schema); checked before rendering."""
    output_schema: dict[str, Any] | None = None
    """JSON schema every answer must satisfy (the answer is parsed as JSON)."""
    eval_suite: str | None = None
    """Path of the eval suite that gates promotion."""
    canary: CanaryPolicy = CanaryPolicy()
    """How a new version of the prompt is released."""
    review: dict[str, Any] = {}
    """Review rules (escalation to human review; defined by the review work)."""

    @field_validator("variables", "output_schema")
    @classmethod
    def _is_json_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            try:
                Draft202012Validator.check_schema(value)
            except SchemaError as exc:
                raise ValueError(f"not a valid JSON schema: {exc.message}") from None
        return value

    @field_validator("variables")
    @classmethod
    def _describes_an_object(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("type", "object") != "object":
            raise ValueError("the variables schema must describe an object (type: object)")
        return value


def spec_problems(spec: PromptSpec) -> list[tuple[tuple[str, ...], str]]:
    """(path, message) of each template variable that the variables schema does not declare."""
    # Only checked when the schema lists properties: a bare ``type: object`` declares nothing.
    declared = spec.variables.get("properties")
    if not isinstance(declared, dict):
        return []
    problems: list[tuple[tuple[str, ...], str]] = []
    for index, message in enumerate(spec.messages):
        for name in sorted(variables_used(message.content) - declared.keys()):
            problems.append(
                (
                    ("messages", str(index), "content"),
                    f"uses variable '{name}', which variables.properties does not declare",
                )
            )
    return problems


# --------------------------------------------------------------------------- canonical forms


def canonical_json(spec: PromptSpec) -> str:
    """The content that identifies a version: sorted keys, no whitespace, defaults left out.

    Leaving defaults out keeps a prompt's identity when a later Seawall adds a field with a
    default, and makes ``share: 0.1`` written out the same content as leaving it implicit.
    """
    data = spec.model_dump(mode="json", exclude_defaults=True)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(spec: PromptSpec) -> str:
    """sha256 (hex) of the canonical JSON: equal content, equal hash, whatever the YAML layout."""
    return hashlib.sha256(canonical_json(spec).encode("utf-8")).hexdigest()


def canonical_yaml(data: dict[str, Any]) -> str:
    """YAML for people (``show``, ``diff``): fields in model order, templates as ``|`` blocks."""
    return yaml.dump(
        data,
        Dumper=_BlockDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks, so a template diff is line by line."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # A literal block cannot hold trailing spaces on a line; fall back to quoting then.
    if "\n" in value and not any(line.endswith(" ") for line in value.split("\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_BlockDumper.add_representer(str, _represent_str)
