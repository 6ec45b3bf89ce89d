"""A user's own check, by import path: ``function(output, case)``."""

from __future__ import annotations

import inspect
from typing import Any

from seawall.evals.assertions.base import CheckContext, CheckError, result, short
from seawall.evals.assertions.specs import Python
from seawall.evals.results import AssertionResult, Output


async def python(spec: Python, output: Output, ctx: CheckContext) -> AssertionResult:
    """Call the user's function and read its answer."""
    function = ctx.plugins[spec.function]
    try:
        returned = function(output.text, ctx.case)
        if inspect.isawaitable(returned):
            returned = await returned
    except Exception as exc:  # a plugin's bug is an error of the check, not a failed case
        raise CheckError(f"{spec.function} raised {type(exc).__name__}: {exc}") from exc
    return interpret(spec, returned)


def interpret(spec: Python, returned: Any) -> AssertionResult:
    """bool, (bool, reason) or a score in [0, 1]; anything else is the plugin's error."""
    if isinstance(returned, bool):
        return result(spec, returned, f"{spec.function} returned false")
    if (
        isinstance(returned, tuple)
        and len(returned) == 2
        and isinstance(returned[0], bool)
        and isinstance(returned[1], str)
    ):
        return result(spec, returned[0], returned[1])
    if isinstance(returned, int | float) and 0 <= returned <= 1:
        score = float(returned)
        return result(
            spec, score >= spec.min_score, f"score {score:.2f} < {spec.min_score:g}", score
        )
    raise CheckError(
        f"{spec.function} returned {short(repr(returned), 60)}; expected a bool, "
        "(bool, reason) or a score between 0 and 1"
    )
