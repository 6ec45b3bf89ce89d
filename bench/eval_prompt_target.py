#!/usr/bin/env python3
"""What a registry prompt target and the calibration report cost over a plain model target.

A 1,000-case suite against the in-process simulator at 50 ms, concurrency 50, run twice in
fresh stores:

  A. target: a logical model and messages (plain ``{{q}}`` substitution)
  B. target: ``prompt: bench@production`` (registry lookup, schema check of each case's
     variables, sandboxed Jinja2 rendering, output schema as response_format; the prompt's
     answer is scored by the pipeline from its self-reported confidence)

Wall time, CPU time per case, and the pass count (every case must pass). Then the
calibration report (``calibrate``) over 100,000 seeded samples, which is what
``--calibration`` adds after a run.

    .venv/bin/python bench/eval_prompt_target.py
    .venv/bin/python bench/eval_prompt_target.py --cases 200     # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from seawall.evals.calibration import calibrate
from seawall.evals.execute import Where, run_suite
from seawall.evals.load import load_suite
from seawall.evals.results import SampleResult
from seawall.evals.runner import RunSettings
from seawall.evals.summary import summarize
from seawall.prompts import PromptSpec, open_registry

CONCURRENCY = 50

CONFIG = """
store: {{url: "sqlite:///{db}"}}
providers:
  sim:
    kind: sim
    sim:
      latency: {{fixed_ms: 50}}
      scenarios:
        - {{match: ".", reply_json: {{intent: refund}}, confidence_field: confidence}}
models:
  bot:
    targets: [{{provider: sim, model: gpt-4o-mini}}]
    retry: {{max_attempts: 1}}
"""

PROMPT = {
    "name": "bench",
    "owner": "bench",
    "model": "bot",
    "messages": [
        {"role": "system", "content": "You triage tickets for {{ product }}."},
        {"role": "user", "content": "Ticket from {{ customer.name }}: {{ q }}"},
    ],
    "variables": {
        "type": "object",
        "required": ["q", "customer"],
        "properties": {
            "q": {"type": "string", "maxLength": 4000},
            "product": {"type": "string", "default": "Acme"},
            "customer": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
    },
    "output_schema": {
        "type": "object",
        "required": ["intent"],
        "properties": {"intent": {"type": "string"}, "confidence": {"type": "number"}},
    },
}


def suite_text(cases: int, *, prompt: bool) -> str:
    if prompt:
        target = ["target:", "  prompt: bench@production"]
        variables = 'q: "Question {i} about refunds?", customer: {{name: Ada}}'
    else:
        target = [
            "target:",
            "  model: bot",
            '  messages: [{role: system, content: "You triage tickets for Acme."},'
            ' {role: user, content: "Ticket from Ada: {{q}}"}]',
        ]
        variables = 'q: "Question {i} about refunds?"'
    lines = ["name: bench", *target, "samples: 1", f"concurrency: {CONCURRENCY}", "cases:"]
    for i in range(cases):
        lines.append(
            f"  - {{id: c{i}, vars: {{{variables.format(i=i)}}}, "
            'assert: [{type: json_path, path: "$.intent", equals: refund}]}'
        )
    return "\n".join(lines) + "\n"


async def push_prompt(url: str) -> None:
    registry = await open_registry(url)
    try:
        pushed = await registry.push(PromptSpec.model_validate(PROMPT), author="bench")
        await registry.set_label("bench", "production", pushed.version.version, actor="bench")
    finally:
        await registry.aclose()


def measure(cases: int, *, prompt: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        db = workdir / "store.db"
        (workdir / "seawall.yaml").write_text(CONFIG.format(db=db))
        if prompt:
            asyncio.run(push_prompt(f"sqlite:///{db}"))
        suite = workdir / "bench.yaml"
        suite.write_text(suite_text(cases, prompt=prompt))
        loaded = load_suite(suite)
        settings = RunSettings(concurrency=CONCURRENCY, use_cache=False)
        cpu, wall = time.process_time(), time.perf_counter()
        run = asyncio.run(run_suite(loaded, Where(config=workdir / "seawall.yaml"), settings))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        scored = sum(r.confidence is not None for r in run.results)
        return {
            "wall_s": wall,
            "cpu_ms_per_case": cpu / cases * 1000,
            "passed": summarize(run).overall.passed,
            "with_confidence": scored,
        }


def measure_calibration(samples: int) -> float:
    rng = random.Random(1)
    results = []
    for n in range(samples):
        confidence = rng.random()
        status = "pass" if rng.random() < confidence else "fail"
        results.append(SampleResult(f"c{n}", 0, status, confidence=confidence))
    started = time.perf_counter()
    calibrate(results)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    print(f"{args.cases} cases, sim at 50 ms, concurrency {CONCURRENCY}, in process, no cache")
    for label, prompt in (("A. model target ", False), ("B. prompt target", True)):
        found = measure(args.cases, prompt=prompt)
        print(
            f"{label}  wall {found['wall_s']:.2f} s  CPU {found['cpu_ms_per_case']:.2f} ms/case"
            f"  passed {found['passed']:.0f}/{args.cases}"
            f"  with confidence {found['with_confidence']:.0f}"
        )
    seconds = measure_calibration(100_000)
    print(f"calibrate() over 100,000 samples: {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
