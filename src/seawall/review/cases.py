"""A resolved review (or a correction) as a regression case for the prompt's eval suite.

The case replays the reviewed call (its prompt variables when the suite targets a prompt,
else its messages) and expects the person's answer: ``equals`` the approved or edited answer
(compared as JSON when the call had an output schema and the answer parses), or, for a
rejection, ``not_contains`` the rejected answer. ``evals.addcase.add_case`` writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from seawall.review.items import EDITED, REJECTED, ReviewItem

_CASE_ROLES = ("system", "developer", "user", "assistant")


class CaseError(ValueError):
    """The review cannot become a case; the message says why."""


def case_from_review(
    item: ReviewItem, *, use_vars: bool = False, case_id: str | None = None
) -> dict[str, Any]:
    """The eval case of a resolved item (``use_vars``: replay the prompt's variables)."""
    if not item.resolved:
        raise CaseError(f"review {item.id} is not resolved yet")
    if item.status == REJECTED:
        if not item.answer:
            raise CaseError(f"review {item.id} was rejected but has no answer to avoid")
        expect = {"type": "not_contains", "value": item.answer}
    else:
        if item.final_answer is None:
            raise CaseError(f"review {item.id} has no final answer")
        expect = expectation(item.final_answer, item.context)
    verb = "corrected" if item.status == EDITED else item.status
    return {
        "id": case_id or f"review-{item.id}",
        "description": f"{verb} by {item.resolved_by} in review {item.id}"
        + (f" (trace {item.trace_id})" if item.trace_id else "")
        + (f": {item.reason}" if item.reason else ""),
        "tags": ["regression", "review"],
        **replay(item.context, use_vars=use_vars, what=f"review {item.id}"),
        "assert": [expect],
    }


def case_from_correction(
    context: Mapping[str, Any],
    correction: str,
    *,
    case_id: str,
    use_vars: bool = False,
) -> dict[str, Any]:
    """The eval case of a user's correction of a call (``context``: ``CallContext.as_dict``)."""
    return {
        "id": case_id,
        "description": f"user correction of trace {context.get('trace_id')}",
        "tags": ["regression", "correction"],
        **replay(context, use_vars=use_vars, what=f"trace {context.get('trace_id')}"),
        "assert": [expectation(correction, context)],
    }


def expectation(answer: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """``equals`` the answer; as a JSON value when the call's output had a schema."""
    if context.get("output_schema") is not None:
        try:
            return {"type": "equals", "value": orjson.loads(answer)}
        except orjson.JSONDecodeError:
            pass  # a reviewer may type prose for a JSON route: expect the text then
    return {"type": "equals", "value": answer.strip()}


def replay(context: Mapping[str, Any], *, use_vars: bool, what: str) -> dict[str, Any]:
    """The ``vars`` or ``messages`` that ask the reviewed question again."""
    variables = context.get("variables")
    if use_vars:
        if not isinstance(variables, dict):
            raise CaseError(f"{what} has no prompt variables to replay (it was not a prompt run)")
        return {"vars": variables}
    messages = [
        {"role": m["role"], "content": _text(m.get("content"))}
        for m in context.get("messages") or []
        if isinstance(m, dict) and m.get("role") in _CASE_ROLES
    ]
    if not messages:
        raise CaseError(f"{what} has no stored messages to replay")
    return {"messages": messages}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else orjson.dumps(content).decode()
