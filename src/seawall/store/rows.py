"""Call records to table rows and back: the one place that knows both shapes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from seawall.telemetry.records import AttemptRecord, CallRecord

_ATTEMPT_FIELDS = frozenset(f.name for f in fields(AttemptRecord))


def record_to_row(record: CallRecord) -> dict[str, Any]:
    """The ``calls`` row of a record (also its plain-JSON form)."""
    return {
        "trace_id": record.trace_id,
        "started_at": record.started_at,
        "model": record.model,
        "stream": record.stream,
        "status_code": record.status_code,
        "outcome": record.outcome,
        "error_code": record.error_code,
        "error_message": record.error_message,
        "upstream": record.upstream,
        "retries": record.retries,
        "fallback": record.fallback,
        "latency_ms": record.latency_ms,
        "ttft_ms": record.ttft_ms,
        "overhead_ms": record.overhead_ms,
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "cost_usd": record.cost_usd,
        "validation": record.validation,
        "degraded": record.degraded,
        "tenant": record.tenant,
        "key_id": record.key_id,
        "prompt": record.prompt,
        "release": record.release,
        "confidence": record.confidence,
        "review_id": record.review_id,
        "attempts": [attempt.as_dict() for attempt in record.attempts],
        "request": record.request,
        "response": record.response,
        "extra": record.extra,
    }


def row_to_record(row: Mapping[Any, Any]) -> CallRecord:
    """A record from a ``calls`` row (payload columns may be missing from the row)."""
    return CallRecord(
        trace_id=row["trace_id"],
        started_at=row["started_at"],
        model=row["model"],
        stream=bool(row["stream"]),
        status_code=row["status_code"],
        outcome=row["outcome"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        upstream=row["upstream"],
        attempts=[_attempt(item) for item in row["attempts"] or []],
        retries=row["retries"],
        fallback=bool(row["fallback"]),
        latency_ms=row["latency_ms"],
        ttft_ms=row["ttft_ms"],
        overhead_ms=row["overhead_ms"],
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        cost_usd=row["cost_usd"],
        validation=row["validation"],
        degraded=bool(row["degraded"]),
        tenant=row["tenant"],
        key_id=row["key_id"],
        prompt=row.get("prompt"),
        release=row.get("release"),
        confidence=row.get("confidence"),
        review_id=row.get("review_id"),
        request=row.get("request"),
        response=row.get("response"),
        extra=row["extra"] or {},
    )


def _attempt(item: Mapping[str, Any]) -> AttemptRecord:
    # Unknown keys are ignored so rows written by a newer Seawall still read in an older one.
    return AttemptRecord(**{k: v for k, v in item.items() if k in _ATTEMPT_FIELDS})
