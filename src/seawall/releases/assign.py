"""Sticky canary assignment: who is served the candidate while a release runs.

A subject (user or session id) hashes, with the prompt name and the release id, to a point in
[0, 1); the subject is on the canary when that point is below the canary share. The same
subject therefore always gets the same version during a release, and raising the share (10% to
20%) only adds subjects: everyone below 0.10 is also below 0.20. A new release has a new id,
so it reshuffles who goes first instead of always exposing the same users.
"""

from __future__ import annotations

import hashlib
import random
from typing import Literal

Arm = Literal["canary", "baseline"]

_SCALE = float(2**64)


def bucket(prompt: str, release_id: str, subject: str) -> float:
    """The subject's point in [0, 1) for this release: uniform, stable, independent per release."""
    # NUL separators keep ("ab", "c") and ("a", "bc") apart. 64 bits of sha256 give 2^-64
    # resolution; the largest value is (2^64 - 1) / 2^64 < 1, so the interval is half-open.
    digest = hashlib.sha256(f"{prompt}\0{release_id}\0{subject}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def assign(
    prompt: str,
    release_id: str,
    subject: str | None,
    share: float,
    rng: random.Random,
) -> Arm:
    """``"canary"`` when the subject falls inside the canary share, else ``"baseline"``."""
    # Edge cases: a share of 0 (or less, a rolled-back release) sends nobody to the canary and
    # a share of 1 (or more) everybody, whatever the hash. A call without a subject id cannot
    # be sticky, so it is drawn at random per call from ``rng`` (seeded in tests); such calls
    # still give the canary its share of traffic, but one person may see both versions.
    if share <= 0.0:
        return "baseline"
    if share >= 1.0:
        return "canary"
    point = rng.random() if not subject else bucket(prompt, release_id, subject)
    return "canary" if point < share else "baseline"
