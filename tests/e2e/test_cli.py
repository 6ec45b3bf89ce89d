"""The ``seawall`` command as a user runs it: check, serve on a broken config, demo."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.process import free_port, run_cli
from helpers.records import stored_records

GOOD = """
providers:
  main: {kind: sim}
  backup: {kind: sim}
models:
  chat:
    targets: [{provider: main, model: m}, {provider: backup, model: b}]
"""

BROKEN = """
providers:
  main: {kind: sim}
models:
  chat:
    targets: [{provider: main, model: m}]
    timeout: {attempt_s: "soon"}
"""


def test_check_accepts_a_good_config(tmp_path: Path) -> None:
    (tmp_path / "seawall.yaml").write_text(GOOD)
    done = run_cli("check", "seawall.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout
    assert "chat" in done.stdout
    assert "SIMULATOR" in done.stderr, "a sim upstream is always labelled"


def test_check_reports_file_line_field_and_expectation(tmp_path: Path) -> None:
    (tmp_path / "seawall.yaml").write_text(BROKEN)
    done = run_cli("check", "seawall.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert (
        "seawall.yaml:7: models.chat.timeout.attempt_s: Input should be a valid number"
        in done.stderr
    )
    assert "Traceback" not in done.stderr + done.stdout


def test_check_strict_fails_on_warnings(tmp_path: Path) -> None:
    (tmp_path / "seawall.yaml").write_text(GOOD.replace(", {provider: backup, model: b}", ""))
    done = run_cli("check", "--strict", "seawall.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert "one target and no degrade policy" in done.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    done = run_cli("check", "nope.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "nope.yaml" in done.stderr
    assert "cannot read the file" in done.stderr


def test_serve_refuses_a_broken_config(tmp_path: Path) -> None:
    (tmp_path / "seawall.yaml").write_text(BROKEN)
    done = run_cli(
        "serve", "--config", "seawall.yaml", "--port", str(free_port()), cwd=tmp_path, timeout=30
    )
    assert done.returncode == 2
    assert "models.chat.timeout.attempt_s" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_serve_refuses_a_missing_secret(tmp_path: Path) -> None:
    text = "providers:\n  up: {kind: openai, base_url: 'http://127.0.0.1:9/v1', api_key: 'env:SEAWALL_TEST_NO_SUCH_KEY'}\nmodels:\n  chat:\n    targets: [{provider: up, model: m}]\n"
    (tmp_path / "seawall.yaml").write_text(text)
    done = run_cli("serve", "-c", "seawall.yaml", cwd=tmp_path, timeout=30)
    assert done.returncode == 2
    assert (
        "providers.up.api_key: environment variable SEAWALL_TEST_NO_SUCH_KEY is not set"
        in done.stderr
    )


def test_serve_reports_an_unusable_store(tmp_path: Path) -> None:
    (tmp_path / "seawall.yaml").write_text(
        GOOD + "store: {url: 'postgresql://nobody@127.0.0.1:1/none'}\n"
    )
    done = run_cli(
        "serve", "-c", "seawall.yaml", "--port", str(free_port()), cwd=tmp_path, timeout=60
    )
    assert done.returncode == 1
    assert "store.url: cannot open" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


async def test_demo_once_drives_traffic_and_reports(tmp_path: Path) -> None:
    done = run_cli(
        "demo",
        "--once",
        "--calls",
        "120",
        "--rate",
        "200",
        "--port",
        str(free_port()),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for figure in (
        "calls",
        "retries",
        "fallbacks",
        "breaker trips",
        "degraded",
        "latency p50 / p95",
        "tokens",
        "cost",
    ):
        assert figure in done.stdout
    assert "SIMULATOR" in done.stdout
    assert re.search(r"empty answers sent\s*│\s*0\s*│", done.stdout), "never an empty answer"
    assert len(await stored_records(f"sqlite:///{tmp_path / '.seawall' / 'seawall.db'}")) == 120
