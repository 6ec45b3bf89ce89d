"""The call records table."""

from __future__ import annotations

import sqlalchemy as sa

from seawall.store.schema.base import metadata

# One row per call through the pipeline (telemetry.records.CallRecord). Free-text columns are
# unbounded so an odd model name never makes a row unstorable.
calls = sa.Table(
    "calls",
    metadata,
    sa.Column("trace_id", sa.String(32), primary_key=True),
    sa.Column("started_at", sa.Double(), nullable=False),  # unix seconds
    sa.Column("model", sa.String(), nullable=False),
    sa.Column("stream", sa.Boolean(), nullable=False),
    sa.Column("status_code", sa.Integer(), nullable=False),
    sa.Column("outcome", sa.String(), nullable=False),
    sa.Column("error_code", sa.String(), nullable=True),
    sa.Column("error_message", sa.Text(), nullable=True),
    sa.Column("upstream", sa.String(), nullable=True),
    sa.Column("retries", sa.Integer(), nullable=False),
    sa.Column("fallback", sa.Boolean(), nullable=False),
    sa.Column("latency_ms", sa.Double(), nullable=False),
    sa.Column("ttft_ms", sa.Double(), nullable=True),
    sa.Column("overhead_ms", sa.Double(), nullable=False),
    sa.Column("prompt_tokens", sa.Integer(), nullable=False),
    sa.Column("completion_tokens", sa.Integer(), nullable=False),
    sa.Column("cost_usd", sa.Double(), nullable=False),
    sa.Column("validation", sa.String(), nullable=False),
    sa.Column("degraded", sa.Boolean(), nullable=False),
    sa.Column("tenant", sa.String(), nullable=True),
    sa.Column("key_id", sa.String(), nullable=True),
    sa.Column("prompt", sa.String(), nullable=True),
    sa.Column("release", sa.String(), nullable=True),
    sa.Column("confidence", sa.Double(), nullable=True),
    sa.Column("review_id", sa.String(), nullable=True),
    sa.Column("attempts", sa.JSON(), nullable=False),
    # none_as_null: a call without stored payloads is SQL NULL, not the JSON literal null.
    sa.Column("request", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("response", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("extra", sa.JSON(), nullable=False),
    sa.Index(None, "started_at"),
    sa.Index(None, "model", "started_at"),  # `traces tail --model`, per-model dashboards
    sa.Index(None, "tenant", "started_at"),  # per-tenant views and retention
    sa.Index(None, "prompt", "release", "started_at"),  # canary windows, per-release views
)
