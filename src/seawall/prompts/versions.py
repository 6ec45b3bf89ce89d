"""The registry's vocabulary: versions, label events, summaries, references and diffs."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from seawall.core.errors import InvalidRequest
from seawall.prompts.spec import PromptSpec, canonical_yaml

Ref = int | str | None
"""A version number, a label, ``"latest"`` or None (the latest version)."""

LABEL_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
LATEST = "latest"  # a reference, never a label: it always means the newest version
WELL_KNOWN_LABELS = ("production", "canary", "staging")

# Sections of a spec in the order a diff reports them; "schema" is variables + output schema.
_SECTIONS = (
    "model",
    "params",
    "messages",
    "variables",
    "output_schema",
    "eval_suite",
    "canary",
    "review",
    "owner",
    "description",
    "name",
)


@dataclass(frozen=True, slots=True)
class PromptVersion:
    """One immutable version of a prompt."""

    name: str
    version: int
    content_hash: str
    spec: PromptSpec
    author: str
    note: str
    created_at: float

    @property
    def ref(self) -> str:
        """``name@version``, as people type it."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True)
class PushResult:
    """What ``push`` did: stored a new version (``created``) or found the same content stored."""

    version: PromptVersion
    created: bool


@dataclass(frozen=True, slots=True)
class LabelEvent:
    """A label moved: ``version`` None means removed, ``previous`` None means newly set."""

    name: str
    label: str
    version: int | None
    previous: int | None
    actor: str
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class PromptSummary:
    """One line of ``prompt list``: the newest version and where every label points."""

    name: str
    latest: int
    updated_at: float
    owner: str
    model: str
    labels: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PromptDiff:
    """Two versions compared: the sections that changed and a unified diff of their YAML."""

    a: PromptVersion
    b: PromptVersion
    changed: tuple[str, ...]
    unified: str


def parse_ref(text: str) -> tuple[str, Ref]:
    """``name``, ``name@3``, ``name@production`` → (name, None | 3 | "production")."""
    name, sep, ref = text.partition("@")
    if not name or (sep and not ref):
        raise InvalidRequest(
            f"not a prompt reference: {text!r} (expected NAME, NAME@VERSION or NAME@LABEL)"
        )
    if not sep:
        return name, None
    if ref.isdigit():
        return name, int(ref)
    return name, ref


def check_label(label: str) -> str:
    """The label itself when it is a valid label name; ``InvalidRequest`` otherwise."""
    if label == LATEST or not LABEL_PATTERN.match(label):
        raise InvalidRequest(
            f"not a valid label: {label!r} (lower-case letters, digits, '-' and '_', starting "
            f"with a letter; '{LATEST}' is reserved)",
            param="label",
        )
    return label


def diff_versions(a: PromptVersion, b: PromptVersion) -> PromptDiff:
    """Which sections differ between ``a`` and ``b``, and a unified diff of their canonical YAML."""
    left, right = _full(a.spec), _full(b.spec)
    changed = tuple(s for s in _SECTIONS if left.get(s) != right.get(s))
    unified = "".join(
        difflib.unified_diff(
            canonical_yaml(left).splitlines(keepends=True),
            canonical_yaml(right).splitlines(keepends=True),
            fromfile=a.ref,
            tofile=b.ref,
        )
    )
    return PromptDiff(a, b, changed, unified)


def _full(spec: PromptSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json")
