"""Resolve: a logical model name to its runtime (targets in fallback order and policies)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jsonschema import Draft202012Validator

from seawall.config import ModelConfig
from seawall.core.errors import UnknownModel
from seawall.limits.concurrency import ConcurrencyLimiter
from seawall.providers.base import Provider
from seawall.stages.guard import GuardRuntime


@dataclass(frozen=True, slots=True)
class TargetRuntime:
    key: str  # "provider/model": the breaker, budget and metrics key
    provider: Provider
    model: str
    limiter: ConcurrencyLimiter | None = None  # the model's cap on calls in flight to it


@dataclass(frozen=True, slots=True)
class ModelRuntime:
    name: str
    config: ModelConfig
    targets: tuple[TargetRuntime, ...]
    validator: Draft202012Validator | None  # the model's own output schema, precompiled
    guard: GuardRuntime | None = None  # compiled guards, when any are configured


def resolve(models: Mapping[str, ModelRuntime], name: str) -> ModelRuntime:
    runtime = models.get(name)
    if runtime is None:
        known = ", ".join(sorted(models)) or "none"
        raise UnknownModel(f"unknown model '{name}'; this gateway serves: {known}", param="model")
    return runtime
