"""The lazy `seawall` entry point: every listed command exists in the module it names."""

from __future__ import annotations

import pytest
import typer.main

from seawall.cli.main import COMMANDS, build_app


def names(app: object) -> set[str]:
    built = typer.main.get_command(app)  # type: ignore[arg-type]
    return set(built.commands)  # type: ignore[attr-defined]


def test_help_lists_every_command_without_importing_them() -> None:
    assert names(build_app([])) == set(COMMANDS)
    assert names(build_app(["--help"])) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_comes_from_its_module(command: str) -> None:
    assert command in names(build_app([command]))
