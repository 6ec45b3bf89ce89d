"""``seawall alerts list / test / export`` as a subprocess, against a real webhook receiver."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from helpers.alert_receiver import Receiver, start_receiver
from helpers.process import free_port
from seawall.alerts.config import AlertsConfig
from seawall.alerts.engine import AlertEngine
from seawall.alerts.prometheus import export_prometheus
from seawall.core.clock import FrozenClock
from seawall.store.calls import open_store
from seawall.telemetry.records import CallRecord

# The `alerts` group as `seawall` registers it (cli/main.py), run in a fresh interpreter.
_CLI = (
    "import typer; from seawall.cli.alerts import register; "
    "app = typer.Typer(pretty_exceptions_enable=False); register(app); app()"
)

CONFIG = """
providers:
  main: {{kind: sim}}
models:
  chat:
    targets: [{{provider: main, model: m}}]
alerts:
  notifiers:
    hook:
      kind: webhook
      url: {hook}
      retry: {{base_delay_s: 0.01, timeout_s: 2}}
    chat-room:
      kind: slack
      url: env:SEAWALL_TEST_SLACK_URL
      retry: {{base_delay_s: 0.01, timeout_s: 2}}
  rules:
    - kind: error_rate
      name: error-rate
      threshold: 0.05
      notify: [hook, chat-room]
"""


# Secret references must resolve, or the config is refused: a value the tests never call.
SLACK_SET = {"SEAWALL_TEST_SLACK_URL": "http://127.0.0.1:9/unused"}


def run_alerts(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CLI, "alerts", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", **SLACK_SET, **(env or {})},
        check=False,
    )


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with start_receiver() as receiver:
        yield receiver


@pytest.fixture
def workdir(tmp_path: Path, receiver: Receiver) -> Path:
    receiver.received.clear()
    text = CONFIG.format(hook=receiver.hook)
    text += f"store: {{url: 'sqlite:///{tmp_path}/seawall.db'}}\n"
    (tmp_path / "seawall.yaml").write_text(text)
    return tmp_path


def test_alerts_test_sends_through_every_notifier_of_the_rule(
    workdir: Path, receiver: Receiver
) -> None:
    env = {"SEAWALL_TEST_SLACK_URL": receiver.hook}
    done = run_alerts("test", "error-rate", cwd=workdir, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("delivered") == 2
    bodies = sorted(receiver.received, key=lambda b: "text" in b)
    webhook, slack = bodies
    assert webhook["rule"] == "error-rate"
    assert webhook["test"] is True
    assert webhook["labels"] == {"test": "true"}
    assert webhook["runbook_url"] == "docs/operations.md#alert-error-rate"
    assert slack["text"].startswith(":rotating_light: TEST FIRING error-rate")


def test_alerts_test_reports_a_failing_notifier_and_exits_1(
    workdir: Path, receiver: Receiver
) -> None:
    dead = {"SEAWALL_TEST_SLACK_URL": f"http://127.0.0.1:{free_port()}/hook"}
    done = run_alerts("test", "error-rate", "--attempts", "2", cwd=workdir, env=dead)
    assert done.returncode == 1
    assert "delivered" in done.stdout  # the webhook still got it
    assert "failed" in done.stdout
    assert "connection failed" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_alerts_test_unknown_rule_is_a_clear_error(workdir: Path) -> None:
    done = run_alerts("test", "nope", cwd=workdir)
    assert done.returncode == 2
    assert "seawall.yaml: alerts: no rule named 'nope'" in done.stderr
    assert "error-rate" in done.stderr  # the known rules are listed
    assert "Traceback" not in done.stdout + done.stderr


def test_alerts_export_prints_the_prometheus_rules(workdir: Path) -> None:
    done = run_alerts("export", "--prometheus", cwd=workdir)
    assert done.returncode == 0, done.stderr
    document = yaml.safe_load(done.stdout)
    rules = [r for g in document["groups"] for r in g["rules"]]
    assert "SeawallErrorRate" in {r["alert"] for r in rules}
    section = yaml.safe_load((workdir / "seawall.yaml").read_text())["alerts"]
    assert done.stdout == export_prometheus(AlertsConfig.model_validate(section))
    assert run_alerts("export", cwd=workdir).returncode == 2  # a format must be named


def test_a_bad_alerts_section_names_the_field(workdir: Path) -> None:
    path = workdir / "seawall.yaml"
    path.write_text(path.read_text().replace("threshold: 0.05", "threshold: 5"))
    done = run_alerts("list", cwd=workdir)
    assert done.returncode == 2
    assert (
        "seawall.yaml:20: alerts.rules.0.threshold: Input should be less than or equal to 1"
        in done.stderr
    )
    assert "Traceback" not in done.stdout + done.stderr


def test_alerts_list_shows_state_and_last_fired(workdir: Path) -> None:
    fired_at = asyncio.run(_fire_error_rate(workdir))
    done = run_alerts("list", "--json", cwd=workdir)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    by_rule = {row["rule"]: row for row in rows}
    firing = by_rule["error-rate"]
    assert (firing["state"], firing["labels"], firing["last_fired"]) == (
        "firing",
        {"model": "chat"},
        fired_at,
    )
    assert "10.0%" in firing["summary"]
    assert by_rule["breaker-open"]["state"] == "ok"
    assert by_rule["breaker-open"]["last_fired"] is None
    table = run_alerts("list", cwd=workdir)
    assert table.returncode == 0
    assert "firing" in table.stdout
    assert "never" in table.stdout


async def _fire_error_rate(workdir: Path) -> float:
    url = f"sqlite:///{workdir}/seawall.db"
    section = yaml.safe_load((workdir / "seawall.yaml").read_text())["alerts"]
    config = AlertsConfig.model_validate(
        {
            **section,
            "notifiers": {"log": {"kind": "log"}},
            "rules": [{**section["rules"][0], "notify": None}],
        }
    )
    store = await open_store(url)
    clock = FrozenClock(1_700_000_000.0)
    records = [
        CallRecord(
            trace_id=f"{i:032x}",
            started_at=clock.wall() - 30 + i * 0.1,
            model="chat",
            stream=False,
            outcome="error" if i % 10 == 0 else "ok",
            error_code="upstream_timeout" if i % 10 == 0 else None,
        )
        for i in range(100)
    ]
    engine = AlertEngine(config, store.engine, clock=clock)
    try:
        await store.write_calls(records)
        await engine.start(background=False)
        assert [e.rule for e in await engine.evaluate_once()] == ["error-rate"]
    finally:
        await engine.aclose()
        await store.aclose()
    return clock.wall()
