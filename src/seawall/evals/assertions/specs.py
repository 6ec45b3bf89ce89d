"""What each assertion in an eval suite looks like in YAML: one frozen model per ``type``.

Every assertion has a ``type`` and an optional ``weight`` (its share of the case's score).
The check that runs each one lives beside it in this package (see ``CHECKS``).
"""

from __future__ import annotations

import re
import typing
from typing import Annotated, Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from seawall.evals.assertions.jsonpath import parse_path


class _Spec(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True
    )

    weight: float = Field(1.0, ge=0)
    """Share of this assertion in the case's score (scores are weighted means)."""


TextOrList = str | list[str]


class Equals(_Spec):
    """The output equals a text (trimmed) or, parsed as JSON, a value."""

    type: Literal["equals"]
    value: Any
    """Text: equal after trimming surrounding whitespace. Anything else: the output parsed as
    JSON must equal it."""


class Contains(_Spec):
    """Substring checks: contains, icontains, not_contains, starts_with."""

    type: Literal["contains", "icontains", "not_contains", "starts_with"]
    value: TextOrList
    """The text to look for; a list means every item (``not_contains``: none of them;
    ``starts_with``: any of them)."""


class Regex(_Spec):
    """A regular expression matches somewhere in the output."""

    type: Literal["regex"]
    pattern: str
    """Python regular expression searched anywhere in the output."""
    ignore_case: bool = False
    """Match regardless of case."""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value


class IsJson(_Spec):
    """The output is a JSON document."""

    type: Literal["is_json"]


class JsonSchema(_Spec):
    """The output, parsed as JSON, satisfies a JSON schema."""

    type: Literal["json_schema"]
    schema_: dict[str, Any] = Field(alias="schema")
    """JSON schema (draft 2020-12) the output, parsed as JSON, must satisfy."""

    @field_validator("schema_")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            jsonschema.Draft202012Validator.check_schema(value)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"not a valid JSON schema: {exc.message}") from exc
        return value


class JsonPath(_Spec):
    """The value at a path of the JSON output exists, equals, is one of, or is in range."""

    type: Literal["json_path"]
    path: str
    """Where to look in the output parsed as JSON: ``$.order.items[0].sku``."""
    equals: Any = None
    """The value there must equal this."""
    in_: list[Any] | None = Field(None, alias="in")
    """The value there must be one of these."""
    min: float | None = None
    """The value there must be a number at least this."""
    max: float | None = None
    """The value there must be a number at most this."""

    @field_validator("path")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_path(value)
        return value

    @model_validator(mode="after")
    def _one_expectation(self) -> JsonPath:
        kinds = [
            "equals" in self.model_fields_set,
            self.in_ is not None,
            self.min is not None or self.max is not None,
        ]
        if sum(kinds) > 1:
            raise ValueError("use one of 'equals', 'in', or 'min'/'max'")
        return self


class Length(_Spec):
    """The output is within length bounds (characters or words)."""

    type: Literal["length"]
    min: int | None = Field(None, ge=0)
    """Fewest characters (or words)."""
    max: int | None = Field(None, ge=0)
    """Most characters (or words)."""
    unit: Literal["chars", "words"] = "chars"
    """Count characters or whitespace-separated words."""

    @model_validator(mode="after")
    def _bounded(self) -> Length:
        if self.min is None and self.max is None:
            raise ValueError("set 'min', 'max' or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' must not exceed 'max'")
        return self


class Refusal(_Spec):
    """The model refused (or, with ``expected: false``, answered)."""

    type: Literal["refusal"]
    expected: bool = True
    """true: pass when the model refused; false: pass when it answered (no over-refusal)."""


class Latency(_Spec):
    """The call took at most this long."""

    type: Literal["latency"]
    max_ms: float = Field(gt=0)
    """Longest the call may take, in milliseconds."""


class Cost(_Spec):
    """The call cost at most this much."""

    type: Literal["cost"]
    max_usd: float = Field(ge=0)
    """Most the call may cost, in US dollars."""


class Similarity(_Spec):
    """The output means what a reference answer means (embedding cosine)."""

    type: Literal["similarity"]
    reference: str
    """The answer the output should mean."""
    min: float = Field(0.8, ge=-1, le=1)
    """Smallest cosine similarity of the two embeddings that passes."""
    embedder: str | None = None
    """``module:function`` mapping a list of texts to vectors; default: sentence-transformers
    (``pip install 'seawall[embeddings]'``)."""
    model: str = "all-MiniLM-L6-v2"
    """sentence-transformers model used when no ``embedder`` is given."""


class LlmJudge(_Spec):
    """A judge model scores the output against a rubric."""

    type: Literal["llm_judge"]
    rubric: str
    """What a good answer does; the judge scores the output against it from 0 to 1."""
    min_score: float = Field(0.5, ge=0, le=1)
    """Smallest judge score that passes."""
    model: str | None = None
    """Logical model that judges (default: the suite's ``judge.model``)."""


class Python(_Spec):
    """A user's function decides."""

    type: Literal["python"]
    function: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    """``module:function`` called as ``function(output, case)``; returns bool, (bool, reason)
    or a score in [0, 1]. Modules beside the suite file are found too."""
    min_score: float = Field(0.5, ge=0, le=1)
    """When the function returns a score: the smallest that passes."""


class Group(_Spec):
    """Assertions combined with ``all`` / ``any`` (or a weighted threshold)."""

    type: Literal["all", "any"]
    assert_: list[AssertionSpec] = Field(alias="assert", min_length=1)
    """The assertions combined: ``all`` passes when each does, ``any`` when one does."""
    threshold: float | None = Field(None, ge=0, le=1)
    """When set, pass when the weighted mean score reaches it (instead of all/any)."""


AssertionSpec = Annotated[
    Equals
    | Contains
    | Regex
    | IsJson
    | JsonSchema
    | JsonPath
    | Length
    | Refusal
    | Latency
    | Cost
    | Similarity
    | LlmJudge
    | Python
    | Group,
    Field(discriminator="type"),
]

Group.model_rebuild()

# The discriminator's tags appear in pydantic's error paths (cases.0.assert.1.contains.value);
# these are stripped from the paths shown to people.
ASSERTION_TAGS = frozenset(
    tag
    for member in typing.get_args(typing.get_args(AssertionSpec)[0])
    for tag in typing.get_args(member.model_fields["type"].annotation)
)
