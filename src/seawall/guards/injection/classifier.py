"""A small logistic-regression classifier over word uni/bi-grams and in-word char 3-5-grams.

Features of a text (lowercased, normalised): every token (words and single punctuation
marks), every pair of adjacent tokens, and the character 3-, 4- and 5-grams of each word
padded with spaces (" ignore " -> " ig", "ign", ...). A feature's value is its count divided
by sqrt(total number of features), so long and short texts score on one scale.

The model keys its weights by the n-gram itself rather than by a hashed bucket: a dict lookup
is the cheapest stable hash Python offers (a stable hash of every n-gram in pure Python costs
more than the whole scan budget), there are no collisions, and pruning keeps only the
n-grams that matter. Because char n-grams stay inside a word, a word's contribution is
cached, so scoring a 20 KB document costs about one dict lookup per token.

Long texts are scored in windows of ``WINDOW`` tokens (stride ``WINDOW // 2``) and the
highest window wins: one injected sentence inside a long benign document must not be
diluted by the rest of it.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import re
from collections import Counter
from functools import cache
from importlib import resources
from typing import Any

TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
CHAR_SIZES = (3, 4, 5)
WINDOW = 32
_CACHE_LIMIT = 50_000
MODEL_FILE = "data/injection/model.json"


def tokenize(text: str) -> list[str]:
    """Tokens of lowercased ``text``: runs of letters/digits and single other characters."""
    return TOKEN.findall(text.lower())


def char_grams(token: str) -> list[str]:
    """The char 3-5-grams of a word padded with spaces (none for punctuation)."""
    if not token[0].isalnum():
        return []
    padded = f" {token} "
    return [padded[i : i + n] for n in CHAR_SIZES for i in range(len(padded) - n + 1)]


def feature_counts(text: str) -> Counter[str]:
    """Training-time features of lowercased normalised ``text`` ("w:", "b:", "c:" keys)."""
    toks = tokenize(text)
    counts: Counter[str] = Counter()
    for i, tok in enumerate(toks):
        counts["w:" + tok] += 1
        for gram in char_grams(tok):
            counts["c:" + gram] += 1
        if i:
            counts["b:" + toks[i - 1] + " " + tok] += 1
    return counts


class Classifier:
    """Scores how much a text reads like a prompt injection, in [0, 1]."""

    def __init__(self, model: dict[str, Any]) -> None:
        self.bias: float = float(model["bias"])
        self._word: dict[str, float] = model["word"]
        self._bigram: dict[str, float] = model["bigram"]
        self._char: dict[str, float] = model["char"]
        self.meta: dict[str, Any] = model.get("meta", {})
        # Per-word cache of word + char-gram weight and feature count (cleared when large).
        self._weight: dict[str, float] = {}
        self._count: dict[str, int] = {}

    @classmethod
    def load(cls) -> Classifier:
        """The shipped model (read once per process)."""
        return _shipped()

    @classmethod
    def from_json(cls, text: str) -> Classifier:
        """A classifier from the JSON text of a model file."""
        return cls(json.loads(text))

    def score(self, text: str) -> float:
        """Probability-like score that lowercased normalised ``text`` is an injection."""
        toks = tokenize(text)
        if not toks:
            return _sigmoid(self.bias)
        weights, counts = self._per_token(toks)
        if len(toks) <= WINDOW:
            return _sigmoid(self.bias + sum(weights) / math.sqrt(sum(counts)))
        sums = [0.0, *itertools.accumulate(weights)]
        ns = [0, *itertools.accumulate(counts)]
        stride = WINDOW // 2
        last = len(toks) - WINDOW
        best = max(
            (sums[s + WINDOW] - sums[s]) / math.sqrt(ns[s + WINDOW] - ns[s])
            for s in [*range(0, last, stride), last]
        )
        return _sigmoid(self.bias + best)

    def _per_token(self, toks: list[str]) -> tuple[list[float], list[int]]:
        """Token i's weight (word, char-grams and the bigram (i-1, i)) and feature count."""
        if len(self._weight) > _CACHE_LIMIT:
            # Fresh dicts rather than clear(): a scan in another thread keeps its own
            # references, and entries are only ever added, so lookups below cannot fail.
            self._weight, self._count = {}, {}
        weight, count = self._weight, self._count
        for tok in set(toks).difference(weight):
            grams = char_grams(tok)
            char = self._char
            count[tok] = 1 + len(grams)  # before weight: membership is tested on weight
            weight[tok] = self._word.get(tok, 0.0) + sum(char.get(g, 0.0) for g in grams)
        # map() keeps the per-token work in C: this loop runs over every token of 20 KB texts.
        pairs = map(" ".join, itertools.pairwise(toks))
        bigrams = [0.0, *map(self._bigram.get, pairs, itertools.repeat(0.0))]
        weights = list(map(operator.add, map(weight.__getitem__, toks), bigrams))
        counts = [n + 1 for n in map(count.__getitem__, toks)]
        counts[0] -= 1  # the first token has no bigram
        return weights, counts


@cache
def _shipped() -> Classifier:
    text = resources.files("seawall").joinpath(MODEL_FILE).read_text("utf-8")
    return Classifier.from_json(text)


def _sigmoid(z: float) -> float:
    if z < -40:
        return 0.0
    if z > 40:
        return 1.0
    return 1.0 / (1.0 + math.exp(-z))
