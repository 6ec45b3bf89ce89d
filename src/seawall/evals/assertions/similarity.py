"""Meaning, not wording: the cosine of two embeddings against a reference answer.

Embeddings come from the optional ``embeddings`` extra (sentence-transformers) or from a
function of the user's (``embedder: module:function``). Models run in a worker thread: they
are CPU-bound and must not stall the other samples in flight.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from typing import Any

from seawall.evals.assertions.base import CheckContext, CheckError, result
from seawall.evals.assertions.specs import Similarity
from seawall.evals.results import AssertionResult, Output

EXTRA_HINT = "pip install 'seawall[embeddings]'"


def embedder_key(spec: Similarity) -> str:
    """Where the embedder of ``spec`` is found in the suite's plugins."""
    return spec.embedder or f"sentence-transformers/{spec.model}"


async def similarity(spec: Similarity, output: Output, ctx: CheckContext) -> AssertionResult:
    """Pass when the embeddings' cosine reaches ``min``."""
    embed = ctx.plugins[embedder_key(spec)]
    try:
        vectors = await asyncio.to_thread(embed, [output.text, spec.reference])
        first, second = (list(map(float, v)) for v in vectors)
    except Exception as exc:
        raise CheckError(f"the embedder failed: {type(exc).__name__}: {exc}") from exc
    score = cosine(first, second)
    return result(spec, score >= spec.min, f"similarity {score:.3f} < {spec.min:g}", score)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors."""
    if len(a) != len(b):
        raise CheckError(f"embeddings differ in size ({len(a)} and {len(b)})")
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


def sentence_transformer(model: str) -> Callable[[list[str]], Any]:
    """An embedder backed by sentence-transformers; raises ``ImportError`` without the extra."""
    from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

    loaded: list[Any] = []

    def embed(texts: list[str]) -> Any:
        if not loaded:  # loading takes seconds: only when a similarity check first runs
            loaded.append(SentenceTransformer(model))
        return loaded[0].encode(texts)

    return embed
