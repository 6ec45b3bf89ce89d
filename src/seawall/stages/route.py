"""Route: a routing rule picks the logical model for a call, first match wins.

So that a simple FAQ never reaches the most expensive model: conditions on the estimated
prompt tokens, a regular expression on the last user message, the call's tags and whether
JSON output is asked for. A rule without conditions matches everything (the default).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from seawall.config import RouteConfig, RouteRule
from seawall.core.errors import InvalidRequest
from seawall.core.types import ChatRequest


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: RouteRule
    pattern: re.Pattern[str] | None

    def matches(self, request: ChatRequest, tokens: int, tags: frozenset[str]) -> bool:
        rule = self.rule
        if rule.max_input_tokens is not None and tokens > rule.max_input_tokens:
            return False
        if rule.min_input_tokens is not None and tokens < rule.min_input_tokens:
            return False
        if rule.tags and not tags.issuperset(rule.tags):
            return False
        if (
            rule.json_output is not None
            and (request.response_format is not None) != rule.json_output
        ):
            return False
        return self.pattern is None or self.pattern.search(last_user_text(request)) is not None


@dataclass(frozen=True, slots=True)
class RouteRuntime:
    """A compiled routing rule set."""

    name: str
    rules: tuple[CompiledRule, ...]

    @classmethod
    def build(cls, name: str, config: RouteConfig) -> RouteRuntime:
        rules = tuple(
            CompiledRule(rule, re.compile(rule.match) if rule.match is not None else None)
            for rule in config.rules
        )
        return cls(name, rules)

    def choose(self, request: ChatRequest, tokens: int, tags: Iterable[str]) -> tuple[int, str]:
        """(rule index, logical model) of the first rule that matches."""
        held = frozenset(tags)
        for index, compiled in enumerate(self.rules):
            if compiled.matches(request, tokens, held):
                return index, compiled.rule.model
        raise InvalidRequest(
            f"no rule of route '{self.name}' matches this call (add a default rule)", param="model"
        )


def last_user_text(request: ChatRequest) -> str:
    for message in reversed(request.messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(
                    p["text"]
                    for p in content
                    if isinstance(p, dict) and isinstance(p.get("text"), str)
                )
    return ""
