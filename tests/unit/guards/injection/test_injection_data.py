"""The held-out labelled set: its shape, and that it shares nothing with the training data."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

from seawall.guards.injection import normalize

ROOT = Path(__file__).resolve().parents[4]
LABELLED = ROOT / "tests" / "data" / "guards" / "injection_labelled.jsonl"
TRAIN = ROOT / "src" / "seawall" / "data" / "injection" / "train.jsonl"
ATTACK_CATEGORIES = {
    "instruction_override", "role_hijack", "system_prompt_extraction", "delimiter_attack",
    "format_attack", "tool_abuse", "novel_phrasing", "embedded",
}  # fmt: skip


def rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def canonical(text: str) -> str:
    """Case, width, spacing and punctuation folded away."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(re.findall(r"[^\W_]+", text))


def shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = canonical(normalize(text).text).split()  # "i-g-n-o-r-e" is one word, not six
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_labelled_set_shape() -> None:
    data = rows(LABELLED)
    assert len(data) >= 300
    assert all(set(r) == {"text", "injection", "category"} for r in data)
    assert all(isinstance(r["injection"], bool) and r["text"] for r in data)
    benign = sum(1 for r in data if not r["injection"])
    assert benign >= 0.4 * len(data)
    categories = Counter(str(r["category"]) for r in data if r["injection"])
    assert set(categories) >= ATTACK_CATEGORIES
    assert sum(n for c, n in categories.items() if c.startswith("obfuscation_")) >= 30
    assert len({str(r["text"]) for r in data}) == len(data)


def test_no_exact_or_normalised_overlap_with_training_data() -> None:
    train = rows(TRAIN)
    train_exact = {str(r["text"]) for r in train}
    train_canonical = {canonical(str(r["text"])) for r in train}
    for row in rows(LABELLED):
        text = str(row["text"])
        assert text not in train_exact, text
        assert canonical(text) not in train_canonical, text


def test_no_long_passage_is_shared_with_training_data() -> None:
    # Near-duplicates would share a run of eight words; none may.
    train_shingles: set[tuple[str, ...]] = set()
    for row in rows(TRAIN):
        train_shingles |= shingles(str(row["text"]))
    shared = [r["text"] for r in rows(LABELLED) if shingles(str(r["text"])) & train_shingles]
    assert shared == []
