"""``seawall prompt promote|rollback`` and ``seawall release status`` as a user runs them.

A project with a prompt, its eval suite and a simulator scripted per version: the first
version passes its suite and goes straight to production; a candidate whose answers break
every case is refused with the eval report (exit 1); a healthy one becomes the canary; then
``--finish`` (refused before the canary passed unless forced), ``rollback`` and ``status``.
The gate runs as a real process (``seawall`` as a user types it); the quicker steps run the
same Typer app in process, since each fresh interpreter costs seconds of imports.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from helpers.process import run_cli
from seawall.cli.prompts import register
from seawall.config import AuthConfig
from seawall.core.clock import SystemClock
from seawall.security.service import Security

CONFIG = """\
store: {{url: "sqlite:///{db}"}}
providers:
  main:
    kind: sim
    sim:
      scenarios:
        - {{match: MARK-GOOD, reply_json: {{label: refund}}}}
        - {{match: MARK-BAD, reply_json: {{label: spam}}}}
        - {{match: MARK-ALSO, reply_json: {{label: refund}}}}
models:
  chat: {{targets: [{{provider: main, model: m}}]}}
"""

PROMPT = """\
name: triage
owner: support
model: chat
messages:
  - role: user
    content: "MARK-GOOD classify: {{ text }}"
variables: {type: object, required: [text], properties: {text: {type: string}}}
output_schema: {type: object, required: [label], properties: {label: {type: string}}}
eval_suite: evals/triage.yaml
canary: {share: 0.2, min_calls: 100, duration_s: 60}
"""

CASES = "\n".join(
    f"  - id: case-{i}\n"
    f'    vars: {{text: "ticket {i}"}}\n'
    '    assert: [{type: json_path, path: "$.label", equals: refund}]'
    for i in range(6)
)
SUITE = f"""\
target: {{prompt: triage@production}}
samples: 1
thresholds: {{pass_rate: 0.8}}
cases:
{CASES}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "seawall.yaml").write_text(CONFIG.format(db=tmp_path / "data" / "s.db"))
    (tmp_path / "prompts").mkdir()
    (tmp_path / "evals").mkdir()
    (tmp_path / "prompts" / "triage.yaml").write_text(PROMPT)
    (tmp_path / "evals" / "triage.yaml").write_text(SUITE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def process(project: Path, *args: str, code: int = 0) -> tuple[str, str]:
    """``seawall ARGS`` as a real process: (stdout, stderr)."""
    done = run_cli(*args, cwd=project)
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout, done.stderr


def seawall(*args: str, code: int = 0) -> tuple[str, str]:
    """The same commands through the Typer app in process: (stdout, stderr)."""
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.stdout, result.stderr


def push(project: Path, marker: str) -> None:
    (project / "prompts" / "triage.yaml").write_text(PROMPT.replace("MARK-GOOD", marker))
    seawall("prompt", "push", "prompts")


def status() -> dict[str, Any]:
    [found] = json.loads(seawall("release", "status", "triage", "--json")[0])
    assert isinstance(found, dict)
    return found


def audit(project: Path) -> list[Any]:
    async def read() -> list[Any]:
        url = f"sqlite:///{project / 'data' / 's.db'}"
        security = Security(url, AuthConfig(), SystemClock())
        try:
            return await security.audit.entries(action="release.*")
        finally:
            await security.aclose()

    return asyncio.run(read())


def test_the_gate_the_canary_and_rollback(project: Path) -> None:
    push(project, "MARK-GOOD")
    out, _ = seawall("prompt", "promote", "triage@1")
    assert "PASS: every threshold met" in out
    assert "✓ production: triage@1 (first production version of triage" in out
    assert status()["labels"] == {"production": 1}

    push(project, "MARK-BAD")  # every case's answer is now wrong
    out, err = process(project, "prompt", "promote", "triage@2", code=1)
    assert "✗ promotion refused: the candidate regressed against production (6 cases" in err
    assert "pass → fail" in out  # the report: which cases flipped, and why
    assert "$.label is 'spam', expected 'refund'" in out
    assert "REGRESSED" in out
    assert status()["labels"] == {"production": 1}  # nothing moved

    push(project, "MARK-ALSO")
    out, _ = process(project, "prompt", "promote", "triage@3", "--reason", "new wording")
    assert "✓ canary: triage@3 serves 20% of triage's traffic against production triage@1" in out
    live = status()
    assert live["labels"] == {"production": 1, "canary": 3}
    assert (live["live"]["candidate"], live["live"]["share"]) == (3, 0.2)
    assert live["look"]["action"] == "continue"
    assert "watching: 0/100 canary calls" in live["look"]["reason"]
    out, _ = seawall("release", "status", "triage")
    assert "live: triage@3 against production triage@1 on 20% of traffic (canary)" in out
    assert "invalid_output_rate" in out

    _, err = seawall("prompt", "promote", "triage@3", "--finish", code=1)
    assert "has not passed yet" in err
    _, err = seawall("prompt", "promote", "triage@2", "--finish", "--force", code=2)
    assert "the live canary of triage is triage@3, not triage@2" in err
    out, _ = seawall("prompt", "promote", "triage@3", "--finish", "--force")
    assert "✓ production: triage@3" in out
    assert status()["labels"] == {"production": 3}

    out, _ = seawall("prompt", "rollback", "triage", "--reason", "complaints")
    assert "✓ production: triage@3 → triage@1" in out
    after = status()
    assert after["labels"] == {"production": 1}
    assert [(r["candidate"], r["state"]) for r in after["history"]] == [
        (3, "rolled_back"),
        (3, "promoted"),
        (1, "promoted"),
    ]
    _, err = seawall("prompt", "rollback", "triage", code=1)
    assert "triage@1 is the first production version: nothing to roll back to" in err

    entries = audit(project)
    assert [(e.action, e.target) for e in entries] == [
        ("release.promoted", "triage@1"),
        ("release.refused", "triage@2"),
        ("release.started", "triage@3"),
        ("release.promoted", "triage@3"),
        ("release.rolled_back", "triage@3"),
    ]
    assert entries[1].detail["reason"].startswith("the candidate regressed against production")
    assert entries[2].detail["evidence"]["verdict"] == "no significant change"
    assert entries[2].detail["evidence"]["pass_rate"] == 1.0
    assert entries[4].actor.startswith("cli:")
    assert entries[4].detail["reason"].endswith(f"by {entries[4].actor}: complaints")


def test_a_prompt_without_an_eval_suite_cannot_be_promoted(project: Path) -> None:
    (project / "prompts" / "triage.yaml").write_text(PROMPT.replace("eval_suite:", "# "))
    seawall("prompt", "push", "prompts")
    _, err = seawall("prompt", "promote", "triage@1", code=2)
    assert "triage@1 has no eval_suite: promotion is gated by one" in err
    _, err = seawall("prompt", "promote", "triage", code=2)
    assert "say which version to promote: triage@VERSION" in err
