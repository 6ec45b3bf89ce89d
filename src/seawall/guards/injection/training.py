"""Deterministic training of the injection classifier (used by scripts/train_injection.py).

Plain stochastic gradient descent on the logistic loss with L2 regularisation, balanced
class weights and a decaying step size, over examples shuffled by a seeded ``random.Random``.
Everything is pure Python in a fixed order, so the same data and settings give the same
weights bit for bit; weights are then pruned (tiny ones dropped) and rounded so that the
model file stays small and byte-stable.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from seawall.guards.injection.classifier import feature_counts
from seawall.guards.injection.normalize import normalize

FORMAT = 1


@dataclass(frozen=True, slots=True)
class TrainSettings:
    """Hyper-parameters; recorded in the model file."""

    seed: int = 1337
    epochs: int = 10
    learning_rate: float = 0.5
    decay: float = 1e-4  # step size = learning_rate / (1 + decay * step)
    l2: float = 1e-4
    min_df: int = 2  # features seen in fewer training texts are dropped
    prune: float = 0.01  # |weight| below this is dropped from the model
    digits: int = 3


def scan_text(text: str) -> str:
    """The text the classifier sees: normalised and lowercased, exactly as at scan time."""
    return normalize(text).text.lower()


def train(
    examples: Sequence[tuple[str, bool]], settings: TrainSettings | None = None
) -> dict[str, Any]:
    """Train on ``(text, is_injection)`` pairs and return the model as a JSON-able dict."""
    settings = settings or TrainSettings()
    rows = [(feature_counts(scan_text(text)), label) for text, label in examples]
    vocab = _vocabulary([counts for counts, _ in rows], settings.min_df)
    index = {key: i for i, key in enumerate(vocab)}
    data = [(_vector(counts, index), 1.0 if label else 0.0) for counts, label in rows]
    weights, bias = _sgd(data, len(vocab), settings)
    return _export(weights, bias, vocab, settings, len(data))


def data_digest(raw: bytes) -> str:
    """The sha256 of the training file bytes, stored in the model to tie it to its data."""
    return hashlib.sha256(raw).hexdigest()


def _vocabulary(rows: list[Counter[str]], min_df: int) -> list[str]:
    df: Counter[str] = Counter()
    for counts in rows:
        df.update(counts.keys())
    return sorted(key for key, n in df.items() if n >= min_df)


def _vector(counts: Counter[str], index: dict[str, int]) -> list[tuple[int, float]]:
    # Unknown features still count in the norm, as they do at scan time.
    scale = 1.0 / math.sqrt(sum(counts.values()) or 1)
    return [(index[key], n * scale) for key, n in counts.items() if key in index]


def _sgd(
    data: list[tuple[list[tuple[int, float]], float]], size: int, s: TrainSettings
) -> tuple[list[float], float]:
    weights = [0.0] * size
    bias = 0.0
    positives = sum(1 for _, y in data if y) or 1
    negatives = (len(data) - positives) or 1
    class_weight = {1.0: len(data) / (2 * positives), 0.0: len(data) / (2 * negatives)}
    order = list(range(len(data)))
    rng = random.Random(s.seed)
    step = 0
    for _ in range(s.epochs):
        rng.shuffle(order)
        for i in order:
            xs, y = data[i]
            z = bias + sum(weights[j] * v for j, v in xs)
            p = 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))
            grad = (p - y) * class_weight[y]
            eta = s.learning_rate / (1.0 + s.decay * step)
            for j, v in xs:
                weights[j] -= eta * (grad * v + s.l2 * weights[j])
            bias -= eta * grad
            step += 1
    return weights, bias


def _export(
    weights: list[float], bias: float, vocab: list[str], s: TrainSettings, n: int
) -> dict[str, Any]:
    tables: dict[str, dict[str, float]] = {"w": {}, "b": {}, "c": {}}
    for key, w in zip(vocab, weights, strict=True):
        if abs(w) >= s.prune:
            tables[key[0]][key[2:]] = round(w, s.digits)
    return {
        "format": FORMAT,
        "bias": round(bias, s.digits + 2),
        "meta": {"examples": n, "settings": asdict(s)},
        "word": dict(sorted(tables["w"].items())),
        "bigram": dict(sorted(tables["b"].items())),
        "char": dict(sorted(tables["c"].items())),
    }
