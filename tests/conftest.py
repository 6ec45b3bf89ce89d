"""Test-suite root: makes ``helpers`` (and ``src`` when not installed) importable."""

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parent
for path in (_TESTS, _TESTS.parent / "src"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
