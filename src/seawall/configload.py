"""Read ``seawall.yaml`` into a ``Config``, or explain exactly what is wrong and where.

Errors name the file, the line, the dotted path to the field and what was expected, e.g.::

    seawall.yaml:14: models.chat.timeout.attempt_s: Input should be greater than 0 (got -1)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from seawall.config import SECRET_PREFIX, AnthropicProvider, Config, OpenAIProvider


class ConfigError(Exception):
    """A config file that cannot be used; ``problems`` lists every issue found."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}:{p}" for p in problems))


@dataclass(frozen=True, slots=True)
class Loaded:
    config: Config
    path: str
    warnings: list[str]


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> Loaded:
    """Parse, validate and check secrets; raises ``ConfigError`` with every problem found."""
    name = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(name, [f" cannot read the file: {exc.strerror or exc}"]) from exc
    config = parse_config(text, name)
    missing = missing_secrets(config, os.environ if environ is None else environ)
    if missing:
        raise ConfigError(name, missing)
    return Loaded(config, name, config_warnings(config))


def parse_config(text: str, name: str = "<config>") -> Config:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}" if mark is not None else "?"
        raise ConfigError(
            name, [f"{line}: not valid YAML: {getattr(exc, 'problem', exc)}"]
        ) from exc
    if not isinstance(raw, dict):
        raise ConfigError(name, ["1: the file must hold a mapping (providers:, models:, ...)"])
    lines = dict(line_index(node, ()))
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(name, [_describe(err, lines) for err in exc.errors()]) from exc


def _describe(err: Any, lines: dict[tuple[str, ...], int]) -> str:
    loc = _without_union_tag(tuple(str(p) for p in err["loc"]))
    path = ".".join(loc) or "(root)"
    line = nearest_line(loc, lines)
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) or err["type"] == "missing" else f" (got {got!r})"
    message = err["msg"].removeprefix("Value error, ")
    return f"{line}: {path}: {message}{shown}"


_PROVIDER_KINDS = frozenset({"openai", "anthropic", "sim"})
_ALERT_KINDS = frozenset(
    {
        "error_rate",
        "degraded_rate",
        "fallback_rate",
        "validation_failure_rate",
        "latency",
        "ttft",
        "cost_per_hour",
        "cost_per_call",
        "token_anomaly",
        "breaker_open",
        "event",
        "webhook",
        "slack",
        "log",
    }
)


def _without_union_tag(loc: tuple[str, ...]) -> tuple[str, ...]:
    # pydantic puts the discriminator ("openai", "sim") into the path: providers.a.openai.api_key.
    if len(loc) > 2 and loc[0] == "providers" and loc[2] in _PROVIDER_KINDS:
        return loc[:2] + loc[3:]
    if (
        len(loc) > 3
        and loc[:2] in (("alerts", "rules"), ("alerts", "notifiers"))
        and (loc[3] in _ALERT_KINDS)
    ):
        return loc[:3] + loc[4:]
    return loc


def nearest_line(loc: tuple[str, ...], lines: dict[tuple[str, ...], int]) -> int | str:
    """The line of the deepest part of ``loc`` that the document has (a missing key: its parent)."""
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return "?"


def line_index(
    node: yaml.Node | None, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], int]]:
    """Line number (1-based) of every key and list item in the YAML document."""
    if node is None:
        return
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            yield child, key.start_mark.line + 1
            yield from line_index(value, child)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from line_index(item, (*path, str(i)))


def secret_refs(config: Config) -> Iterator[tuple[str, str]]:
    """(field path, reference) of every secret reference in the config."""
    for name, provider in config.providers.items():
        if isinstance(provider, OpenAIProvider | AnthropicProvider) and provider.api_key:
            yield f"providers.{name}.api_key", provider.api_key
        if isinstance(provider, OpenAIProvider):
            for header, value in provider.headers.items():
                if value.startswith(SECRET_PREFIX):
                    yield f"providers.{name}.headers.{header}", value
    if config.audit.hmac_key is not None:
        yield "audit.hmac_key", config.audit.hmac_key
    yield from _alert_secret_refs(config)
    if config.otel is not None:
        yield from _refs("otel.headers", config.otel.headers)


def _alert_secret_refs(config: Config) -> Iterator[tuple[str, str]]:
    for name, notifier in config.alerts.notifiers.items():
        url = getattr(notifier, "url", "")
        if url.startswith(SECRET_PREFIX):
            yield f"alerts.notifiers.{name}.url", url
        yield from _refs(f"alerts.notifiers.{name}.headers", getattr(notifier, "headers", {}))


def _refs(where: str, values: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    for key, value in values.items():
        if value.startswith(SECRET_PREFIX):
            yield f"{where}.{key}", value


def missing_secrets(config: Config, environ: Mapping[str, str]) -> list[str]:
    return [
        f" {path}: environment variable {ref[len(SECRET_PREFIX) :]} is not set (referenced as '{ref}')"
        for path, ref in secret_refs(config)
        if not environ.get(ref[len(SECRET_PREFIX) :])
    ]


def resolve_secret(ref: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The value behind an ``env:NAME`` reference (plain strings pass through)."""
    if ref is None or not ref.startswith(SECRET_PREFIX):
        return ref
    return (os.environ if environ is None else environ).get(ref[len(SECRET_PREFIX) :])


def config_warnings(config: Config) -> list[str]:
    """Things that work but a production deployment should not have."""
    out: list[str] = []
    for name, model in config.models.items():
        if len(model.targets) == 1 and not model.degrade.configured:
            out.append(
                f"models.{name}: one target and no degrade policy: an upstream outage fails every call"
            )
        if not model.breaker.enabled:
            out.append(
                f"models.{name}.breaker: disabled: a dead upstream gets every call and every retry"
            )
        if model.timeout.deadline_s > 120:
            out.append(
                f"models.{name}.timeout.deadline_s: {model.timeout.deadline_s:g}s keeps callers waiting a long time"
            )
    if any(p.kind == "sim" for p in config.providers.values()):
        out.append("providers: a 'sim' provider is a SIMULATOR, not a model")
    return out
