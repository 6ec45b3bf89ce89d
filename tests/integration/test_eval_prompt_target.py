"""Suites whose target is a registry prompt: rendering, fingerprints, the cache, errors before the
first call, and ``--baseline production`` (in process, on the simulator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seawall.evals.baseline import compare_with_production, find_baseline
from seawall.evals.execute import Where, run_for_prompt_version, run_suite
from seawall.evals.load import SuiteError, load_suite
from seawall.evals.runner import RunSettings
from seawall.evals.store import RunLookupError
from seawall.prompts import PromptSpec, open_registry

CONFIG = """
store: {{url: "sqlite:///{db}"}}
providers:
  bot:
    kind: sim
    sim:
      seed: {seed}
      scenarios:
        - match: "(?i)strict"
          reply_json: {{intent: other}}
        - match: "(?i)classify"
          reply_json: {{intent: refund}}
          wrong_field: intent
          wrong_rate: 0.3
models:
  triage: {{targets: [{{provider: bot, model: gpt-4o-mini}}]}}
"""

PROMPT: dict[str, Any] = {
    "name": "triage",
    "owner": "support",
    "model": "triage",
    "messages": [{"role": "user", "content": "Classify this ticket: {{ ticket }}"}],
    "variables": {
        "type": "object",
        "required": ["ticket"],
        "properties": {"ticket": {"type": "string"}},
    },
    "output_schema": {"type": "object", "required": ["intent"]},
}

SUITE = """name: triage
target:
  prompt: {ref}
samples: 2
cases:
{cases}
"""
CASES = "\n".join(
    f"""  - id: t{i}
    vars: {{ticket: "ticket {i}: my blender broke, I want my money back"}}
    assert: [{{type: json_path, path: "$.intent", equals: refund}}]"""
    for i in range(6)
)


async def push(url: str, content: str, *, label: str | None = None) -> int:
    messages = [{"role": "user", "content": content}]
    registry = await open_registry(url)
    try:
        pushed = await registry.push(
            PromptSpec.model_validate({**PROMPT, "messages": messages}), author="test"
        )
        version = pushed.version.version
        if label is not None:
            await registry.set_label("triage", label, version, actor="test")
    finally:
        await registry.aclose()
    return version


def setup(tmp_path: Path, ref: str = "triage@production", *, cases: str = CASES) -> Where:
    config = tmp_path / "seawall.yaml"
    config.write_text(CONFIG.format(db=tmp_path / "store.db", seed=3))
    (tmp_path / "suite.yaml").write_text(SUITE.format(ref=ref, cases=cases))
    return Where(config=config)


def url_of(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


V1 = "Classify this ticket: {{ ticket }}"
V2 = "Strict mode. Classify this ticket: {{ ticket }}"


async def test_a_version_is_rendered_sent_and_recorded(tmp_path: Path) -> None:
    where = setup(tmp_path)
    await push(url_of(tmp_path), V1, label="production")
    run = await run_suite(load_suite(tmp_path / "suite.yaml"), where)
    assert run.target == "prompt triage@1 [production] (in process, seawall.yaml)"
    assert (run.prompt, run.prompt_version, run.status) == ("triage", 1, "complete")
    assert {r.status for r in run.results} == {"pass", "fail"}, "the seeded wrong-rate"
    assert all(r.output and r.output.startswith('{"intent":') for r in run.results)
    assert all(r.trace_id for r in run.results)


async def test_the_cache_never_serves_across_versions_or_models(tmp_path: Path) -> None:
    where = setup(tmp_path)
    await push(url_of(tmp_path), V1, label="production")
    await push(url_of(tmp_path), V2)
    suite = tmp_path / "suite.yaml"
    first = await run_suite(load_suite(suite), where)
    again = await run_suite(load_suite(suite), where)
    assert not any(r.cached for r in first.results)
    assert all(r.cached for r in again.results), "an unchanged version reruns for free"
    assert [r.verdict_key() for r in again.results] == [r.verdict_key() for r in first.results]

    candidate = await run_for_prompt_version(suite, where.config, 2)
    verdict = await compare_with_production(suite, where.config, candidate)
    assert verdict.baseline.run.run_id == again.run_id, "production's newest stored run"
    assert verdict.verdict.value == "regressed"
    passing = [o.case.id for o in verdict.baseline.cases if o.status == "pass"]
    assert len(passing) >= 5
    assert verdict.regressed == passing, "v2 answers 'other': every passing case flips"
    assert candidate.target == "prompt triage@2 (in process, seawall.yaml)"
    assert candidate.prompt_version == 2
    assert candidate.fingerprint != first.fingerprint
    assert not any(r.cached for r in candidate.results), "another version never hits"
    assert {r.status for r in candidate.results} == {"fail"}, "v2 answers 'other'"

    assert where.config is not None
    where.config.write_text(CONFIG.format(db=tmp_path / "store.db", seed=4))
    changed = await run_suite(load_suite(suite), where)
    assert changed.fingerprint != first.fingerprint
    assert not any(r.cached for r in changed.results), "a changed model config never hits"


async def test_problems_are_reported_before_the_first_call(tmp_path: Path) -> None:
    where = setup(tmp_path, cases=CASES.replace("{ticket:", "{tickets:", 1))
    await push(url_of(tmp_path), V1, label="production")
    suite = tmp_path / "suite.yaml"
    with pytest.raises(SuiteError) as info:
        await run_suite(load_suite(suite), where)
    assert info.value.problems == [
        "7: cases.0.vars: variable 'ticket' is required but missing (prompt triage@1)"
    ]

    setup(tmp_path, "triage@staging")
    with pytest.raises(SuiteError) as info:
        await run_suite(load_suite(suite), where)
    assert info.value.problems == [
        "3: target.prompt: prompt 'triage' has no label 'staging' (labels: production)"
    ]
    with pytest.raises(SuiteError) as info:
        await run_for_prompt_version(suite, where.config, 9)
    assert info.value.problems == [
        "3: target.prompt: --prompt-version 9: prompt 'triage' has no version 9 (latest is 1)"
    ]

    assert where.config is not None
    where.config.write_text(where.config.read_text().replace("  triage:", "  other:"))
    with pytest.raises(SuiteError) as info:
        await run_suite(load_suite(suite), where, RunSettings(prompt_version=1))
    assert info.value.problems[0].startswith(
        "3: target.prompt: unknown model 'triage' in " + str(where.config)
    )


async def test_baseline_production_is_run_first_then_reused(tmp_path: Path) -> None:
    where = setup(tmp_path, "triage@2")
    url = url_of(tmp_path)
    loaded = load_suite(tmp_path / "suite.yaml")
    with pytest.raises(
        RunLookupError, match=r"has no 'production' label to compare with \(labels: none\)"
    ):
        await find_baseline(loaded, where, "production")
    await push(url, V1, label="production")
    await push(url, V2)
    told: list[tuple[str, int]] = []

    def on_run(prompt: str, version: int) -> None:
        told.append((prompt, version))

    first = await find_baseline(loaded, where, "production", on_run=on_run)
    assert (first.prompt, first.version, first.ran) == ("triage", 1, True)
    assert told == [("triage", 1)]
    candidate = await run_suite(loaded, where)
    assert candidate.prompt_version == 2, "the suite's own reference"
    again = await find_baseline(loaded, where, "production", on_run=on_run)
    assert (again.run_id, again.ran) == (first.run_id, False), "stored: not run again"
    assert (await find_baseline(loaded, where, "latest")).run_id == candidate.run_id

    registry = await open_registry(url)
    await registry.set_label("triage", "production", 2, actor="test")
    await registry.aclose()
    moved = await find_baseline(loaded, where, "production", on_run=on_run)
    assert (moved.run_id, moved.version, moved.ran) == (candidate.run_id, 2, False)

    model_suite = tmp_path / "model.yaml"
    model_suite.write_text(
        "target: {model: triage, messages: [{role: user, content: hi}]}\n"
        "cases: [{id: a, assert: [{type: is_json}]}]\n"
    )
    with pytest.raises(RunLookupError, match="--baseline production needs a prompt target"):
        await find_baseline(load_suite(model_suite), where, "production")
