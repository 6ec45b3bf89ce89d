#!/usr/bin/env python3
"""PII guard: accuracy on the labelled set and scan speed on 1 KB and 20 KB texts.

    .venv/bin/python bench/guard_pii.py            # accuracy table + throughput
    .venv/bin/python bench/guard_pii.py --errors   # also list every miss and false positive

Accuracy: ``tests/data/guards/pii_labelled.jsonl`` (synthetic, hand-written: positives and hard
negatives in several languages). A finding matches a label when the type is the same and the
spans overlap. Per type: precision (findings that match a label), recall (labels matched by a
finding) and false-positive rate (texts without a label of that type that still get a finding
of that type, over all texts without a label of that type). ``person`` is not measured (it
needs the optional spaCy extra). The set was written by the detector's author, hard cases
included on purpose: read the figures as optimistic and the ``--errors`` list as the
informative part.

Speed: texts built by concatenating ordinary chat prose (or, for "stress", the set's hard
negatives: numbers, codes, dates, versions) with a few of the set's PII lines, seeded. "cold"
clears the phone-validation cache before every text (a text never seen before); "repeat"
scans each text a second time, as happens when a chat request re-sends the conversation.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from seawall.guards import pii_phone  # noqa: E402
from seawall.guards.findings import Finding  # noqa: E402
from seawall.guards.pii import PII_TYPES, PiiDetector  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "guards" / "pii_labelled.jsonl"
TYPES = [t for t in PII_TYPES if t != "person"]


def load() -> list[tuple[str, list[Finding]]]:
    rows = []
    for line in LABELLED.read_text("utf-8").splitlines():
        row = json.loads(line)
        labels = [Finding(p["start"], p["end"], p["type"]) for p in row["pii"]]
        rows.append((row["text"], labels))
    return rows


def _overlaps(a: Finding, b: Finding) -> bool:
    return a.type == b.type and a.start < b.end and b.start < a.end


def accuracy(detector: PiiDetector, rows: list[tuple[str, list[Finding]]], errors: bool) -> None:
    found_n: Counter[str] = Counter()
    found_ok: Counter[str] = Counter()
    label_n: Counter[str] = Counter()
    label_ok: Counter[str] = Counter()
    clean_n: Counter[str] = Counter()
    clean_flagged: Counter[str] = Counter()
    for text, labels in rows:
        found = detector.scan(text)
        for f in found:
            found_n[f.type] += 1
            if any(_overlaps(f, label) for label in labels):
                found_ok[f.type] += 1
            elif errors:
                print(f"FP   {f.type:15s} {text[f.start : f.end]!r:40s} in {text[:70]!r}")
        for label in labels:
            label_n[label.type] += 1
            if any(_overlaps(label, f) for f in found):
                label_ok[label.type] += 1
            elif errors:
                print(
                    f"MISS {label.type:15s} {text[label.start : label.end]!r:40s} in {text[:70]!r}"
                )
        for kind in TYPES:
            if not any(label.type == kind for label in labels):
                clean_n[kind] += 1
                clean_flagged[kind] += any(f.type == kind for f in found)
    print(f"labelled set: {len(rows)} texts, {sum(label_n.values())} labelled spans\n")
    print(
        f"{'type':16s} {'labels':>6s} {'found':>6s} {'precision':>9s} {'recall':>7s} {'FP rate':>8s}"
    )
    for kind in TYPES:
        precision = found_ok[kind] / found_n[kind] if found_n[kind] else float("nan")
        recall = label_ok[kind] / label_n[kind] if label_n[kind] else float("nan")
        fpr = clean_flagged[kind] / clean_n[kind] if clean_n[kind] else float("nan")
        print(
            f"{kind:16s} {label_n[kind]:6d} {found_n[kind]:6d} {precision:9.3f} {recall:7.3f}"
            f" {fpr:8.4f}"
        )
    all_found, all_labels = sum(found_n.values()), sum(label_n.values())
    print(
        f"{'all':16s} {all_labels:6d} {all_found:6d} {sum(found_ok.values()) / all_found:9.3f}"
        f" {sum(label_ok.values()) / all_labels:7.3f}"
    )


# Ordinary chat traffic: support, coding, meetings, with the numbers such text carries.
PROSE = [
    "Thanks for getting back to me so quickly, I really appreciate the help.",
    "The dashboard shows that latency went up after Tuesday's deploy, mostly on the search route.",
    "Could you summarise the attached contract in three bullet points for the legal team?",
    "We moved the weekly sync to Thursdays at 10:30 because half the team is in Berlin now.",
    "The invoice for March came to $1,240.50, which is about 8% more than February.",
    "I tried restarting the container twice but the worker still crashes after about 5 minutes.",
    "Here is the stack trace: ValueError: invalid literal for int() with base 10: 'abc'.",
    "Our roadmap for Q3 has four themes: reliability, cost, onboarding and the new reporting API.",
    "Please rewrite this paragraph so that it sounds friendlier but keeps the same meaning.",
    "The customer says the app logs them out every 15 minutes on Android 14 but not on iOS 17.",
    "Version 3.2.1 fixed the memory leak, but 3.2.2 brought back the timeout on large uploads.",
    "Let's compare the two vendors on price, support hours and how long a migration would take.",
    "The training run used 8 GPUs for 36 hours and reached 71.4% accuracy on the held-out set.",
    "Can you explain the difference between a mutex and a semaphore with a short example?",
    "My order arrived yesterday but one of the three items was missing from the box.",
    "We should add retries with exponential backoff and a circuit breaker around that call.",
    "In the meeting on 12 March we agreed to freeze the schema until the audit is done.",
    "The recipe says 200 g of flour, 2 eggs and 150 ml of milk, baked for 25 minutes at 180 °C.",
    "Write a short, polite reply declining the invitation and suggesting a call next month.",
    "Ich hätte gern eine Zusammenfassung des Berichts auf Deutsch, höchstens 200 Wörter.",
    "Pouvez-vous traduire ce message en anglais en gardant un ton professionnel ?",
    "El pedido llegó con retraso y el cliente pide un reembolso parcial del envío.",
    "The query scans 2.4 million rows; an index on (tenant_id, created_at) should fix that.",
    "Flight LH 401 leaves at 17:45, so we need to wrap up the workshop by 15:00 at the latest.",
]


def build_texts(
    rows: list[tuple[str, list[Finding]]], size: int, pii_items: int, n: int, stress: bool
) -> list[str]:
    """``n`` texts of ``size`` characters: prose (or the set's hard negatives) + PII lines."""
    rng = random.Random(size + stress)
    filler = [text for text, labels in rows if not labels] if stress else PROSE
    with_pii = [text for text, labels in rows if labels]
    texts = []
    for _ in range(n):
        parts = rng.sample(with_pii, pii_items)
        while sum(len(p) + 1 for p in parts) < size:
            parts.append(rng.choice(filler))
        rng.shuffle(parts)
        texts.append(" ".join(parts)[:size])
    return texts


def _timed(detector: PiiDetector, texts: list[str], cold: bool) -> tuple[list[float], float]:
    """Wall time per text (sorted) and the CPU time of the whole loop."""
    times, cpu = [], 0.0
    for text in texts:
        if cold:
            pii_phone._valid.cache_clear()
        else:
            detector.scan(text)
        c0, t0 = time.process_time(), time.perf_counter()
        detector.scan(text)
        times.append(time.perf_counter() - t0)
        cpu += time.process_time() - c0
    return sorted(times), cpu


SPEED_RUNS = (  # label, size, PII lines per text, texts, hard-negative filler
    ("1 KB prose", 1_000, 2, 2_000, False),
    ("20 KB prose", 20_000, 5, 300, False),
    ("1 KB stress", 1_000, 2, 2_000, True),
    ("20 KB stress", 20_000, 10, 300, True),
)


def speed(detector: PiiDetector, rows: list[tuple[str, list[Finding]]]) -> None:
    print(
        f"\n{'input':21s} {'texts':>6s} {'texts/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s}"
        f" {'max ms':>8s} {'cpu ms':>8s}"
    )
    for label, size, pii_items, n, stress in SPEED_RUNS:
        texts = build_texts(rows, size, pii_items, n, stress)
        for text in texts[:20]:
            detector.scan(text)  # warm-up: imports, lazy metadata of phonenumbers
        for mode in ("cold", "repeat"):
            times, cpu = _timed(detector, texts, cold=mode == "cold")
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(
                f"{label + ' ' + mode:21s} {n:6d} {n / sum(times):9.0f}"
                f" {statistics.median(times) * 1e3:8.3f} {p99 * 1e3:8.3f} {times[-1] * 1e3:8.3f}"
                f" {cpu / n * 1e3:8.3f}"
            )
    print("wall times per text; cpu = mean CPU time per text (less sensitive to a busy machine)")
    print("prose: ordinary chat sentences + PII lines; stress: the set's hard negatives (dense")
    print("with numbers, codes, dates, versions) + PII lines")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list misses and false positives")
    args = parser.parse_args()
    rows = load()
    detector = PiiDetector()
    accuracy(detector, rows, args.errors)
    speed(detector, rows)


if __name__ == "__main__":
    main()
