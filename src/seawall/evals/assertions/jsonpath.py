"""A small JSONPath subset for assertions: ``$.a.b``, ``$.items[0]``, ``$['odd key']``.

No wildcards or filters: an assertion names one value, and a path that could match several
would make "equals" ambiguous.
"""

from __future__ import annotations

import re
from typing import Any

_STEP = re.compile(r"""\.([A-Za-z_][\w-]*)|\[(-?\d+)\]|\[(?:'([^']*)'|"([^"]*)")\]""")

Step = str | int


class Missing(Exception):
    """The path leads nowhere in this document."""


def parse_path(path: str) -> list[Step]:
    """The steps of ``path``; raises ``ValueError`` naming the first character not understood."""
    if not path.startswith("$"):
        raise ValueError("a JSON path starts with '$', e.g. $.answer or $.items[0].name")
    steps: list[Step] = []
    at = 1
    while at < len(path):
        found = _STEP.match(path, at)
        if found is None:
            raise ValueError(f"cannot read the JSON path {path!r} from position {at}")
        name, index, single, double = found.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(next(s for s in (name, single, double) if s is not None))
        at = found.end()
    return steps


def lookup(document: Any, steps: list[Step]) -> Any:
    """The value at ``steps``; raises ``Missing`` saying where the path stopped."""
    value = document
    for done, step in enumerate(steps):
        value = _step(value, step, steps[: done + 1])
    return value


def _step(value: Any, step: Step, so_far: list[Step]) -> Any:
    if isinstance(step, int):
        if isinstance(value, list) and -len(value) <= step < len(value):
            return value[step]
    elif isinstance(value, dict) and step in value:
        return value[step]
    raise Missing(f"nothing at {render(so_far)}")


def render(steps: list[Step]) -> str:
    """Steps written back as a path: ``$.a[0].b``."""
    out = "$"
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else f".{step}"
    return out
