"""The simulator's decisions: which fault, how slow, what answer — seeded and free of I/O.

Both front ends of the simulator (the in-process provider and the HTTP server) ask the engine
what to do with a request and then act it out, so a fault means the same thing in both.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from seawall.config import SimFaults, SimScenario, SimSettings
from seawall.core.clock import Clock, SystemClock
from seawall.core.types import JSON, Usage
from seawall.sim import answers

FaultKind = Literal[
    "429", "500", "503", "connect", "hang", "malformed", "truncated", "empty", "outage"
]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "429",
    "500",
    "503",
    "connect",
    "hang",
    "malformed",
    "truncated",
    "empty",
    "outage",
)
# Order of the cumulative draw; "outage" is not drawn, it is a state.
_DRAWN: tuple[tuple[FaultKind, str], ...] = (
    ("429", "rate_429"),
    ("500", "rate_500"),
    ("503", "rate_503"),
    ("connect", "rate_connect"),
    ("hang", "rate_hang"),
    ("malformed", "rate_malformed"),
    ("truncated", "rate_truncated"),
    ("empty", "rate_empty"),
)
_Z99 = 2.3263  # the standard normal's 99th percentile: fits sigma from p50 and p99
_PIECE = re.compile(r"\s*\S{1,6}|\s+")  # word-ish stream pieces, ~4-6 characters each
# Self-reported confidence of scenarios with ``confidence_field`` (uniform in these ranges).
_RIGHT_CONFIDENCE = (0.55, 0.98)
_WRONG_CONFIDENCE = (0.05, 0.65)


@dataclass(frozen=True, slots=True)
class SimOutcome:
    """What the simulator does with one call; front ends act it out without further choices."""

    call_id: str
    fault: FaultKind | None
    latency_s: float
    """Wait before the response (streams: before the first chunk)."""
    text: str
    """The answer as served (non-streams: already cut when truncated)."""
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    retry_after_s: float
    created: int
    """Wall-clock seconds, for the ``created`` field."""
    stream: bool = False
    chunk_s: float = 0.0
    """Streams: wait between chunks."""
    pieces: tuple[str, ...] = field(default=())
    """Streams: the text pieces to send (only about half of them when truncated)."""

    @property
    def usage(self) -> Usage:
        return Usage(prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens)


def split_pieces(text: str) -> list[str]:
    """Split ``text`` into stream pieces that join back to exactly ``text``."""
    return _PIECE.findall(text)


class SimEngine:
    """Seeded decisions for the simulated upstream, with runtime switches for chaos tests."""

    def __init__(self, settings: SimSettings, clock: Clock | None = None) -> None:
        self._settings = settings
        self._clock = clock or SystemClock()
        seed = settings.seed
        # Separate streams, so that changing fault rates does not shift latencies or answers.
        self._fault_rng = answers.rng_for(seed, "faults")
        self._latency_rng = answers.rng_for(seed, "latency")
        self._wrong_rng = answers.rng_for(seed, "wrong")
        self._confidence_rng = answers.rng_for(seed, "confidence")
        self._scenarios = [(re.compile(s.match), s) for s in settings.scenarios]
        self._mu, self._sigma = _lognormal(settings.latency.p50_ms, settings.latency.p99_ms)
        self._nonce = os.urandom(3).hex()
        self._counts: dict[str, int] = dict.fromkeys(("calls", "ok", *FAULT_KINDS), 0)
        self._outage_until: float | None = None
        self._apply_faults(settings.faults)

    # ----------------------------------------------------------------------- runtime control

    @property
    def settings(self) -> SimSettings:
        return self._settings

    @property
    def faults(self) -> SimFaults:
        return self._faults

    def set_faults(self, faults: SimFaults) -> None:
        """Replace the fault settings; their outage window counts from now."""
        self._apply_faults(faults)

    def set_outage(self, seconds: float | None) -> None:
        """Fail every call for ``seconds`` from now (None: until ended; 0: end any outage now)."""
        if seconds is None:
            self._outage_until = math.inf
        elif seconds > 0:
            self._outage_until = self._clock.monotonic() + seconds
        else:
            self._outage_until = None
            quiet = {"outage": False, "outage_after_s": None, "outage_for_s": None}
            self._apply_faults(self._faults.model_copy(update=quiet))

    def outage_active(self) -> bool:
        now = self._clock.monotonic()
        if self._outage_until is not None and now < self._outage_until:
            return True
        faults = self._faults
        if faults.outage:
            return True
        if faults.outage_after_s is None:
            return False
        start = self._window_start + faults.outage_after_s
        return now >= start and (faults.outage_for_s is None or now < start + faults.outage_for_s)

    def stats(self) -> dict[str, int]:
        """Calls seen, calls answered normally (``ok``) and calls per fault kind."""
        return dict(self._counts)

    def _apply_faults(self, faults: SimFaults) -> None:
        self._faults = faults
        self._window_start = self._clock.monotonic()
        total = 0.0
        self._thresholds: list[tuple[float, FaultKind]] = []
        for kind, attr in _DRAWN:
            total += float(getattr(faults, attr))
            self._thresholds.append((total, kind))

    # ----------------------------------------------------------------------- decisions

    def decide(self, body: JSON, *, stream: bool = False) -> SimOutcome:
        """Decide one call; ``body`` is an OpenAI-style chat request."""
        fault = self._draw_fault()
        latency = self._draw_latency()
        self._counts["calls"] += 1
        self._counts[fault or "ok"] += 1
        messages = body.get("messages")
        text, finish = self._answer(body, messages)
        if fault == "empty":
            text = ""
        elif fault == "truncated" and not stream:
            text, finish = text[: len(text) // 2], "length"
        pieces: tuple[str, ...] = ()
        if stream:
            latency = self._settings.latency.ttft_ms / 1000 or latency
            pieces = tuple(split_pieces(text))
            if fault == "truncated":
                pieces = pieces[: len(pieces) // 2]
        return SimOutcome(
            call_id=f"{self._nonce}{self._counts['calls']:08x}",
            fault=fault,
            latency_s=latency,
            text=text,
            finish_reason=finish,
            prompt_tokens=answers.tokens_for(answers.prompt_chars(messages)),
            completion_tokens=answers.tokens_for(len(text)),
            retry_after_s=self._faults.retry_after_s,
            created=int(self._clock.wall()),
            stream=stream,
            chunk_s=self._settings.latency.chunk_ms / 1000,
            pieces=pieces,
        )

    def _draw_fault(self) -> FaultKind | None:
        draw = self._fault_rng.random()  # always drawn: an outage must not shift later draws
        if self.outage_active():
            return "outage"
        for threshold, kind in self._thresholds:
            if draw < threshold:
                return kind
        return None

    def _draw_latency(self) -> float:
        fixed = self._settings.latency.fixed_ms
        if fixed is not None:
            return fixed / 1000
        if self._sigma <= 0:
            return math.exp(self._mu) if self._mu > -math.inf else 0.0
        return self._latency_rng.lognormvariate(self._mu, self._sigma)

    def _answer(self, body: JSON, messages: Any) -> tuple[str, str]:
        seed = self._settings.seed
        prompt = answers.last_user_text(messages)
        scenario = self._scenario(messages)
        if scenario is not None:
            text = self._scripted(scenario, body, prompt)
        elif answers.wants_json(body.get("response_format")):
            text = _dumps(answers.json_answer(seed, prompt, body["response_format"]))
        else:
            text = answers.prose(seed, prompt)
        return _cap(text, body)

    def _scenario(self, messages: Any) -> SimScenario | None:
        # The newest user message decides; earlier ones still count, so that a re-ask in the
        # same conversation gets the same scenario (as a real model keeps its task).
        for text in answers.user_texts(messages):
            for rx, scenario in self._scenarios:
                if rx.search(text):
                    return scenario
        return None

    def _scripted(self, scenario: SimScenario, body: JSON, prompt: str) -> str:
        if scenario.reply is not None:
            return scenario.reply
        value = scenario.reply_json
        wrong = False
        if scenario.wrong_field and self._draw(body, prompt, "wrong") < scenario.wrong_rate:
            value = answers.corrupt_field(value, scenario.wrong_field)
            wrong = True
        if scenario.confidence_field is not None and isinstance(value, dict):
            # A model that knows when it guessed: lower self-reported confidence on the answers
            # it got wrong (the ranges overlap, as a real model's do).
            low, high = _WRONG_CONFIDENCE if wrong else _RIGHT_CONFIDENCE
            drawn = low + (high - low) * self._draw(body, prompt, "confidence")
            value = {**value, scenario.confidence_field: round(drawn, 3)}
        return _dumps(value)

    def _draw(self, body: JSON, prompt: str, stream: str) -> float:
        seed = body.get("seed")
        if isinstance(seed, int) and not isinstance(seed, bool):
            # A request's own seed (OpenAI's ``seed``) fixes its sampled answer whatever the
            # order of calls: an eval runner's samples stay reproducible at any concurrency.
            return answers.rng_for(self._settings.seed, stream, str(seed), prompt).random()
        rng = self._wrong_rng if stream == "wrong" else self._confidence_rng
        return rng.random()


def _lognormal(p50_ms: float, p99_ms: float) -> tuple[float, float]:
    """(mu, sigma) in log-seconds; sigma 0 means a fixed p50 (mu -inf: no latency at all)."""
    if p50_ms <= 0:
        return -math.inf, 0.0
    mu = math.log(p50_ms / 1000)
    sigma = (math.log(p99_ms) - math.log(p50_ms)) / _Z99 if p99_ms > p50_ms else 0.0
    return mu, sigma


def _cap(text: str, body: JSON) -> tuple[str, str]:
    """Cut the answer at the request's token limit, as a model stops at ``max_tokens``."""
    limit: Any = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and limit > 0 and answers.tokens_for(len(text)) > limit:
        return text[: limit * 4], "length"
    return text, "stop"


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()
