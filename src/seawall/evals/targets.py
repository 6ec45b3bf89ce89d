"""How a case becomes a call: targets (what is evaluated) over backends (how calls are sent).

A ``Target`` turns (case, sample) into an ``Output`` and names its version (``fingerprint``)
so outputs can be cached and runs compared. ``ModelTarget`` sends a logical model the suite's
messages; ``targets_prompt.PromptTarget`` renders a registry prompt version; the runner does
not tell them apart. A ``Backend`` sends one chat call: in process (``seawall.Seawall``) or through a gateway.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from seawall.evals.render import render
from seawall.evals.results import Output

if TYPE_CHECKING:
    from seawall.evals.suite import Case, Suite


class TargetError(Exception):
    """The call produced no usable answer (upstream failure, timeout, degraded answer)."""


class Backend(Protocol):
    """Sends one chat call to a logical model."""

    def describe(self) -> str:
        """How calls are sent, for reports ("in process, seawall.yaml", "gateway URL")."""

    async def start(self) -> None:
        """Open what the calls need (store, connections) before the first call."""

    def model_fingerprint(self, model: str) -> str | None:
        """A hash of everything behind ``model`` that shapes answers; None when unknown."""

    async def known_models(self) -> set[str]:
        """The logical models that can be called (to check a suite before the first call)."""

    async def chat(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> Output:
        """The answer; raises ``TargetError`` when there is none."""

    async def aclose(self) -> None:
        """Flush records and release connections."""


class Target(Protocol):
    """What a suite evaluates."""

    def describe(self) -> str:
        """The target for reports ("model support-chat (in process, seawall.yaml)")."""

    def fingerprint(self) -> str:
        """Version of the target: changes whenever its answers may change (model, messages, params)."""

    def cache_key(self, case: Case, sample: int) -> str | None:
        """Key of this call's output in the cache; None: never cache."""

    def input_text(self, case: Case) -> str:
        """The case's input as text (what a judge is shown)."""

    async def call(self, case: Case, sample: int) -> Output:
        """One sample of one case; raises ``TargetError`` when there is no answer."""


def digest(*parts: Any) -> str:
    """sha256 of the parts as canonical JSON (sorted keys), hex."""
    data = orjson.dumps(list(parts), option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(data).hexdigest()


def sample_seed(seed: int, case_id: str, sample: int) -> int:
    """The ``seed`` sent with one sample: stable across runs, different across samples."""
    data = f"{seed}\x00{case_id}\x00{sample}".encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=4).digest(), "big") >> 1


class ModelTarget:
    """A logical model asked the suite's messages, with the case's variables filled in."""

    def __init__(self, backend: Backend, suite: Suite) -> None:
        if suite.target.model is None:
            raise ValueError("a model target needs target.model")
        self._backend = backend
        self._suite = suite
        self.model = suite.target.model
        self._model_version = backend.model_fingerprint(self.model)
        templates = [m.model_dump() for m in suite.target.messages]
        self._fingerprint = digest(
            "model", self.model, self._model_version, templates, suite.target.params
        )

    def describe(self) -> str:
        return f"model {self.model} ({self._backend.describe()})"

    def fingerprint(self) -> str:
        return self._fingerprint

    def messages(self, case: Case) -> list[dict[str, Any]]:
        return [
            {"role": m.role, "content": render(m.content, case.vars)}
            for m in self._suite.messages_for(case)
        ]

    def params(self, case: Case, sample: int) -> dict[str, Any]:
        params = {**self._suite.target.params, **case.params}
        # A per-sample seed makes reruns reproducible where the model honours it, and keeps
        # samples of one case different from each other; an explicit seed in params wins.
        params.setdefault("seed", sample_seed(self._suite.seed, case.id, sample))
        return params

    def cache_key(self, case: Case, sample: int) -> str | None:
        if self._model_version is None:
            return None  # what answers behind a gateway is unknown: a cache could serve stale
        return digest(
            self._fingerprint, case.id, sample, self.messages(case), self.params(case, sample)
        )

    def input_text(self, case: Case) -> str:
        return "\n".join(f"{m['role']}: {m['content']}" for m in self.messages(case))

    async def call(self, case: Case, sample: int) -> Output:
        return await self._backend.chat(self.model, self.messages(case), self.params(case, sample))
