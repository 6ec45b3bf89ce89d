#!/usr/bin/env python3
"""Train the prompt-injection classifier: train.jsonl -> model.json (deterministic).

    .venv/bin/python scripts/train_injection.py            # writes model.json
    .venv/bin/python scripts/train_injection.py --check    # exit 1 if model.json is stale

The same data and settings give a byte-identical model file (seeded shuffle, pure Python,
fixed iteration order, rounded weights). The model records the sha256 of the data it was
trained on, so a test can tell when train.jsonl changed without the model being retrained.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from seawall.guards.injection.training import TrainSettings, data_digest, train

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "seawall" / "data" / "injection"


def load_examples(raw: bytes) -> list[tuple[str, bool]]:
    """``(text, is_injection)`` pairs from JSONL bytes."""
    rows = (json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip())
    return [(row["text"], bool(row["injection"])) for row in rows]


def build(raw: bytes, settings: TrainSettings | None = None) -> str:
    """The model file text for training data ``raw``."""
    model = train(load_examples(raw), settings)
    model["meta"]["train_sha256"] = data_digest(raw)
    return json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA / "train.jsonl")
    parser.add_argument("--out", type=Path, default=DATA / "model.json")
    parser.add_argument("--check", action="store_true", help="fail if the model is stale")
    args = parser.parse_args()
    try:
        raw = args.data.read_bytes()
    except OSError as exc:
        print(f"{args.data}: cannot read ({exc.strerror})", file=sys.stderr)
        return 2
    started = time.perf_counter()
    text = build(raw)
    took = time.perf_counter() - started
    if args.check:
        current = args.out.read_text("utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out}: stale; run scripts/train_injection.py", file=sys.stderr)
            return 1
        print(f"{args.out}: up to date ({took:.1f} s to retrain)")
        return 0
    args.out.write_text(text, "utf-8")
    print(f"wrote {args.out} ({len(text) / 1024:.0f} KB, trained in {took:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
