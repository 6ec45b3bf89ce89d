"""``seawall prompt`` as a user runs it, as a real process: push, label, diff, render.

Every other detail of the commands is tested in process (``tests/unit/prompts/test_prompt_commands.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.process import run_cli

CONFIG = """\
store: {{url: "sqlite:///{db}"}}
providers:
  main: {{kind: sim}}
models:
  chat: {{targets: [{{provider: main, model: m}}]}}
"""

GREET = """\
name: greet
owner: team-a
model: chat
params: {temperature: 0.2}
messages:
  - role: system
    content: You greet people.
  - role: user
    content: |
      Say hello to {{ who }}.
variables:
  type: object
  required: [who]
  properties:
    who: {type: string}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "seawall.yaml").write_text(CONFIG.format(db=tmp_path / "data" / "s.db"))
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "greet.yaml").write_text(GREET)
    return tmp_path


def cli(project: Path, *args: str, code: int = 0) -> str:
    done = run_cli("prompt", *args, cwd=project)
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout if code == 0 else done.stderr


def test_push_label_diff_and_render(project: Path) -> None:
    out = cli(project, "push", "prompts", "-m", "first", "--author", "ada")
    assert out.split()[:2] == ["greet@1", "stored"]
    (project / "prompts" / "greet.yaml").write_text(GREET.replace("0.2", "0.7"))
    assert cli(project, "push", "prompts", "-m", "warmer").split()[:2] == ["greet@2", "stored"]
    labelled = cli(project, "label", "greet@1", "production", "--reason", "launch")
    assert labelled.strip() == "production: (new) → greet@1"
    diff = cli(project, "diff", "greet@production", "greet@2")
    assert diff.splitlines()[:3] == ["changed: params", "--- greet@1", "+++ greet@2"]
    assert "-  temperature: 0.2" in diff
    assert "+  temperature: 0.7" in diff
    err = cli(project, "render", "greet@production", "--vars", "{}", code=1)
    assert err.strip() == "seawall: greet@1: variable 'who' is required but missing (variables.who)"


def test_a_bad_file_is_refused_with_file_and_line_and_nothing_is_pushed(project: Path) -> None:
    bad = GREET.replace("name: greet", "name: broken").replace(
        "Say hello to {{ who }}.", "Say hello\n      to {{ who }."
    )
    (project / "prompts" / "broken.yaml").write_text(bad)
    err = cli(project, "push", "prompts", code=2)
    assert (
        "prompts/broken.yaml:11: messages.1.content: template syntax error at template line 2: "
        "unexpected '}'"
    ) in err
    assert "nothing was pushed" in err
    assert not (project / "data").exists()  # not even the store was created
