"""The ``drift:`` section of ``seawall.yaml``: windows, features, thresholds, the embedder hook.

Only pydantic here: the root config imports this module, so it must not import the store.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Feature = Literal[
    "input_tokens",
    "output_tokens",
    "message_length",
    "script",
    "validation",
    "confidence",
    "feedback",
    "outcome",
    "embedding",
]
"""What is compared per route: see docs/drift.md for how each feature is measured."""

DEFAULT_FEATURES: list[Feature] = [
    "input_tokens",
    "output_tokens",
    "message_length",
    "script",
    "validation",
    "confidence",
    "feedback",
    "outcome",
]

PREVIOUS_WEEK: Literal["previous_week"] = "previous_week"
WEEK_S = 7 * 86_400.0
DAY_S = 86_400.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class PinnedReference(_Model):
    start: date
    """First day of the reference period (UTC)."""
    end: date
    """Last day of the reference period (UTC, included)."""

    @model_validator(mode="after")
    def _ordered(self) -> PinnedReference:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    def window(self) -> tuple[float, float]:
        """[start, end) in unix seconds: midnight UTC of ``start`` to the midnight after ``end``."""
        first = datetime.combine(self.start, datetime.min.time(), tzinfo=UTC)
        after = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        return first.timestamp(), after.timestamp()

    def label(self) -> str:
        """``2026-01-01..2026-01-07``, as ``--reference`` takes it."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


Reference = Literal["previous_week"] | PinnedReference


class DriftThresholds(_Model):
    psi_watch: float = Field(0.1, gt=0)
    """PSI from which a change is shown as ``watch`` (rule of thumb: a moderate shift)."""
    psi_drift: float = Field(0.25, gt=0)
    """PSI from which a change is ``drift`` and raises an alert (rule of thumb: a major shift)."""
    p_value: float = Field(0.001, gt=0, lt=1)
    """A change counts only when the chi-square test's p-value is below this (not sampling noise)."""

    @model_validator(mode="after")
    def _ordered(self) -> DriftThresholds:
        if self.psi_watch > self.psi_drift:
            raise ValueError(f"psi_watch ({self.psi_watch}) exceeds psi_drift ({self.psi_drift})")
        return self


class DriftConfig(_Model):
    enabled: bool = True
    """Compare every route with its reference every ``interval_s`` and report drift as alert events."""
    reference: Reference = PREVIOUS_WEEK
    """The reference: ``previous_week`` (the 7 days before the current window) or a pinned period ``{start: 2026-01-01, end: 2026-01-07}``."""
    window_s: float = Field(86_400.0, gt=0)
    """Length of the current window, ending now, that is compared with the reference."""
    interval_s: float = Field(3600.0, gt=0)
    """How often the server compares (drift is slow; each round reads both windows)."""
    features: list[Feature] = Field(list(DEFAULT_FEATURES), min_length=1)
    """Features compared per route (``embedding`` also needs ``embedder``)."""
    thresholds: DriftThresholds = DriftThresholds()
    """When a change is ``watch`` or ``drift``."""
    feature_thresholds: dict[Feature, DriftThresholds] = {}
    """Thresholds of single features, e.g. a lower ``psi_drift`` for ``validation``."""
    min_calls: int = Field(200, ge=1)
    """Fewest calls (or sampled payloads) in each window for a feature to be judged at all."""
    bins: int = Field(10, ge=2, le=100)
    """Quantile bins of numeric features, cut at the reference window's quantiles."""
    sample_size: int = Field(5000, ge=100)
    """Most stored payloads read per route and window for the message features (a seeded sample)."""
    seed: int = 0
    """Seed of the payload sample, so that a report can be reproduced."""
    embedder: str | None = Field(None, pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    """``module:function`` turning a list of texts into vectors, for the ``embedding`` feature (e.g. with the ``embeddings`` extra)."""
    embedding_sample: int = Field(500, ge=10)
    """Most texts embedded per route and window (embedding is the expensive part)."""

    @model_validator(mode="after")
    def _embedder_set(self) -> DriftConfig:
        if "embedding" in self.features and self.embedder is None:
            raise ValueError(
                "features includes 'embedding' but embedder is not set "
                "(a 'module:function' that turns a list of texts into vectors)"
            )
        return self

    def thresholds_for(self, feature: Feature) -> DriftThresholds:
        """The thresholds of one feature: its own, else the common ones."""
        return self.feature_thresholds.get(feature, self.thresholds)


def parse_reference(text: str) -> Reference:
    """``previous_week`` or ``YYYY-MM-DD..YYYY-MM-DD`` (both days included, UTC)."""
    value = text.strip()
    if value == PREVIOUS_WEEK:
        return PREVIOUS_WEEK
    start, sep, end = value.partition("..")
    problem = "expected two dates joined by '..'"
    if sep:
        try:
            return PinnedReference(start=date.fromisoformat(start), end=date.fromisoformat(end))
        except ValidationError as exc:
            problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        except ValueError as exc:
            problem = str(exc)
    raise ValueError(
        f"reference {text!r} must be previous_week or YYYY-MM-DD..YYYY-MM-DD ({problem})"
    )


def reference_window(reference: Reference, current_start: float) -> tuple[float, float]:
    """[since, until) of the reference for a current window starting at ``current_start``."""
    if isinstance(reference, PinnedReference):
        return reference.window()
    return current_start - WEEK_S, current_start


def reference_label(reference: Reference) -> str:
    """How a report names its reference."""
    return reference.label() if isinstance(reference, PinnedReference) else PREVIOUS_WEEK
