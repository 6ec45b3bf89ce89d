"""Eval runs, results and cached outputs in the SQL store (SQLite or PostgreSQL).

The store is the deployment's (``store.url``), so runs are shared by everyone who gates on
them, and ``eval list`` on a laptop shows the runs CI made against the same database.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.evals.results import AssertionResult, CaseInfo, Run, SampleResult
from seawall.store.engine import create_engine, ensure_sqlite_dir, sqlite_path
from seawall.store.migrate import upgrade_engine
from seawall.store.schema.evals import eval_cache, eval_results, eval_runs

_KEYS_PER_QUERY = 500  # bound the IN (...) list: SQLite caps bound parameters


class RunLookupError(Exception):
    """The run id (or prefix) names no run, or more than one."""


@dataclass(frozen=True, slots=True)
class RunRow:
    """A run as ``eval list`` shows it: identity and summary, without results."""

    run_id: str
    suite: str
    target: str
    fingerprint: str
    status: str
    started_at: float
    finished_at: float | None
    samples: int
    summary: dict[str, Any]


class EvalStore:
    """Runs and the output cache over SQLAlchemy Core (aiosqlite or asyncpg)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    async def open(cls, url: str, *, create: bool = True) -> EvalStore:
        """Open the store at ``url`` and bring its schema up to date.

        ``create=False`` refuses to create a SQLite file that does not exist yet (for commands
        that only read: a mistyped path must not leave an empty database behind).
        """
        path = sqlite_path(url)
        if not create and path is not None and not path.exists():
            raise FileNotFoundError(f"{path} does not exist (no runs yet, or another --store?)")
        ensure_sqlite_dir(url)
        engine = create_engine(url)
        try:
            await upgrade_engine(engine)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def aclose(self) -> None:
        await self._engine.dispose()

    # ----------------------------------------------------------------------- runs

    async def save_run(self, run: Run, summary: dict[str, Any]) -> None:
        """Store ``run`` and its results in one transaction (replacing an earlier save)."""
        row = {
            "run_id": run.run_id,
            "suite": run.suite,
            "suite_path": run.suite_path,
            "target": run.target,
            "fingerprint": run.fingerprint,
            "status": run.status,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "samples": run.samples,
            "seed": run.seed,
            "cases": [_case_json(c) for c in run.cases],
            "thresholds": run.thresholds,
            "summary": summary,
            "prompt": run.prompt,
            "prompt_version": run.prompt_version,
        }
        async with self._engine.begin() as conn:
            await conn.execute(eval_results.delete().where(eval_results.c.run_id == run.run_id))
            await conn.execute(eval_runs.delete().where(eval_runs.c.run_id == run.run_id))
            await conn.execute(eval_runs.insert(), [row])
            if run.results:
                await conn.execute(
                    eval_results.insert(), [_result_row(run.run_id, r) for r in run.results]
                )

    async def get_run(self, run_id: str) -> Run:
        """The run with this id, or the only run whose id starts with it."""
        found = await self.resolve_run_id(run_id)
        async with self._engine.connect() as conn:
            row = (
                (await conn.execute(sa.select(eval_runs).where(eval_runs.c.run_id == found)))
                .mappings()
                .one()
            )
            query = sa.select(eval_results).where(eval_results.c.run_id == found)
            results = (await conn.execute(query)).mappings().all()
        return _run(row, [_sample(r) for r in results])

    async def resolve_run_id(self, run_id: str) -> str:
        query = (
            sa.select(eval_runs.c.run_id)
            .where(eval_runs.c.run_id.startswith(run_id, autoescape=True))
            .order_by(eval_runs.c.run_id)
            .limit(6)
        )
        async with self._engine.connect() as conn:
            found = [str(r) for r in (await conn.execute(query)).scalars()]
        if run_id in found:
            return run_id
        if not found or not run_id:
            raise RunLookupError(f"no eval run with id {run_id!r}")
        if len(found) > 1:
            raise RunLookupError(f"run id prefix {run_id!r} is ambiguous: {', '.join(found)}")
        return found[0]

    async def list_runs(self, suite: str | None = None, limit: int = 20) -> list[RunRow]:
        """Newest first."""
        query = sa.select(*(eval_runs.c[name] for name in RunRow.__dataclass_fields__))
        if suite is not None:
            query = query.where(eval_runs.c.suite == suite)
        query = query.order_by(eval_runs.c.started_at.desc()).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [RunRow(**row) for row in rows]

    async def latest_run_id(
        self,
        suite: str,
        *,
        exclude: str | None = None,
        prompt: str | None = None,
        prompt_version: int | None = None,
    ) -> str | None:
        """The newest complete run of ``suite`` (other than ``exclude``).

        With ``prompt`` and ``prompt_version``: only runs whose target resolved to that version.
        """
        query = sa.select(eval_runs.c.run_id).where(
            eval_runs.c.suite == suite, eval_runs.c.status == "complete"
        )
        if prompt is not None:
            query = query.where(eval_runs.c.prompt == prompt)
        if prompt_version is not None:
            query = query.where(eval_runs.c.prompt_version == prompt_version)
        if exclude is not None:
            query = query.where(eval_runs.c.run_id != exclude)
        query = query.order_by(eval_runs.c.started_at.desc()).limit(1)
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).scalar_one_or_none()
        return None if found is None else str(found)

    # ----------------------------------------------------------------------- output cache

    async def cached_outputs(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The cached outputs among ``keys``, by key."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, dict[str, Any]] = {}
        async with self._engine.connect() as conn:
            for start in range(0, len(wanted), _KEYS_PER_QUERY):
                chunk = wanted[start : start + _KEYS_PER_QUERY]
                query = sa.select(eval_cache.c.key, eval_cache.c.output).where(
                    eval_cache.c.key.in_(chunk)
                )
                found.update((key, output) for key, output in await conn.execute(query))
        return found

    async def cache_outputs(self, outputs: dict[str, dict[str, Any]]) -> None:
        """Store outputs by key; a key already stored keeps its first output."""
        if not outputs:
            return
        now = time.time()
        rows = [{"key": k, "created_at": now, "output": v} for k, v in outputs.items()]
        insert = _insert_ignoring_duplicates(self._engine.dialect.name)
        async with self._engine.begin() as conn:
            await conn.execute(insert, rows)


def _insert_ignoring_duplicates(dialect: str) -> sa.Insert:
    if dialect == "postgresql":
        return postgresql.insert(eval_cache).on_conflict_do_nothing(index_elements=["key"])
    return sqlite.insert(eval_cache).on_conflict_do_nothing(index_elements=["key"])


def _case_json(case: CaseInfo) -> dict[str, Any]:
    return {"id": case.id, "tags": list(case.tags), "description": case.description}


def _result_row(run_id: str, result: SampleResult) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "case_id": result.case_id,
        "sample": result.sample,
        "status": result.status,
        "score": result.score,
        "reason": result.reason,
        "output": result.output,
        "assertions": [a.as_json() for a in result.assertions],
        "latency_ms": result.latency_ms,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "cost_usd": result.cost_usd,
        "cached": result.cached,
        "trace_id": result.trace_id,
        "confidence": result.confidence,
    }


def _sample(row: Any) -> SampleResult:
    return SampleResult(
        case_id=row["case_id"],
        sample=row["sample"],
        status=row["status"],
        score=row["score"],
        reason=row["reason"],
        output=row["output"],
        assertions=tuple(AssertionResult(**a) for a in row["assertions"]),
        latency_ms=row["latency_ms"],
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        cost_usd=row["cost_usd"],
        cached=bool(row["cached"]),
        trace_id=row["trace_id"],
        confidence=row["confidence"],
    )


def _run(row: Any, results: Sequence[SampleResult]) -> Run:
    cases = [
        CaseInfo(c["id"], tuple(c.get("tags") or ()), c.get("description")) for c in row["cases"]
    ]
    order = {case.id: i for i, case in enumerate(cases)}
    ordered = sorted(results, key=lambda r: (order.get(r.case_id, len(order)), r.sample))
    return Run(
        run_id=row["run_id"],
        suite=row["suite"],
        target=row["target"],
        fingerprint=row["fingerprint"],
        started_at=row["started_at"],
        samples=row["samples"],
        seed=row["seed"],
        cases=cases,
        thresholds=row["thresholds"],
        status=row["status"],
        finished_at=row["finished_at"],
        suite_path=row["suite_path"],
        results=ordered,
        prompt=row["prompt"],
        prompt_version=row["prompt_version"],
    )
