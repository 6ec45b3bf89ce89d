"""Eval runs, their per-sample results, and the output cache of the eval runner."""

from __future__ import annotations

import sqlalchemy as sa

from seawall.store.schema.base import metadata

# One row per run of a suite. ``cases`` (ids, tags) and ``thresholds`` are kept with the run so
# reports and comparisons work after the YAML changed; ``summary`` serves `eval list` without
# reading every result.
eval_runs = sa.Table(
    "eval_runs",
    metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("suite", sa.String(), nullable=False),
    sa.Column("suite_path", sa.String(), nullable=True),
    sa.Column("target", sa.String(), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # complete | interrupted
    sa.Column("started_at", sa.Double(), nullable=False),  # unix seconds
    sa.Column("finished_at", sa.Double(), nullable=True),
    sa.Column("samples", sa.Integer(), nullable=False),
    sa.Column("seed", sa.BigInteger(), nullable=False),
    sa.Column("cases", sa.JSON(), nullable=False),
    sa.Column("thresholds", sa.JSON(), nullable=False),
    sa.Column("summary", sa.JSON(), nullable=False),
    # A prompt target: the prompt and the version its reference resolved to, so
    # `--baseline production` finds the newest run of the version labelled production now.
    sa.Column("prompt", sa.String(), nullable=True),
    sa.Column("prompt_version", sa.Integer(), nullable=True),
    sa.Index(None, "suite", "started_at"),  # `eval list --suite`, `--baseline latest`
)

# One row per sample of a case in a run.
eval_results = sa.Table(
    "eval_results",
    metadata,
    sa.Column(
        "run_id",
        sa.String(32),
        sa.ForeignKey("eval_runs.run_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("case_id", sa.String(), primary_key=True),
    sa.Column("sample", sa.Integer(), primary_key=True),
    sa.Column("status", sa.String(8), nullable=False),  # pass | fail | error
    sa.Column("score", sa.Double(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("output", sa.Text(), nullable=True),
    sa.Column("assertions", sa.JSON(), nullable=False),  # judge reasons included
    sa.Column("latency_ms", sa.Double(), nullable=True),
    sa.Column("prompt_tokens", sa.Integer(), nullable=False),
    sa.Column("completion_tokens", sa.Integer(), nullable=False),
    sa.Column("cost_usd", sa.Double(), nullable=True),
    sa.Column("cached", sa.Boolean(), nullable=False),
    sa.Column("trace_id", sa.String(32), nullable=True),  # the call record, when in process
    sa.Column("confidence", sa.Double(), nullable=True),  # the pipeline's, for --calibration
)

# Model outputs by (target version, case, sample): an unchanged suite reruns for free. The key
# is a sha256 over everything that shapes the answer, so a changed prompt or param never hits.
eval_cache = sa.Table(
    "eval_cache",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("output", sa.JSON(), nullable=False),
)
