"""Grow a suite: write a new case into its YAML, comments and layout preserved.

``add_case`` is the one way cases are added (``eval add-case --from-trace``, later the review
queue). The case is validated with the suite before the file is touched, and the file is
replaced atomically, so a suite is never left half-written.
"""

from __future__ import annotations

import io
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from seawall.evals.assertions.specs import ASSERTION_TAGS, AssertionSpec
from seawall.evals.load import load_suite
from seawall.evals.suite import Case
from seawall.telemetry.records import CallRecord

_SPEC = TypeAdapter(AssertionSpec)
# The field that ``--expect TYPE:VALUE`` fills, per assertion type.
_MAIN_FIELD = {
    "equals": "value",
    "contains": "value",
    "icontains": "value",
    "not_contains": "value",
    "starts_with": "value",
    "regex": "pattern",
    "similarity": "reference",
    "llm_judge": "rubric",
    "python": "function",
    "latency": "max_ms",
    "cost": "max_usd",
}


class AddCaseError(Exception):
    """The case cannot be added; the message says why."""


def add_case(suite_path: str | Path, case: dict[str, Any], *, comment: str | None = None) -> None:
    """Append ``case`` to the suite's ``cases``, keeping the file's comments and layout."""
    path = Path(suite_path)
    loaded = load_suite(path)  # the suite must be valid before it grows
    try:
        new = Case.model_validate(case)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "case"
        raise AddCaseError(f"the new case is not valid: {where}: {first['msg']}") from exc
    if any(c.id == new.id for c in loaded.suite.cases):
        raise AddCaseError(
            f"{path} already has a case with id '{new.id}' (choose another with --id)"
        )
    document, round_trip = _read(path)
    cases = document["cases"]
    cases.append(_commented(case))
    if comment:
        cases.yaml_set_comment_before_after_key(
            len(cases) - 1, before=comment, indent=_indent(cases)
        )
    out = io.StringIO()
    round_trip.dump(document, out)
    _replace(path, out.getvalue())
    load_suite(path)  # proves the written file reads back as a valid suite


def case_from_trace(
    record: CallRecord,
    expect: list[dict[str, Any]],
    *,
    case_id: str | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """A regression case that replays the recorded call's messages with new expectations."""
    request = record.request
    messages = request.get("messages") if isinstance(request, dict) else None
    if not isinstance(messages, list) or not messages:
        raise AddCaseError(
            f"trace {record.trace_id} has no stored request messages (store.store_payloads was "
            "off when it was recorded)"
        )
    if not expect:
        raise AddCaseError("say what the answer must do: at least one --expect")
    return {
        "id": case_id or f"trace-{record.trace_id[:12]}",
        "description": f"from trace {record.trace_id} ({record.model}, {_date(record.started_at)})",
        "tags": list(dict.fromkeys(["regression", *(tags or [])])),
        "messages": [
            {"role": m.get("role"), "content": _text(m.get("content"))}
            for m in messages
            if isinstance(m, dict) and m.get("role") in ("system", "developer", "user", "assistant")
        ],
        "assert": expect,
    }


def parse_expect(text: str) -> dict[str, Any]:
    """An assertion from ``TYPE:VALUE``, ``TYPE`` alone, or a YAML/JSON mapping ``{type: ...}``."""
    raw: Any
    if text.lstrip().startswith("{"):
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise AddCaseError(f"--expect {text!r}: not a YAML mapping: {exc}") from exc
    else:
        kind, sep, value = text.partition(":")
        kind = kind.strip()
        raw = {"type": kind}
        if kind not in ASSERTION_TAGS:
            known = ", ".join(sorted(ASSERTION_TAGS))
            raise AddCaseError(
                f"--expect {text!r}: unknown assertion type '{kind}' (known: {known})"
            )
        if sep:
            if kind not in _MAIN_FIELD:
                raise AddCaseError(
                    f"--expect {text!r}: {kind} takes no value; use {{type: {kind}, ...}}"
                )
            field = _MAIN_FIELD[kind]
            raw[field] = float(value) if field in ("max_ms", "max_usd") else value
    try:
        _SPEC.validate_python(raw)
    except (ValidationError, ValueError) as exc:
        raise AddCaseError(f"--expect {text!r}: {_first_error(exc)}") from exc
    return dict(raw)


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"][1:])
        return f"{where + ': ' if where else ''}{err['msg']}"
    return str(exc)


def _read(path: Path) -> tuple[Any, YAML]:
    round_trip = YAML()
    round_trip.preserve_quotes = True
    round_trip.width = 4096  # never re-wrap a user's long lines
    document = round_trip.load(path.read_text("utf-8"))
    if not isinstance(document, CommentedMap) or not isinstance(
        document.get("cases"), CommentedSeq
    ):
        raise AddCaseError(f"{path}: 'cases' is not a list")
    round_trip.indent(**_layout(document))
    return document, round_trip


def _layout(document: CommentedMap) -> dict[str, int]:
    """The indentation the file already uses (ruamel re-indents everything to its settings)."""
    mapping = next(
        (v.lc.col for v in document.values() if isinstance(v, CommentedMap) and v.lc.col), 2
    )
    cases = document["cases"]
    dash = int(cases.lc.col) if cases else 2  # column of the "-" of each case
    return {"mapping": int(mapping), "sequence": dash + 2, "offset": dash}


def _indent(cases: CommentedSeq) -> int:
    return int(cases.lc.col) if cases else 2


def _commented(value: Any) -> Any:
    """Plain data as ruamel nodes; short lists of scalars in flow style, like hand-written YAML."""
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = _commented(item)
        return node
    if isinstance(value, list):
        seq = CommentedSeq(_commented(item) for item in value)
        if all(isinstance(item, str | int | float | bool) for item in value) and len(value) <= 8:
            seq.fa.set_flow_style()
        return seq
    return value


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else orjson.dumps(content).decode()


def _date(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")


def _replace(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
