"""The examples run as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from helpers.gateway import start_gateway
from helpers.process import run_cli
from seawall.cli.demo import demo_config

ROOT = Path(__file__).resolve().parents[2]


def test_example_config_is_valid() -> None:
    done = run_cli("check", str(ROOT / "examples" / "seawall.yaml"))
    assert done.returncode == 0, done.stderr


def test_inprocess_example_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "inprocess.py"),
            str(ROOT / "examples" / "seawall.yaml"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("trace ") + done.stdout.count("failed:") == 3
    assert "lead: {'name': 'Ada Lovelace'" in done.stdout
    assert (tmp_path / ".seawall" / "example.db").exists()


def test_openai_client_example_against_the_demo_config(tmp_path: Path) -> None:
    demo_yaml = (ROOT / "src" / "seawall" / "data" / "demo.yaml").read_text()
    assert demo_config()[0].models.keys() >= {"chat"}
    with start_gateway(
        demo_yaml.replace("sqlite:///.seawall/seawall.db", f"sqlite:///{tmp_path}/d.db"), tmp_path
    ) as gw:
        done = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "openai_client.py"), gw.v1],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert "typed error: NotFoundError code=invalid_request" in done.stdout
    assert "streamed: " in done.stdout


def test_the_example_suite_passes_against_the_simulator(tmp_path: Path) -> None:
    suite = ROOT / "examples" / "evals" / "support.yaml"
    done = run_cli("eval", "run", str(suite), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    data = orjson.loads(done.stdout)
    tags = data["tags"]
    assert 5 <= tags["happy"]["cases"] <= 10
    assert 3 <= tags["adversarial"]["cases"] <= 5
    assert 2 <= tags["regression"]["cases"] <= 3
    assert data["overall"]["passed"] == data["overall"]["cases"]
    judged = [
        a
        for c in data["cases"]
        for s in c["samples"]
        for a in s["assertions"]
        if a["type"] == "llm_judge"
    ]
    assert judged
    assert all(a["reason"] for a in judged), "the judge's reasons are kept"
    assert (tmp_path / ".seawall" / "evals-example.db").exists(), "the run is stored"
