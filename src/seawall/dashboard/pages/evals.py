"""``/ui/evals``: eval runs; ``/ui/evals/{run_id}``: per-case results and the diff with a baseline."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from seawall.core.errors import NotFound
from seawall.dashboard.web import Dashboard, Viewer
from seawall.evals.compare import Comparison, compare_runs
from seawall.evals.results import Run
from seawall.evals.store import EvalStore, RunLookupError, RunRow
from seawall.evals.summary import summarize

LISTED = 50


async def listing(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """The newest runs of every suite (or of ``?suite=``)."""
    store = EvalStore(dashboard.engine)
    suite = request.query_params.get("suite") or None
    runs = await store.list_runs(suite, limit=LISTED)
    return dashboard.render(request, viewer, "evals.html", page="evals", runs=runs, suite=suite)


async def detail(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """One run: verdicts per case, thresholds, and the comparison with its baseline."""
    store = EvalStore(dashboard.engine)
    run = await _run(store, str(request.path_params["run_id"]))
    baseline_id = request.query_params.get("baseline") or await _previous(store, run)
    comparison: Comparison | None = None
    baseline: Run | None = None
    if baseline_id is not None and baseline_id != run.run_id:
        baseline = await _run(store, baseline_id)
        comparison = compare_runs(baseline, run)
    others = [r for r in await store.list_runs(run.suite, limit=LISTED) if r.run_id != run.run_id]
    return dashboard.render(
        request,
        viewer,
        "eval_run.html",
        page="evals",
        run=run,
        summary=comparison.candidate if comparison is not None else summarize(run),
        baseline=baseline,
        comparison=comparison,
        flips=_flips(comparison),
        others=others,
    )


async def _run(store: EvalStore, run_id: str) -> Run:
    try:
        return await store.get_run(run_id)
    except RunLookupError as exc:
        raise NotFound(str(exc)) from exc


async def _previous(store: EvalStore, run: Run) -> str | None:
    """The newest complete run of the same suite that started before ``run``."""
    earlier: list[RunRow] = [
        r
        for r in await store.list_runs(run.suite, limit=LISTED)
        if r.status == "complete" and r.started_at < run.started_at
    ]
    return earlier[0].run_id if earlier else None


def _flips(comparison: Comparison | None) -> dict[str, str]:
    """Case id -> ``regressed`` or ``improved`` against the baseline."""
    if comparison is None:
        return {}
    return {
        **{case: "regressed" for case in comparison.regressed},
        **{case: "improved" for case in comparison.improved},
    }
