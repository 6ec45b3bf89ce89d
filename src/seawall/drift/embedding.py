"""The optional embedding feature: distance of each message to the reference's centroid.

The embedder is the user's: ``drift.embedder: "module:function"``, a function that turns a
list of texts into a list of vectors (with the ``embeddings`` extra, a sentence-transformers
model; see docs/drift.md). Half of the reference sample gives the centroid, the other half the
reference distances, so both windows are measured out of sample and compare like for like.
"""

from __future__ import annotations

import importlib
import math
from collections import Counter
from collections.abc import Callable, Sequence

Embedder = Callable[[list[str]], Sequence[Sequence[float]]]
"""Texts in, one vector per text out (any length, the same for every text)."""

DISTANCE_DECIMALS = 4  # distances are counted as values rounded this far


class EmbedderError(Exception):
    """The embedder is not set, cannot be imported, or returned something that is not vectors."""


def load_embedder(spec: str | None) -> Embedder:
    """The function named by ``module:function``; an ``EmbedderError`` that says what to do."""
    if not spec:
        raise EmbedderError(
            "drift.embedder is not set: the embedding feature needs a 'module:function' "
            "that turns a list of texts into vectors (see docs/drift.md)"
        )
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise EmbedderError(f"drift.embedder {spec!r} must look like 'module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EmbedderError(
            f"drift.embedder {spec!r}: cannot import {module_name!r} ({exc}); install it, or "
            "the embeddings extra (pip install 'seawall[embeddings]') when it uses that"
        ) from exc
    function = getattr(module, attribute, None)
    if not callable(function):
        raise EmbedderError(f"drift.embedder {spec!r}: {module_name} has no function {attribute}")
    embedder: Embedder = function
    return embedder


def embed(embedder: Embedder, texts: list[str]) -> list[list[float]]:
    """The vectors of ``texts``, checked: one per text, one length, finite numbers."""
    try:
        vectors = [[float(x) for x in vector] for vector in embedder(texts)]
    except EmbedderError:
        raise
    except Exception as exc:
        raise EmbedderError(f"the embedder failed: {type(exc).__name__}: {exc}") from exc
    if len(vectors) != len(texts):
        raise EmbedderError(f"the embedder returned {len(vectors)} vectors for {len(texts)} texts")
    if vectors and (len({len(v) for v in vectors}) != 1 or not vectors[0]):
        raise EmbedderError("the embedder returned vectors of different or zero lengths")
    if not all(math.isfinite(x) for vector in vectors for x in vector):
        raise EmbedderError("the embedder returned a vector with NaN or infinite values")
    return vectors


def centroid(vectors: Sequence[Sequence[float]]) -> list[float]:
    """The mean vector."""
    if not vectors:
        raise ValueError("the centroid of no vectors")
    return [sum(column) / len(vectors) for column in zip(*vectors, strict=True)]


def cosine_distance(vector: Sequence[float], center: Sequence[float]) -> float:
    """1 - cosine similarity (0 = same direction, 2 = opposite); 1 for a zero vector."""
    dot = sum(a * b for a, b in zip(vector, center, strict=True))
    norms = math.sqrt(sum(a * a for a in vector)) * math.sqrt(sum(b * b for b in center))
    return 1.0 - dot / norms if norms else 1.0


def distance_counts(
    reference: Sequence[Sequence[float]], current: Sequence[Sequence[float]]
) -> tuple[Counter[float], Counter[float]]:
    """Distances to the reference centroid, as value counts: (reference, current).

    The centroid comes from the reference's even-indexed vectors, the reference distances from
    its odd-indexed ones: distances to a centroid the vector helped make are biased low.
    """
    if len(reference) < 2:
        return Counter(), Counter()
    center = centroid(reference[0::2])
    ref = Counter(round(cosine_distance(v, center), DISTANCE_DECIMALS) for v in reference[1::2])
    cur = Counter(round(cosine_distance(v, center), DISTANCE_DECIMALS) for v in current)
    return ref, cur
