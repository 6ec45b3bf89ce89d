"""The judge behind ``llm_judge``: a logical model called through the suite's backend.

Judgements are cached like outputs, keyed by the judge model's version and the exact request,
so an unchanged output is not judged (and paid for) twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from seawall.evals.assertions.base import CheckError
from seawall.evals.cache import OutputCache
from seawall.evals.targets import Backend, TargetError, digest, sample_seed


class BackendJudge:
    """``JudgeClient`` over a ``Backend``, at temperature 0, with a per-sample seed."""

    def __init__(
        self, backend: Backend, *, cache: OutputCache | None, seed: int, timeout_s: float
    ) -> None:
        self._backend = backend
        self._cache = cache
        self._seed = seed
        self._timeout_s = timeout_s

    async def judge(self, model: str, messages: list[dict[str, Any]], sample: int) -> str:
        params = {"temperature": 0, "seed": sample_seed(self._seed, "judge", sample)}
        version = self._backend.model_fingerprint(model)
        key = None if version is None else digest("judge", version, model, messages, params)
        if key is not None and self._cache is not None:
            cached = await self._cache.get(key)
            if cached is not None:
                return cached.text
        try:
            async with asyncio.timeout(self._timeout_s):
                output = await self._backend.chat(model, messages, params)
        except TargetError as exc:
            raise CheckError(f"the judge ({model}) failed: {exc}") from exc
        except TimeoutError as exc:
            raise CheckError(
                f"the judge ({model}) gave no answer within {self._timeout_s:g} s"
            ) from exc
        if key is not None and self._cache is not None:
            await self._cache.put(key, output)
        return output.text
