"""evals: eval runs, per-sample results and the eval output cache

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A frozen copy of the tables as they were at this revision: never import schema here.
    op.create_table(
        "eval_runs",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("suite", sa.String(), nullable=False),
        sa.Column("suite_path", sa.String(), nullable=True),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("cases", sa.JSON(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_eval_runs"),
    )
    op.create_index("ix_eval_runs_suite_started_at", "eval_runs", ["suite", "started_at"])
    op.create_table(
        "eval_results",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("sample", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("assertions", sa.JSON(), nullable=False),
        sa.Column("latency_ms", sa.Double(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Double(), nullable=True),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["eval_runs.run_id"],
            name="fk_eval_results_run_id_eval_runs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "case_id", "sample", name="pk_eval_results"),
    )
    op.create_table(
        "eval_cache",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("output", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_eval_cache"),
    )


def downgrade() -> None:
    op.drop_table("eval_cache")
    op.drop_table("eval_results")
    op.drop_table("eval_runs")
