"""``seawall prompt`` commands in process, through the real Typer app, on a SQLite store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from seawall.cli.prompts import register
from seawall.store import migrate_async

CONFIG = """\
store: {{url: "sqlite:///{db}"}}
providers:
  main: {{kind: sim}}
models:
  chat: {{targets: [{{provider: main, model: m}}]}}
  support: {{targets: [{{provider: main, model: m}}]}}
"""

GREET = """\
name: greet
owner: team-a
model: chat
params: {temperature: 0.2}
messages:
  - role: user
    content: Say hello to {{ who }}.
variables:
  type: object
  required: [who]
  properties:
    who: {type: string}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "seawall.yaml").write_text(CONFIG.format(db=tmp_path / "data" / "s.db"))
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "greet.yaml").write_text(GREET)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEAWALL_AUTHOR", "ada")
    return tmp_path


@pytest.fixture
def app() -> typer.Typer:
    cli = typer.Typer()
    register(cli)
    return cli


def run(app: typer.Typer, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["prompt", *args], env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.stdout if code == 0 else result.stderr


def edit(project: Path, old: str, new: str) -> None:
    path = project / "prompts" / "greet.yaml"
    path.write_text(path.read_text().replace(old, new))


def test_reformatting_a_file_pushes_nothing(app: typer.Typer, project: Path) -> None:
    run(app, "push", "prompts")
    tidy = "# tidied\n" + GREET.replace(
        "params: {temperature: 0.2}", "params:\n  temperature: 0.20"
    )
    (project / "prompts" / "greet.yaml").write_text(tidy)
    assert run(app, "push", "prompts").split()[:2] == ["greet@1", "unchanged"]


def test_list_history_and_label_moves(app: typer.Typer, project: Path) -> None:
    empty = f"sqlite:///{project}/empty.db"
    asyncio.run(migrate_async(empty))
    assert "no prompts yet" in run(app, "list", "--store", empty)
    run(app, "push", "prompts", "-m", "first")
    edit(project, "0.2", "0.5")
    run(app, "push", "prompts", "-m", "second", "--author", "bob")
    run(app, "label", "greet@1", "production", "--reason", "launch")
    moved = run(app, "label", "greet@2", "production", "--reason", "better", "--actor", "carol")
    assert moved.strip() == "production: greet@1 → greet@2"
    assert run(app, "label", "greet@2", "production").strip() == "production: already greet@2"
    listing = run(app, "list")
    for text in ("greet", "production@2", "team-a", "chat"):
        assert text in listing
    history = run(app, "history", "greet")
    for text in ("first", "second", "bob", "launch", "better", "carol"):
        assert text in history
    assert run(app, "show", "greet").splitlines()[0] == "greet@2  labels: production"


def test_show_json_and_render_with_a_vars_file(app: typer.Typer, project: Path) -> None:
    run(app, "push", "prompts")
    assert json.loads(run(app, "show", "greet@1", "--json"))["params"]["temperature"] == 0.2
    (project / "vars.json").write_text('{"who": "Grace"}')
    messages = json.loads(run(app, "render", "greet", "--vars", "@vars.json", "--json"))
    assert messages == [{"role": "user", "content": "Say hello to Grace."}]
    shown = run(app, "show", "greet", "--vars", "@vars.json")
    assert shown.rstrip().endswith("rendered:\n── user ──\nSay hello to Grace.")
    assert "not valid JSON" in run(app, "render", "greet", "--vars", "{nope", code=1)
    assert "cannot read missing.json" in run(
        app, "render", "greet", "--vars", "@missing.json", code=1
    )
    err = run(app, "render", "greet", "--vars", '{"who": 7}', code=1)
    assert "variable 'who': 7 is not of type 'string' (variables.who)" in err


def test_a_prompt_must_use_a_model_of_the_config(app: typer.Typer, project: Path) -> None:
    edit(project, "model: chat", "model: nope")
    err = run(app, "push", "prompts", code=2)
    assert (
        "prompts/greet.yaml:3: model: 'nope' is not a model of seawall.yaml (known: chat, support)"
        in err
    )


def test_an_invalid_config_only_warns_about_models(app: typer.Typer, project: Path) -> None:
    (project / "seawall.yaml").write_text(
        f'store: {{url: "sqlite:///{project}/s.db"}}\nproviders: {{}}\n'
    )
    result = CliRunner().invoke(app, ["prompt", "push", "prompts"])
    assert result.exit_code == 0, result.output
    assert "cannot check prompt models against seawall.yaml" in result.stderr
    assert result.stdout.split()[:2] == ["greet@1", "stored"]


def test_errors_are_one_clear_line(app: typer.Typer, project: Path) -> None:
    run(app, "push", "prompts")
    assert run(app, "show", "nope", code=1).strip() == "seawall: no prompt named 'nope'"
    assert "has no version 4 (latest is 1)" in run(app, "show", "greet@4", code=1)
    assert "has no label 'canary'" in run(app, "render", "greet@canary", code=1)
    assert "not a valid label: 'Prod'" in run(app, "label", "greet@1", "Prod", code=1)
    assert "say which version" in run(app, "label", "greet", "staging", code=1)
    assert "not a prompt reference" in run(app, "diff", "greet@", "greet@1", code=1)
    missing = run(app, "list", "--store", f"sqlite:///{project}/nope.db", code=1)
    assert "nope.db does not exist" in missing
