"""The eval runner on the real in-process pipeline against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from seawall.configload import parse_config
from seawall.evals.backends import InProcessBackend
from seawall.evals.cache import MemoryCache
from seawall.evals.judging import BackendJudge
from seawall.evals.load import LoadedSuite, load_suite
from seawall.evals.results import Run, SampleResult
from seawall.evals.runner import Runner, new_run
from seawall.evals.suite import Message
from seawall.evals.targets import ModelTarget

CONFIG = """
store: {{url: "sqlite:///{db}"}}
providers:
  bot:
    kind: sim
    sim:
      seed: 5
      latency: {{fixed_ms: 2}}
      scenarios:
        - match: "(?i)order"
          reply_json: {{status: "shipped", eta_days: 3}}
          wrong_field: status
          wrong_rate: 0.3
        - match: "(?i)refund"
          reply: "Refunds are paid within 30 days."
        - match: "(?i)weird"
          reply: "a nonsense-judge trigger"
  judge:
    kind: sim
    sim:
      scenarios:
        - match: "(?s)OUTPUT:.*30 days"
          reply_json: {{score: 0.9, reason: "names the refund window"}}
        - match: "(?s)OUTPUT:.*nonsense-judge"
          reply: "I think it is fine"
        - match: "RUBRIC:"
          reply_json: {{score: 0.2, reason: "does not answer the question"}}
  dead: {{kind: sim, sim: {{faults: {{outage: true}}}}}}
  slow: {{kind: sim, sim: {{faults: {{rate_hang: 1.0}}}}}}
models:
  bot: {{targets: [{{provider: bot, model: gpt-4o-mini}}]}}
  judge: {{targets: [{{provider: judge, model: gpt-4o}}]}}
  dead:
    targets: [{{provider: dead, model: m}}]
    retry: {{max_attempts: 1}}
  slow:
    targets: [{{provider: slow, model: m}}]
    retry: {{max_attempts: 1}}
    timeout: {{attempt_s: 30, deadline_s: 30}}
"""

SUITE = """
target:
  model: {model}
  messages: [{{role: user, content: "{{{{q}}}}"}}]
samples: 4
timeout_s: {timeout}
judge: {{model: judge}}
cases:
{cases}
"""

ORDER_CASES = "\n".join(
    f"""  - id: order-{i}
    tags: [orders]
    vars: {{q: "Where is order {i}?"}}
    assert: [{{type: json_path, path: "$.status", equals: shipped}}]"""
    for i in range(8)
)
JUDGED_CASES = """  - id: refund
    vars: {q: "How do refunds work?"}
    assert: [{type: llm_judge, rubric: "Names the refund window.", min_score: 0.5}]
  - id: order-judged
    vars: {q: "Where is my order?"}
    assert: [{type: llm_judge, rubric: "Names the refund window.", min_score: 0.5}]"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "seawall.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "store.db"))
    return path


def suite_file(
    tmp_path: Path, cases: str, *, model: str = "bot", timeout: float = 30
) -> LoadedSuite:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE.format(model=model, cases=cases, timeout=timeout))
    return load_suite(path)


@pytest.fixture
async def backend(config_path: Path) -> AsyncIterator[InProcessBackend]:
    config = parse_config(CONFIG.format(db=config_path.parent / "store.db"), str(config_path))
    opened = InProcessBackend(config, source=str(config_path), seed=1)
    await opened.start()
    yield opened
    await opened.aclose()


def runner(loaded: LoadedSuite, backend: InProcessBackend, **options: object) -> Runner:
    cache = options.pop("cache", None)
    return Runner(
        loaded.suite,
        ModelTarget(backend, loaded.suite),
        cache=cache,  # type: ignore[arg-type]
        judge=BackendJudge(backend, cache=None, seed=0, timeout_s=10),
        plugins=loaded.plugins,
        timeout_s=loaded.suite.timeout_s,
        **options,  # type: ignore[arg-type]
    )


async def run_once(loaded: LoadedSuite, backend: InProcessBackend, **options: object) -> Run:
    chosen = runner(loaded, backend, **options)
    run = new_run(
        loaded.suite, chosen.target, run_id="r", samples=loaded.suite.samples, seed=0, path=None
    )
    return await chosen.run(run)


async def test_concurrent_results_equal_a_sequential_run(
    tmp_path: Path, backend: InProcessBackend
) -> None:
    loaded = suite_file(tmp_path, ORDER_CASES + "\n" + JUDGED_CASES)
    sequential = await run_once(loaded, backend, concurrency=1)
    concurrent = await run_once(loaded, backend, concurrency=20)
    assert len(sequential.results) == 10 * 4
    assert [r.verdict_key() for r in concurrent.results] == [
        r.verdict_key() for r in sequential.results
    ]
    statuses = {r.status for r in sequential.results if r.case_id.startswith("order-")}
    assert statuses == {"pass", "fail"}, "the seeded wrong-rate makes some samples fail"


async def test_llm_judge_scores_with_a_reason(tmp_path: Path, backend: InProcessBackend) -> None:
    loaded = suite_file(tmp_path, JUDGED_CASES)
    run = await run_once(loaded, backend)
    by_case = run.by_case()
    refund = by_case["refund"][0]
    assert refund.status == "pass"
    assert refund.assertions[0].score == 0.9
    assert refund.assertions[0].reason == "names the refund window"
    judged = by_case["order-judged"][0]
    assert judged.status == "fail"
    assert judged.reason == "llm_judge: does not answer the question"


async def test_a_judge_that_breaks_the_format_is_an_error(
    tmp_path: Path, backend: InProcessBackend
) -> None:
    cases = """  - id: odd
    vars: {q: "something weird"}
    assert: [{type: llm_judge, rubric: "r"}]"""
    loaded = suite_file(tmp_path, cases)
    result = await runner(loaded, backend).sample(loaded.suite.cases[0], 0)
    assert result.status == "error"
    assert result.reason.startswith('the judge did not answer {"score": 0..1, "reason"}')
    assert result.output == "a nonsense-judge trigger", "the output is kept with the error"


async def test_upstream_failures_are_errors_not_failures(
    tmp_path: Path, backend: InProcessBackend
) -> None:
    loaded = suite_file(tmp_path, ORDER_CASES.split("  - id: order-2")[0], model="dead")
    run = await run_once(loaded, backend, concurrency=4)
    assert {r.status for r in run.results} == {"error"}
    assert all(r.reason.startswith("upstream_unavailable") for r in run.results), run.results[
        0
    ].reason


async def test_a_hung_upstream_is_cut_by_the_per_call_timeout(
    tmp_path: Path, backend: InProcessBackend
) -> None:
    loaded = suite_file(
        tmp_path, ORDER_CASES.split("  - id: order-1")[0], model="slow", timeout=0.2
    )
    run = await asyncio.wait_for(run_once(loaded, backend, concurrency=4), timeout=10)
    assert [r.reason for r in run.results] == ["no answer within 0.2 s"] * 4


async def test_the_cache_serves_unchanged_calls_only(
    tmp_path: Path, backend: InProcessBackend
) -> None:
    cache = MemoryCache()
    loaded = suite_file(tmp_path, ORDER_CASES)
    first = await run_once(loaded, backend, cache=cache)
    assert not any(r.cached for r in first.results)
    again = await run_once(loaded, backend, cache=cache)
    assert all(r.cached for r in again.results)
    assert [r.verdict_key() for r in again.results] == [r.verdict_key() for r in first.results]
    changed_params = loaded.suite.model_copy(
        update={"target": loaded.suite.target.model_copy(update={"params": {"temperature": 0.1}})}
    )
    changed = await run_once(
        LoadedSuite(changed_params, loaded.path, loaded.plugins), backend, cache=cache
    )
    assert not any(r.cached for r in changed.results), "a changed param never hits the cache"
    changed_prompt = loaded.suite.model_copy(
        update={
            "target": loaded.suite.target.model_copy(
                update={"messages": [Message(role="user", content="Now: {{q}}")]}
            )
        }
    )
    reworded = await run_once(
        LoadedSuite(changed_prompt, loaded.path, loaded.plugins), backend, cache=cache
    )
    assert not any(r.cached for r in reworded.results), "a changed prompt never hits the cache"


async def test_cancelling_keeps_the_finished_samples(
    tmp_path: Path, backend: InProcessBackend
) -> None:
    loaded = suite_file(tmp_path, ORDER_CASES)
    tasks: list[asyncio.Task[Run]] = []

    def progress(result: SampleResult, done: int, total: int) -> None:
        if done == 5:
            tasks[0].cancel()  # as Ctrl-C does: mid-run, with calls in flight

    chosen = runner(loaded, backend, concurrency=2, on_result=progress)
    run = new_run(loaded.suite, chosen.target, run_id="r", samples=4, seed=0, path=None)
    tasks.append(asyncio.create_task(chosen.run(run)))
    with pytest.raises(asyncio.CancelledError):
        await tasks[0]
    assert run.status == "interrupted"
    assert 5 <= len(run.results) < 32
    assert run.finished_at is not None
