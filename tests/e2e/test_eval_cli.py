"""``seawall eval`` as a user runs it: run, reports, exit codes, compare, list/show, add-case,
Ctrl-C, failing upstreams, a gateway target, and a prompt target gated against production with
a calibration report. (The example suite runs in test_examples.py.)"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import orjson

from helpers.gateway import start_gateway
from helpers.process import SEAWALL, run_cli
from seawall.evals.store import EvalStore
from seawall.prompts import PromptSpec, open_registry

CONFIG = """
store: {{url: "sqlite:///{db}"}}
providers:
  bot:
    kind: sim
    sim:
      seed: 3
      scenarios:
        - match: "(?i)strict mode.*refund"
          reply: "I cannot discuss refunds."
        - match: "(?i)refund"
          reply: "Refunds are paid within 30 days."
        - match: "(?i)ship"
          reply: "Shipping takes 3-5 business days."
        - match: "(?i)order"
          reply_json: {{status: shipped}}
          wrong_field: status
          wrong_rate: 0.25
  dead: {{kind: sim, sim: {{faults: {{outage: true}}}}}}
  slow: {{kind: sim, sim: {{latency: {{fixed_ms: 40}}}}}}
models:
  bot: {{targets: [{{provider: bot, model: gpt-4o-mini}}]}}
  dead:
    targets: [{{provider: dead, model: m}}]
    retry: {{max_attempts: 1}}
  slow: {{targets: [{{provider: slow, model: m}}]}}
"""

SUITE = """# Support suite (this comment must survive add-case)
name: support
target:
  model: {model}
  messages:
    - {{role: user, content: "{template}"}}
samples: 2
thresholds: {{pass_rate: {pass_rate}}}
cases:
{cases}
"""

SUPPORT_CASES = "\n".join(
    [
        f"""  - id: refund-{i}
    tags: [refunds]
    vars: {{q: "Refund question {i}?"}}
    assert: [{{type: contains, value: "30 days"}}]"""
        for i in range(6)
    ]
    + [
        f"""  - id: ship-{i}
    tags: [shipping]
    vars: {{q: "Shipping question {i}?"}}
    assert: [{{type: regex, pattern: "\\\\d-\\\\d business days"}}]"""
        for i in range(4)
    ]
)


def setup(
    tmp_path: Path, *, model: str = "bot", cases: str = SUPPORT_CASES, pass_rate: float = 0.5
) -> Path:
    (tmp_path / "seawall.yaml").write_text(CONFIG.format(db=tmp_path / "store.db"))
    suite = tmp_path / "support.yaml"
    suite.write_text(SUITE.format(model=model, template="{{q}}", cases=cases, pass_rate=pass_rate))
    return suite


def eval_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("eval", *args, cwd=tmp_path, timeout=120)


def stored_runs(tmp_path: Path) -> list[tuple[str, str, int]]:
    async def read() -> list[tuple[str, str, int]]:
        store = await EvalStore.open(f"sqlite:///{tmp_path / 'store.db'}", create=False)
        try:
            rows = await store.list_runs()
            return [
                (r.run_id, r.status, len((await store.get_run(r.run_id)).results)) for r in rows
            ]
        finally:
            await store.aclose()

    return asyncio.run(read())


def test_run_prints_reports_and_exit_codes(tmp_path: Path) -> None:
    setup(tmp_path)
    done = eval_cli(tmp_path, "run", "support.yaml", "--format", "junit", "--output", "report.xml")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "PASS: every threshold met" in done.stdout, "the table prints beside the file"
    assert re.search(r"refund-0\s+refunds\s+2/2\s+pass", done.stdout)
    assert "support: 20/20 samples done (0 failed, 0 errors)" in done.stderr
    junit = ET.parse(tmp_path / "report.xml").getroot().find("testsuite")
    assert junit is not None
    assert (junit.get("tests"), junit.get("failures"), junit.get("errors")) == ("11", "0", "0")

    again = eval_cli(tmp_path, "run", "support.yaml", "--format", "json")
    assert again.returncode == 0, again.stderr
    data = orjson.loads(again.stdout)
    assert data["ok"] is True
    assert data["overall"]["passed"] == 10
    samples = [s for case in data["cases"] for s in case["samples"]]
    assert len(samples) == 20
    assert all(s["cached"] for s in samples), "an unchanged suite is served from the cache"
    assert data["overall"]["spent_usd"] == 0

    runs = eval_cli(tmp_path, "list")
    assert runs.returncode == 0, runs.stderr
    ids = re.findall(r"^([0-9a-f]{12})\s+support", runs.stdout, re.MULTILINE)
    assert len(ids) == 2
    shown = eval_cli(tmp_path, "show", ids[-1][:6], "--format", "markdown")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("## Eval `support` — PASS: every threshold met")
    unknown = eval_cli(tmp_path, "show", "ffffffff")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        2,
        "seawall: no eval run with id 'ffffffff'",
    )


def test_a_prompt_change_that_breaks_a_tag_is_a_regression(tmp_path: Path) -> None:
    suite = setup(tmp_path)
    suite.write_text(
        suite.read_text().replace("{pass_rate: 0.5}", "{pass_rate: 0.5, tags: {refunds: 1.0}}")
    )
    baseline = eval_cli(tmp_path, "run", "support.yaml")
    assert baseline.returncode == 0, baseline.stdout + baseline.stderr
    suite.write_text(suite.read_text().replace('content: "{{q}}"', 'content: "strict mode: {{q}}"'))
    candidate = eval_cli(tmp_path, "run", "support.yaml", "--baseline", "latest")
    assert candidate.returncode == 1, candidate.stdout + candidate.stderr
    assert "FAIL: 2 threshold(s) missed (pass_rate, tags.refunds)" in candidate.stdout
    assert "REGRESSED: 6 regressed, 0 improved" in candidate.stdout
    for i in range(6):
        assert re.search(rf"refund-{i}\s+pass → fail", candidate.stdout)
    assert (
        "ship-0" not in candidate.stdout.split("cases that flipped")[1].split("pass-rate change")[0]
    )

    (first, _, _), (second, _, _) = stored_runs(tmp_path)[::-1]
    compared = eval_cli(tmp_path, "compare", first, second, "--format", "json")
    assert compared.returncode == 1, "the verdict alone sets the exit code"
    data = orjson.loads(compared.stdout)
    assert data["verdict"] == "regressed"
    assert data["regressed"] == [f"refund-{i}" for i in range(6)]
    assert data["tags"]["refunds"]["delta"] == -1.0
    assert data["tags"]["shipping"]["delta"] == 0.0


def test_an_unchanged_noisy_target_is_not_called_regressed(tmp_path: Path) -> None:
    cases = "\n".join(
        f"""  - id: order-{i}
    vars: {{q: "Where is order {i}?"}}
    assert: [{{type: json_path, path: "$.status", equals: shipped}}]"""
        for i in range(30)
    )
    setup(tmp_path, cases=cases, pass_rate=0.0)
    first = eval_cli(tmp_path, "run", "support.yaml", "--samples", "3", "--seed", "1")
    assert first.returncode == 0, first.stderr
    second = eval_cli(
        tmp_path, "run", "support.yaml", "--samples", "3", "--seed", "2", "--baseline", "latest"
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert "NO SIGNIFICANT CHANGE" in second.stdout
    flips = re.search(r"all cases\s+30\s+\S+\s+\S+\s+\S+\s+\S+ … \S+\s+(\d+)/(\d+)", second.stdout)
    assert flips is not None, second.stdout
    assert int(flips[1]) + int(flips[2]) > 0, "the seeded wrong-rate makes some cases flip"


def test_add_case_from_a_trace_keeps_comments(tmp_path: Path) -> None:
    suite = setup(tmp_path)
    done = eval_cli(tmp_path, "run", "support.yaml", "--format", "json", "--tag", "shipping")
    data = orjson.loads(done.stdout)
    assert [c["id"] for c in data["cases"]] == [f"ship-{i}" for i in range(4)]
    trace = data["cases"][0]["samples"][0]["trace_id"]
    added = eval_cli(
        tmp_path,
        "add-case",
        "--from-trace",
        trace[:10],
        "--suite",
        "support.yaml",
        "--expect",
        "icontains:business days",
        "--expect",
        "{type: length, max: 200}",
    )
    assert added.returncode == 0, added.stderr
    text = suite.read_text()
    assert text.startswith("# Support suite (this comment must survive add-case)\n")
    assert (
        f"  # added by `seawall eval add-case` from trace {trace}\n  - id: trace-{trace[:12]}"
        in text
    )
    assert "    tags: [regression]\n" in text
    assert "        content: Shipping question 0?\n" in text


def test_ctrl_c_stops_and_keeps_the_partial_run(tmp_path: Path) -> None:
    cases = "\n".join(
        f"""  - id: c{i}
    vars: {{q: "question {i}"}}
    assert: [{{type: length, min: 1}}]"""
        for i in range(40)
    )
    setup(tmp_path, model="slow", cases=cases)
    proc = subprocess.Popen(
        [*SEAWALL, "eval", "run", "support.yaml", "--concurrency", "2"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # progress lines; bounded by the run itself
        found = re.search(r"(\d+)/80 samples done", line)
        if found and int(found[1]) >= 4:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err
    assert "interrupted: stored the partial run" in err
    [(run_id, status, results)] = stored_runs(tmp_path)
    assert status == "interrupted"
    assert 4 <= results < 80
    assert run_id in err


def test_a_failing_upstream_is_errors_not_failures(tmp_path: Path) -> None:
    setup(tmp_path, model="dead")
    done = eval_cli(tmp_path, "run", "support.yaml", "--format", "json")
    assert done.returncode == 3, done.stderr
    data = orjson.loads(done.stdout)
    assert {c["status"] for c in data["cases"]} == {"error"}
    assert data["overall"]["failed"] == 0
    assert data["overall"]["errors"] == 10
    assert data["cases"][0]["reasons"][0]["reason"].startswith("upstream_unavailable")


def test_a_broken_suite_is_one_clear_error(tmp_path: Path) -> None:
    suite = setup(tmp_path)
    suite.write_text(suite.read_text().replace("model: bot", "model: nope"))
    done = eval_cli(tmp_path, "run", "support.yaml")
    assert done.returncode == 2
    assert "support.yaml:4: target.model: unknown model 'nope' in seawall.yaml" in done.stderr
    assert "Traceback" not in done.stderr


def test_through_a_gateway(tmp_path: Path) -> None:
    setup(tmp_path)
    config = (tmp_path / "seawall.yaml").read_text().replace("store.db", "gateway.db")
    with start_gateway(config, tmp_path) as gateway:
        done = eval_cli(
            tmp_path, "run", "support.yaml", "--gateway", gateway.url, "--format", "json"
        )
    assert done.returncode == 0, done.stderr
    data = orjson.loads(done.stdout)
    assert data["target"] == f"model bot (gateway {gateway.url})"
    assert data["overall"]["passed"] == 10
    assert all(len(s["trace_id"]) == 32 for c in data["cases"] for s in c["samples"])


PROMPT_CONFIG = """
store: {{url: "sqlite:///{db}"}}
providers:
  bot:
    kind: sim
    sim:
      seed: 5
      scenarios:
        - match: "(?i)strict"
          reply_json: {{intent: other, confidence: 0.9}}
        - match: "(?i)classify"
          reply_json: {{intent: refund}}
          wrong_field: intent
          wrong_rate: 0.2
          confidence_field: confidence
models:
  triage: {{targets: [{{provider: bot, model: gpt-4o-mini}}]}}
"""


async def push_versions(url: str, *templates: str) -> None:
    """Push one version per template; the first is labelled production."""
    registry = await open_registry(url)
    try:
        for template in templates:
            spec = {
                "name": "triage",
                "owner": "support",
                "model": "triage",
                "messages": [{"role": "user", "content": template}],
                "output_schema": {
                    "type": "object",
                    "properties": {"intent": {}, "confidence": {"type": "number"}},
                },
            }
            await registry.push(PromptSpec.model_validate(spec), author="test")
        await registry.set_label("triage", "production", 1, actor="test")
    finally:
        await registry.aclose()


def test_a_prompt_gated_against_production_with_calibration(tmp_path: Path) -> None:
    (tmp_path / "seawall.yaml").write_text(PROMPT_CONFIG.format(db=tmp_path / "store.db"))
    asyncio.run(
        push_versions(
            f"sqlite:///{tmp_path / 'store.db'}",
            "Classify: {{ ticket }}",
            "Strict mode. Classify: {{ ticket }}",
        )
    )
    cases = "\n".join(
        f"  - {{id: t{i}, tags: [refunds], vars: {{ticket: 'refund {i}'}}, "
        "assert: [{type: json_path, path: $.intent, equals: refund}]}"
        for i in range(8)
    )
    (tmp_path / "triage.yaml").write_text(
        f"target: {{prompt: triage@2}}\nsamples: 3\ncases:\n{cases}\n"
    )
    done = eval_cli(
        tmp_path, "run", "triage.yaml", "--baseline", "production", "--calibration", "-f", "json"
    )
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr
    assert (
        "baseline: no stored run of suite 'triage' against triage@1 (production) yet: "
        "running the suite against it first"
    ) in done.stderr
    data = orjson.loads(done.stdout)
    assert (data["target"], data["prompt"], data["prompt_version"]) == (
        "prompt triage@2 (in process, seawall.yaml)",
        "triage",
        2,
    )
    comparison = data["comparison"]
    assert comparison["baseline"]["prompt_version"] == 1
    assert comparison["verdict"] == "regressed"
    assert data["calibration"]["samples_with_confidence"] == 24
    assert data["calibration"]["bins"][9]["pass_rate"] == 0.0, "confidently wrong: 0.9, failed"

    shown = eval_cli(tmp_path, "show", "latest", "--calibration", "-f", "markdown")
    assert shown.returncode == 0, shown.stderr
    assert "### Calibration" in shown.stdout
    assert "calibration: ECE 0.900, Brier 0.810 over 24 answers (0 passed)" in shown.stdout
