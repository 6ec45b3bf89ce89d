"""Confidence per answer: the signals a call produced, combined into one score in [0, 1].

Two kinds of signal go in. **Graded** signals are estimates of "this answer is right", each
already in [0, 1]:

    logprobs       exp(mean token log-probability): the geometric mean of the probabilities
                   the model gave its own tokens (only when the upstream returned logprobs)
    self_reported  the ``confidence`` field of the parsed output, when the output schema
                   declares one (a ``maximum`` of 100 in the schema means a percentage)
    agreement      with n >= 2 samples: the share of samples that agree with the majority
                   answer (answers compared after trimming, case-folding and collapsing
                   whitespace; JSON values compared as canonical JSON)

**Checks** multiply the score down; a check that passed leaves it unchanged:

    validation     valid first time 1.0 > repaired 0.85 > re-asked 0.6 > invalid 0.0
    guards         per finding: prompt injection flagged 0.5, system prompt leaked 0.25,
                   PII in the answer 0.7 (a finding on the input alone says nothing about
                   the answer and is ignored)

    score = (weighted mean of the graded signals present, or 1 when none is) x (each check)

A signal the call did not produce is skipped, never guessed: a call without logprobs is
scored on what it has. A call with no signal at all (no graded signal, no output contract, no
guards) has no score (``None``), which escalation rules treat as "unknown", not as low. The
components are returned beside the score so a record can say why a call scored what it did.
Weights and factors are defaults of ``Weights``; the calibration report (``seawall eval run
--calibration``) is how a team checks them against its own cases.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

# How validation outcomes weigh on the score. "ok" is accepted as a synonym of "valid".
VALIDATION_FACTORS: Mapping[str, float] = {
    "valid": 1.0,
    "ok": 1.0,
    "repaired": 0.85,
    "reasked": 0.6,
    "invalid": 0.0,
}

# Guard flags (``stages.guard.GuardCall.flags``) that say something about the answer.
GUARD_FACTORS: Mapping[str, float] = {
    "injection": 0.5,
    "prompt_leak": 0.25,
    "pii_output": 0.7,
    "pii_output_redacted": 0.7,
}

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each graded signal counts, and what each check multiplies the score by."""

    logprobs: float = 1.0
    self_reported: float = 1.0
    agreement: float = 1.0
    validation: Mapping[str, float] = field(default_factory=lambda: dict(VALIDATION_FACTORS))
    guards: Mapping[str, float] = field(default_factory=lambda: dict(GUARD_FACTORS))


DEFAULT_WEIGHTS = Weights()


# Signals, components and the result are NamedTuples rather than frozen dataclasses: they are
# built on every call, and a frozen dataclass's __init__ costs ~0.5 µs a field.
class Signals(NamedTuple):
    """What one call produced; ``None`` means the call did not produce that signal."""

    token_logprobs: Sequence[float] | None = None
    validation: str | None = None  # "none" (no contract) counts as missing
    guard_flags: Sequence[str] | None = None  # None: no guard ran; (): guards ran, found nothing
    self_reported: float | None = None
    samples: Sequence[object] | None = None  # the answers of n samples, when n were drawn


class Component(NamedTuple):
    """One signal's contribution: ``kind`` is ``graded`` (averaged) or ``check`` (multiplied)."""

    signal: str
    kind: str
    value: float
    weight: float
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "kind": self.kind,
            "value": round(self.value, 4),
            "weight": self.weight,
            "detail": self.detail,
        }


class Confidence(NamedTuple):
    """The score (``None`` when no signal was available) and the components behind it."""

    score: float | None
    components: tuple[Component, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "components": [c.as_dict() for c in self.components],
        }


def score(signals: Signals, weights: Weights = DEFAULT_WEIGHTS) -> Confidence:
    """Combine the signals present into one score in [0, 1] (see the module docstring)."""
    graded = _graded(signals, weights)
    checks = _checks(signals, weights)
    components = (*graded, *checks)
    if not components:
        return Confidence(None)
    value, total_weight = 0.0, 0.0
    for component in graded:
        value += component.value * component.weight
        total_weight += component.weight
    value = value / total_weight if total_weight > 0 else 1.0
    for check in checks:
        value *= check.value
    return Confidence(round(min(1.0, max(0.0, value)), 4), components)


def _graded(signals: Signals, weights: Weights) -> list[Component]:
    out = []
    mean_p = mean_token_probability(signals.token_logprobs)
    if mean_p is not None and signals.token_logprobs is not None:
        n = len(signals.token_logprobs)
        detail = f"mean token probability over {n} token{'s' if n != 1 else ''}"
        out.append(Component("logprobs", "graded", mean_p, weights.logprobs, detail))
    if signals.self_reported is not None and 0.0 <= signals.self_reported <= 1.0:
        value = float(signals.self_reported)
        out.append(
            Component("self_reported", "graded", value, weights.self_reported, "output field")
        )
    agreed = agreement(signals.samples)
    if agreed is not None and signals.samples is not None:
        n = len(signals.samples)
        detail = f"{round(agreed * n)} of {n} samples agree with the majority"
        out.append(Component("agreement", "graded", agreed, weights.agreement, detail))
    return [c for c in out if c.weight > 0]


def _checks(signals: Signals, weights: Weights) -> list[Component]:
    out = []
    status = signals.validation
    if status is not None and status != "none" and status in weights.validation:
        out.append(Component("validation", "check", weights.validation[status], 1.0, status))
    if signals.guard_flags is not None and not signals.guard_flags:
        out.append(_NO_FINDING)  # the common case, kept cheap
    elif signals.guard_flags is not None:
        relevant = sorted(set(signals.guard_flags) & set(weights.guards))
        factor = math.prod(weights.guards[flag] for flag in relevant)
        detail = ", ".join(relevant) if relevant else "no finding about the answer"
        out.append(Component("guards", "check", factor, 1.0, detail))
    return out


_NO_FINDING = Component("guards", "check", 1.0, 1.0, "no finding about the answer")


# --------------------------------------------------------------------------- the signals


def mean_token_probability(logprobs: Sequence[float] | None) -> float | None:
    """exp(mean log-probability): the geometric mean of the token probabilities, or None."""
    if not logprobs:
        return None
    try:
        total = math.fsum(logprobs)  # one C loop: this runs on every call that has logprobs
    except TypeError:
        total = math.nan
    if math.isfinite(total):
        return min(1.0, math.exp(total / len(logprobs)))
    # Rare: a NaN, an infinity or a non-number among them. Skip those tokens, keep the rest.
    values = [float(v) for v in logprobs if isinstance(v, int | float) and math.isfinite(v)]
    return min(1.0, math.exp(sum(values) / len(values))) if values else None


def token_logprobs(body: Mapping[str, Any] | None) -> list[float] | None:
    """The token log-probabilities of an OpenAI-style response's first choice, if it has them."""
    choices = body.get("choices") if body is not None else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    logprobs = choices[0].get("logprobs")
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list):
        return None
    values = [
        float(token["logprob"])
        for token in content
        if isinstance(token, dict) and isinstance(token.get("logprob"), int | float)
    ]
    return values or None


def self_reported(
    parsed: object, schema: Mapping[str, Any] | None, field_name: str = "confidence"
) -> float | None:
    """The answer's own confidence, when its output schema declares the field and it is sane."""
    if not isinstance(schema, Mapping) or not isinstance(parsed, dict):
        return None
    properties = schema.get("properties")
    spec = properties.get(field_name) if isinstance(properties, Mapping) else None
    value = parsed.get(field_name)
    if not isinstance(spec, Mapping) or isinstance(value, bool):
        return None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    scale = 100.0 if spec.get("maximum") == 100 else 1.0
    fraction = float(value) / scale
    return fraction if 0.0 <= fraction <= 1.0 else None


def agreement(samples: Sequence[object] | None) -> float | None:
    """The share of samples equal to the most common answer; None for fewer than two samples."""
    if samples is None or len(samples) < 2:
        return None
    counts = Counter(normalise(sample) for sample in samples)
    return counts.most_common(1)[0][1] / len(samples)


def normalise(answer: object) -> str:
    """The form answers are compared in: text trimmed, case-folded, whitespace collapsed."""
    if isinstance(answer, str):
        return _SPACES.sub(" ", answer.strip()).casefold()
    return orjson.dumps(answer, option=orjson.OPT_SORT_KEYS, default=str).decode()
