"""Confidence reaches eval results (in process and through a gateway) and calibrates against the
verdicts: a seeded simulator whose self-reported confidence is informative, end to end."""

from __future__ import annotations

import statistics
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from helpers.gateway import start_gateway
from helpers.servers import serve_app
from seawall.evals.calibration import calibrate
from seawall.evals.execute import Where, run_suite
from seawall.evals.load import load_suite
from seawall.evals.results import SampleResult
from seawall.prompts import PromptSpec, open_registry

# --------------------------------------------------------------------------- header parsing

# What the loopback "gateway" answers per question: (text, x-seawall-confidence header).
SCRIPTED = {
    "q0": ("yes", "0.910"),
    "q1": ("no", "0.200"),
    "q2": ("yes", None),  # unscored call: no header
    "q3": ("yes", "not-a-number"),  # a broken header is no confidence, never a guess
    "q4": ("no", "1.5"),  # out of range: ignored
}


def loopback_gateway() -> Starlette:
    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "bot", "object": "model"}]})

    async def chat(request: Request) -> JSONResponse:
        body = orjson.loads(await request.body())
        text, confidence = SCRIPTED[body["messages"][-1]["content"]]
        headers = {"x-seawall-trace-id": "a" * 32}
        if confidence is not None:
            headers["x-seawall-confidence"] = confidence
        answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}
        return JSONResponse(answer, headers=headers)

    return Starlette(
        routes=[
            Route("/v1/models", models),
            Route("/v1/chat/completions", chat, methods=["POST"]),
        ]
    )


async def test_the_confidence_header_reaches_each_sample(tmp_path: Path) -> None:
    cases = "\n".join(
        f"  - {{id: {q}, vars: {{q: {q}}}, assert: [{{type: equals, value: 'yes'}}]}}"
        for q in SCRIPTED
    )
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "target: {model: bot, messages: [{role: user, content: '{{q}}'}]}\n"
        f"samples: 1\ncases:\n{cases}\n"
    )
    with serve_app(loopback_gateway()) as url:
        where = Where(gateway=url, store_url=f"sqlite:///{tmp_path / 'runs.db'}")
        run = await run_suite(load_suite(suite), where)
    found = {r.case_id: (r.status, r.confidence) for r in run.results}
    assert found == {
        "q0": ("pass", 0.91),
        "q1": ("fail", 0.2),
        "q2": ("pass", None),
        "q3": ("pass", None),
        "q4": ("fail", None),
    }
    cal = calibrate(run.results)
    assert (cal.scored, cal.unscored, cal.passed) == (2, 3, 1)
    assert [b.count for b in cal.bins] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 1]


# --------------------------------------------------------------------------- the simulator, end to end

SIM_CONFIG = """
store: {{url: "sqlite:///{db}"}}
providers:
  bot:
    kind: sim
    sim:
      seed: 12
      scenarios:
        - match: "(?i)classify"
          reply_json: {{intent: refund}}
          wrong_field: intent
          wrong_rate: 0.3
          confidence_field: confidence
models:
  triage: {{targets: [{{provider: bot, model: gpt-4o-mini}}]}}
"""
# The output schema declares the self-reported field, so the pipeline's score stage reads it
# (review.confidence.self_reported); ``intent`` is left untyped so a wrong answer still validates
# and is judged (fails) instead of being re-asked.
OUTPUT_SCHEMA = {
    "type": "object",
    "required": ["intent", "confidence"],
    "properties": {"intent": {}, "confidence": {"type": "number", "minimum": 0, "maximum": 1}},
}
CASES = "\n".join(
    f"""  - id: t{i}
    vars: {{ticket: "ticket {i}: it broke, refund please"}}
    assert: [{{type: json_path, path: "$.intent", equals: refund}}]"""
    for i in range(40)
)


def sim_suite(tmp_path: Path, target: str) -> Path:
    (tmp_path / "seawall.yaml").write_text(SIM_CONFIG.format(db=tmp_path / "store.db"))
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: triage\n{target}\nsamples: 3\ncases:\n{CASES}\n")
    return suite


def assert_informative(samples: list[SampleResult]) -> None:
    cal = calibrate(samples)
    assert (cal.scored, cal.unscored, cal.errors) == (120, 0, 0), "every answer was scored"
    for r in samples:  # the score is the self-reported field (valid first time, no guard)
        assert r.output is not None
        assert r.confidence == orjson.loads(r.output)["confidence"]
    # By construction right answers report 0.55-0.98 and wrong ones 0.05-0.65.
    assert all(b.pass_rate == 0.0 for b in cal.bins[:5] if b.count), "below 0.5 all failed"
    assert all(b.pass_rate == 1.0 for b in cal.bins[7:] if b.count), "0.7 and up all passed"
    seven = next(c for c in cal.cutoffs if round(c.threshold, 1) == 0.7)
    assert (seven.failures_caught, seven.kept_pass_rate) == (cal.failed, 1.0)
    assert 20 <= cal.failed <= 52, "wrong_rate 0.3 of 120 answers (±0.13)"
    passed = [r.confidence or 0.0 for r in samples if r.status == "pass"]
    failed = [r.confidence or 0.0 for r in samples if r.status == "fail"]
    assert statistics.mean(passed) - statistics.mean(failed) > 0.3


async def test_calibration_on_a_seeded_sim_suite_in_process(tmp_path: Path) -> None:
    target = orjson.dumps(
        {
            "model": "triage",
            "messages": [{"role": "user", "content": "Classify: {{ticket}}"}],
            "params": {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "triage", "schema": OUTPUT_SCHEMA},
                }
            },
        }
    ).decode()
    suite = sim_suite(tmp_path, f"target: {target}")
    run = await run_suite(load_suite(suite), Where(config=tmp_path / "seawall.yaml"))
    assert_informative(run.results)


async def test_a_prompt_target_through_the_gateway_carries_its_confidence(tmp_path: Path) -> None:
    suite = sim_suite(tmp_path, "target: {prompt: triage@production}")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    registry = await open_registry(store)
    spec = {
        "name": "triage",
        "owner": "support",
        "model": "triage",
        "messages": [{"role": "user", "content": "Classify: {{ ticket }}"}],
        "output_schema": OUTPUT_SCHEMA,
    }
    pushed = await registry.push(PromptSpec.model_validate(spec), author="test")
    await registry.set_label("triage", "production", pushed.version.version, actor="test")
    await registry.aclose()
    config = (tmp_path / "seawall.yaml").read_text().replace("store.db", "gateway.db")
    with start_gateway(config, tmp_path) as gateway:
        where = Where(config=tmp_path / "seawall.yaml", gateway=gateway.url)
        run = await run_suite(load_suite(suite), where)
    assert run.target == f"prompt triage@1 [production] (gateway {gateway.url})"
    assert_informative(run.results)
