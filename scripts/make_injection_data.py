#!/usr/bin/env python3
"""Generate the injection classifier's training data (src/seawall/data/injection/train.jsonl).

Every line is authored here for this repository: templates and word pools written by hand,
combined by a seeded ``random.Random`` so the output is identical on every run. No public
red-team corpus is used. The held-out evaluation set (tests/data/guards/
injection_labelled.jsonl) is written separately, with other phrasings and topics.

    .venv/bin/python scripts/make_injection_data.py            # writes train.jsonl
    .venv/bin/python scripts/make_injection_data.py --check    # exit 1 if it would change
"""

from __future__ import annotations

import argparse
import base64
import codecs
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

from injection_pools import attacks, benign

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "seawall" / "data" / "injection" / "train.jsonl"
SEED = 20240611

Maker = Callable[[random.Random], str]


def leet(text: str) -> str:
    """Leetspeak spelling, as an attacker would type it."""
    return text.translate(str.maketrans("aeiost", "4310$7"))


def spaced(text: str) -> str:
    """Letters spaced out, words separated by three spaces."""
    return "   ".join(" ".join(word) for word in text.split())


def zero_width(text: str, rng: random.Random) -> str:
    """A zero-width space inside most words."""
    out = []
    for word in text.split(" "):
        cut = rng.randint(1, max(1, len(word) - 1))
        out.append(word[:cut] + "\u200b" + word[cut:])
    return " ".join(out)


def confusable(text: str) -> str:
    """Cyrillic look-alikes for a, e, o, i, c, p."""
    return text.translate(str.maketrans("aeoicp", "аеоіср"))


def obfuscated(rng: random.Random) -> str:
    """An override attack hidden by one of the obfuscations the normaliser undoes."""
    plain = attacks.override(rng)
    kind = rng.randrange(8)
    if kind == 0:
        blob = base64.b64encode(plain.encode()).decode()
        return rng.choice(attacks.DECODE_LEADS).format(kind="base64", blob=blob)
    if kind == 1:
        return rng.choice(attacks.DECODE_LEADS).format(kind="hex", blob=plain.encode().hex())
    if kind == 2:
        lead = rng.choice(attacks.DECODE_LEADS)
        return lead.format(kind="rot13", blob=codecs.encode(plain, "rot13"))
    if kind == 3:
        return leet(plain)
    if kind == 4:
        return spaced(plain.rstrip("."))
    if kind == 5:
        return zero_width(plain, rng)
    if kind == 6:
        return confusable(plain)
    return plain.replace(" ", "%20")


ATTACKS: list[tuple[str, Maker, int]] = [
    ("instruction_override", attacks.override, 520),
    ("instruction_override", attacks.override_paraphrase, 260),
    ("role_hijack", attacks.role, 420),
    ("system_prompt_extraction", attacks.extraction, 380),
    ("delimiter_attack", attacks.delimiter, 260),
    ("format_attack", attacks.hidden_in_document, 320),
    ("tool_abuse", attacks.tool, 300),
    ("obfuscation", obfuscated, 200),
    ("embedded", attacks.embedded, 240),
]
BENIGN: list[tuple[str, Maker, int]] = [
    ("benign_request", benign.request, 900),
    ("benign_document", benign.document, 380),
    ("hard_ignore", benign.ignore_lookalike, 260),
    ("hard_prompting", benign.prompt_engineering, 240),
    ("hard_security", benign.security_discussion, 240),
    ("hard_roleplay", benign.roleplay, 200),
    ("hard_markup", benign.markup, 220),
    ("hard_tools", benign.tools, 220),
    ("hard_encoding", benign.encodings, 140),
    ("hard_misc", benign.misc_lookalike, 240),
    ("hard_neutral_commands", benign.neutral_commands, 500),
    ("hard_rules_talk", benign.rules_and_systems, 400),
    ("hard_imperative_docs", benign.imperative_document, 300),
    ("hard_technical", benign.technical, 200),
]


# Documents and delimiter tricks are not chat messages: no greeting around them.
UNWRAPPED = {
    "benign_document", "delimiter_attack", "format_attack", "embedded", "hard_markup",
    "hard_imperative_docs", "hard_technical",
}  # fmt: skip


def generate() -> list[dict[str, object]]:
    """All training rows, deduplicated, in a stable order."""
    rng = random.Random(SEED)
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for label, table in ((True, ATTACKS), (False, BENIGN)):
        for category, maker, count in table:
            made = tries = 0
            while made < count and tries < count * 20:
                tries += 1
                text = maker(rng).strip()
                if category not in UNWRAPPED and rng.random() < 0.5:
                    text = benign.wrap(rng, text).strip()
                if text in seen:
                    continue
                seen.add(text)
                rows.append({"text": text, "injection": label, "category": category})
                made += 1
    rng.shuffle(rows)
    return rows


def render(rows: list[dict[str, object]]) -> str:
    """The JSONL text (one compact object per line)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file would change")
    args = parser.parse_args()
    text = render(generate())
    if args.check:
        current = OUT.read_text("utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT}: out of date; run scripts/make_injection_data.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, "utf-8")
    print(f"wrote {OUT} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
