"""Guard: PII and prompt-injection checks on the way in, PII and prompt leaks on the way out.

    input   PII in user, assistant and tool messages -> allow | redact ([EMAIL_1]) | block
            injection score of user messages and untrusted content -> flag | block
            untrusted content (tool results, marked messages) fenced as data
            a canary token added to the system prompt
    output  the canary in an answer (the system prompt leaked) -> flag | block
            PII the model wrote -> allow | redact | block; then placeholders restored

Detectors are built once per model (``GuardRuntime.build``); a call's state (the redaction
map, what was found) lives in ``GuardCall`` and ends up in the call record, values never.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from seawall.config import GuardsConfig
from seawall.core.errors import GuardBlocked
from seawall.core.types import ChatRequest
from seawall.guards.injection import (
    InjectionDetector,
    canary_instruction,
    fence,
    leaked,
    make_canary,
    make_nonce,
)
from seawall.guards.pii import PiiDetector
from seawall.guards.redact import Redaction, StreamRestorer, redact_payload

UNTRUSTED_MARK = "x_seawall_untrusted"  # a message field apps set on retrieved content
_PII_ROLES = frozenset({"user", "assistant", "tool", "function"})
_APP_ROLES = frozenset({"system", "developer"})


@dataclass(frozen=True, slots=True)
class GuardRuntime:
    """The compiled guards of one logical model."""

    config: GuardsConfig
    pii: PiiDetector | None
    injection: InjectionDetector | None
    canary: str | None

    @classmethod
    def build(cls, config: GuardsConfig, canary_secret: str | None = None) -> GuardRuntime:
        """Compile detectors; raises ValueError naming a bad PII type."""
        needs_pii = config.pii is not None or config.redact_at_rest
        pii = None
        if needs_pii:
            types = config.pii.types if config.pii is not None else None
            regions = config.pii.phone_regions if config.pii is not None else ["US"]
            pii = PiiDetector(types, phone_regions=tuple(regions))
        inj = config.injection
        injection = (
            InjectionDetector(inj.threshold) if inj is not None and inj.input != "off" else None
        )
        canary = None
        if inj is not None and inj.canary != "off":
            canary = make_canary(canary_secret or secrets.token_hex(16))
        return cls(config, pii, injection, canary)

    @property
    def buffers_stream(self) -> bool:
        """Must a streamed answer be held back whole to apply the output guards?"""
        pii, inj = self.config.pii, self.config.injection
        return (pii is not None and pii.output in ("redact", "block")) or (
            inj is not None and inj.canary == "block"
        )


@dataclass(slots=True)
class GuardCall:
    """What the guards did to one call."""

    messages: list[dict[str, Any]] | None = None  # what goes upstream, when it differs
    redaction: Redaction | None = None
    summary: dict[str, Any] = field(default_factory=dict)  # for the record: types and scores

    @property
    def flags(self) -> list[str]:
        return sorted(self.summary.get("flags", ()))

    def flag(self, name: str) -> None:
        self.summary.setdefault("flags", set()).add(name)

    def record(self) -> dict[str, Any]:
        """The summary as JSON-ready data (never a matched value)."""
        out = dict(self.summary)
        if "flags" in out:
            out["flags"] = sorted(out["flags"])
        return out


# --------------------------------------------------------------------------- input


def check_input(guard: GuardRuntime, request: ChatRequest, call: GuardCall) -> None:
    """Scan and rewrite the messages into ``call``; raises ``GuardBlocked`` when a policy says block."""
    messages = [dict(m) for m in request.messages]
    changed = _strip_marks(messages)
    if guard.injection is not None:
        changed |= _check_injection(guard, messages, call)
    if guard.pii is not None and guard.config.pii is not None and guard.config.pii.input != "off":
        changed |= _check_pii_input(guard, messages, call)
    if guard.canary is not None:
        _place_canary(messages, guard.canary)
        changed = True
    call.messages = messages if changed else None


def _strip_marks(messages: list[dict[str, Any]]) -> bool:
    marked = False
    for message in messages:
        if message.pop(UNTRUSTED_MARK, None) is not None:
            message["_untrusted"] = True
            marked = True
    return marked


def _check_injection(guard: GuardRuntime, messages: list[dict[str, Any]], call: GuardCall) -> bool:
    config = guard.config.injection
    assert config is not None
    assert guard.injection is not None
    untrusted_roles = frozenset(config.untrusted_roles)
    best_score, reasons, changed = 0.0, set[str](), False
    for message in messages:
        untrusted = message.pop("_untrusted", False) or message.get("role") in untrusted_roles
        if message.get("role") != "user" and not untrusted:
            continue
        for text in _texts(message.get("content")):
            result = guard.injection.scan(text)
            best_score = max(best_score, result.score)
            if result.flagged:
                reasons.update(result.reasons)
        if untrusted and config.fence_untrusted:
            wrap = partial(_fence, source=str(message.get("role", "content")), nonce=make_nonce())
            message["content"] = _map_texts(message.get("content"), wrap)
            changed = True
    flagged = best_score >= config.threshold
    call.summary["injection"] = {
        "score": round(best_score, 4),
        "flagged": flagged,
        "reasons": sorted(reasons),
    }
    if flagged:
        if config.input == "block":
            raise GuardBlocked(
                f"blocked by the prompt-injection guard (score {best_score:.2f}: "
                f"{', '.join(sorted(reasons)) or 'classifier'})"
            )
        call.flag("injection")
    return changed


def _check_pii_input(guard: GuardRuntime, messages: list[dict[str, Any]], call: GuardCall) -> bool:
    config = guard.config.pii
    assert config is not None
    assert guard.pii is not None
    detector = guard.pii
    redaction = Redaction()
    counts: dict[str, int] = {}
    changed = False

    def scan(text: str) -> str:
        findings = detector.scan(text)
        for finding in findings:
            counts[finding.type] = counts.get(finding.type, 0) + 1
        return redaction.redact(text, findings) if findings and config.input == "redact" else text

    for message in messages:
        if message.get("role") in _PII_ROLES:
            content = message.get("content")
            rewritten = _map_texts(content, scan)
            if rewritten != content:
                message["content"] = rewritten
                changed = True
    if counts:
        call.summary["pii_input"] = counts
        if config.input == "block":
            raise GuardBlocked(f"blocked by the PII guard: the request contains {_types(counts)}")
        call.flag("pii_redacted" if config.input == "redact" else "pii")
    if changed:
        call.redaction = redaction
    return changed


def _place_canary(messages: list[dict[str, Any]], token: str) -> None:
    sentence = canary_instruction(token)
    for message in messages:
        if message.get("role") in _APP_ROLES and isinstance(message.get("content"), str):
            message["content"] = f"{message['content']}\n\n{sentence}"
            return
    messages.insert(0, {"role": "system", "content": sentence})


# --------------------------------------------------------------------------- output


def check_output(guard: GuardRuntime, call: GuardCall, text: str) -> str:
    """The answer to send: leaks and PII handled, placeholders restored where allowed."""
    inj = guard.config.injection
    if guard.canary is not None and inj is not None and leaked(text, guard.canary):
        call.summary["canary_leak"] = True
        if inj.canary == "block":
            raise GuardBlocked("the answer was withheld: it repeats the protected system prompt")
        call.flag("prompt_leak")
    pii = guard.config.pii
    if pii is not None and pii.output != "off" and guard.pii is not None:
        text = _check_pii_output(guard.pii, pii.output, call, text)
    if call.redaction is not None and pii is not None and pii.restore:
        text = call.redaction.restore(text)
    return text


def _check_pii_output(detector: PiiDetector, action: str, call: GuardCall, text: str) -> str:
    findings = detector.scan(text)
    if not findings:
        return text
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.type] = counts.get(finding.type, 0) + 1
    call.summary["pii_output"] = counts
    if action == "block":
        raise GuardBlocked(f"the answer was withheld: it contains {_types(counts)}")
    if action == "redact":
        call.flag("pii_output_redacted")
        return Redaction(prefix="OUT_").redact(text, findings)
    call.flag("pii_output")
    return text


def restorer(guard: GuardRuntime, call: GuardCall) -> StreamRestorer | None:
    """Restores placeholders chunk by chunk in a stream that is relayed as it comes."""
    pii = guard.config.pii
    if call.redaction is None or pii is None or not pii.restore:
        return None
    return StreamRestorer(call.redaction)


def check_stream_end(guard: GuardRuntime, call: GuardCall, text: str) -> None:
    """After a relayed stream: record a leak or PII the guards could only flag."""
    inj = guard.config.injection
    if guard.canary is not None and inj is not None and leaked(text, guard.canary):
        call.summary["canary_leak"] = True
        call.flag("prompt_leak")
    pii = guard.config.pii
    if pii is not None and pii.output == "allow" and guard.pii is not None:
        _check_pii_output(guard.pii, "allow", call, text)


def redact_at_rest(guard: GuardRuntime, payload: object) -> object:
    """A stored payload with PII replaced by placeholders."""
    if guard.pii is None or payload is None:
        return payload
    return redact_payload(payload, guard.pii)


# --------------------------------------------------------------------------- content parts


def _texts(content: object) -> list[str]:
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [
            part["text"]
            for part in content
            if isinstance(part, dict)
            and part.get("type") == "text"
            and isinstance(part.get("text"), str)
        ]
    return []


def _map_texts(content: object, fn: Callable[[str], str]) -> object:
    if isinstance(content, str):
        return fn(content)
    if isinstance(content, list):
        return [
            {**part, "text": fn(part["text"])}
            if isinstance(part, dict)
            and part.get("type") == "text"
            and isinstance(part.get("text"), str)
            else part
            for part in content
        ]
    return content


def _fence(text: str, *, source: str, nonce: str) -> str:
    return fence(text, source, nonce)


def _types(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} ({n})" if n > 1 else kind for kind, n in sorted(counts.items()))
