"""``seawall prompt``: prompts as code: push files to the registry, inspect versions, move labels.

The commands run against the store directly (``store.url`` of ``-c seawall.yaml``, or
``--store``), so they work in CI and on a laptop without a running gateway.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.table import Table

from seawall.cli import release
from seawall.cli.traces import fail, first_line, redact, store_url
from seawall.configload import ConfigError, parse_config
from seawall.core.errors import SeawallError
from seawall.prompts import (
    CompiledPrompt,
    LoadedPrompt,
    PromptFileError,
    PromptVersion,
    Ref,
    SqlPromptRegistry,
    check_label,
    diff_versions,
    load_prompts,
    open_registry,
    parse_ref,
)
from seawall.prompts.loader import locate
from seawall.prompts.spec import canonical_yaml
from seawall.store.engine import sqlite_path

T = TypeVar("T")
EXIT_INVALID = 2

ConfigOption = Annotated[
    Path,
    typer.Option("--config", "-c", help="Config file: store.url, and the models prompts use."),
]
StoreOption = Annotated[
    str | None, typer.Option("--store", help="Store URL (overrides the config's store.url).")
]
VarsOption = Annotated[
    str | None,
    typer.Option("--vars", help='Variables as JSON (\'{"name": "Ada"}\'), or @FILE with JSON.'),
]


def register(app: typer.Typer) -> None:
    """Add the ``prompt`` and ``release`` command groups to the ``seawall`` CLI."""
    prompt = typer.Typer(
        help="Prompts as code: versions, labels, diffs, eval-gated promotion, rollback.",
        no_args_is_help=True,
    )
    for name, command in (
        ("push", push),
        ("list", list_prompts),
        ("show", show),
        ("diff", diff),
        ("history", history),
        ("label", label),
        ("render", render),
        ("promote", release.promote),
        ("rollback", release.rollback),
    ):
        prompt.command(name)(command)
    app.add_typer(prompt, name="prompt")
    group = typer.Typer(
        help="Canary releases of prompts: what is live, and why.", no_args_is_help=True
    )
    group.command("status")(release.status)
    app.add_typer(group, name="release")


# --------------------------------------------------------------------------- commands


def push(
    path: Annotated[Path, typer.Argument(help="A prompt file, or a directory of them.")],
    note: Annotated[str, typer.Option("--note", "-m", help="Change note.")] = "",
    author: Annotated[
        str | None, typer.Option(help="Author (default: $SEAWALL_AUTHOR or you).")
    ] = None,
    config: ConfigOption = Path("seawall.yaml"),
    store: StoreOption = None,
) -> None:
    """Store each changed prompt as a new immutable version; unchanged ones are left alone."""
    loaded = _load_or_exit(path)
    _check_models(loaded, config)
    who = author or os.environ.get("SEAWALL_AUTHOR") or getpass.getuser()

    async def action(registry: SqlPromptRegistry) -> list[tuple[PromptVersion, bool]]:
        out = []
        for item in loaded:
            result = await registry.push(item.spec, author=who, note=note)
            out.append((result.version, result.created))
        return out

    for version, created in _run(store_url(config, store), action, create=True):
        status = "stored" if created else "unchanged"
        typer.echo(f"{version.ref:<32} {status:<10} sha256:{version.content_hash[:12]}")


def list_prompts(config: ConfigOption = Path("seawall.yaml"), store: StoreOption = None) -> None:
    """Every prompt: newest version, labels, owner and model."""
    summaries = _run(store_url(config, store), lambda registry: registry.list_prompts())
    table = Table(box=None, pad_edge=False)
    for column in ("name", "latest", "labels", "owner", "model", "updated"):
        table.add_column(column)
    for s in summaries:
        labels = ", ".join(f"{name}@{v}" for name, v in sorted(s.labels.items())) or "-"
        table.add_row(s.name, str(s.latest), labels, s.owner, s.model, _when(s.updated_at))
    Console().print(table if summaries else "no prompts yet: seawall prompt push prompts/")


def show(
    ref: Annotated[str, typer.Argument(help="NAME, NAME@VERSION or NAME@LABEL.")],
    variables: VarsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stored spec as JSON.")] = False,
    config: ConfigOption = Path("seawall.yaml"),
    store: StoreOption = None,
) -> None:
    """One version: who pushed it, its labels and its content (rendered with --vars)."""
    name, wanted = _ref(ref)

    async def action(registry: SqlPromptRegistry) -> tuple[PromptVersion, dict[str, int]]:
        return await registry.get(name, wanted), await registry.labels(name)

    version, labels = _run(store_url(config, store), action)
    if as_json:
        typer.echo(json.dumps(version.spec.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    here = ", ".join(sorted(label for label, v in labels.items() if v == version.version))
    typer.echo(f"{version.ref}  labels: {here or '-'}")
    typer.echo(
        f"pushed {_when(version.created_at)} by {version.author} · sha256:{version.content_hash[:12]}"
    )
    if version.note:
        typer.echo(f"note: {version.note}")
    typer.echo("")
    typer.echo(canonical_yaml(version.spec.model_dump(mode="json", exclude_defaults=True)))
    if variables is not None:
        typer.echo("rendered:")
        _print_messages(_render_or_fail(version, _parse_vars(variables)))


def diff(
    a: Annotated[str, typer.Argument(help="NAME@A (version or label).")],
    b: Annotated[str, typer.Argument(help="NAME@B (version or label).")],
    config: ConfigOption = Path("seawall.yaml"),
    store: StoreOption = None,
) -> None:
    """What changed between two versions: the sections, then a unified diff."""
    (name_a, ref_a), (name_b, ref_b) = _ref(a), _ref(b)

    async def action(registry: SqlPromptRegistry) -> tuple[PromptVersion, PromptVersion]:
        return await registry.get(name_a, ref_a), await registry.get(name_b, ref_b)

    left, right = _run(store_url(config, store), action)
    result = diff_versions(left, right)
    typer.echo(f"changed: {', '.join(result.changed) or 'nothing'}")
    if result.unified:
        typer.echo(result.unified, nl=False)


def history(
    name: Annotated[str, typer.Argument(help="Prompt name.")],
    config: ConfigOption = Path("seawall.yaml"),
    store: StoreOption = None,
) -> None:
    """Every version of a prompt, then every label move with who and why."""

    async def action(registry: SqlPromptRegistry) -> tuple[Any, ...]:
        return (
            await registry.history(name),
            await registry.labels(name),
            await registry.label_events(name),
        )

    versions, labels, events = _run(store_url(config, store), action)
    table = Table(box=None, pad_edge=False, title="versions", title_justify="left")
    for column in ("version", "pushed", "author", "sha256", "labels", "note"):
        table.add_column(column)
    for v in versions:
        here = ", ".join(sorted(lbl for lbl, at in labels.items() if at == v.version))
        table.add_row(
            str(v.version), _when(v.created_at), v.author, v.content_hash[:12], here, v.note
        )
    console = Console()
    console.print(table)
    if events:
        moves = Table(box=None, pad_edge=False, title="label moves", title_justify="left")
        for column in ("when", "label", "from", "to", "by", "reason"):
            moves.add_column(column)
        for e in events:
            moves.add_row(
                _when(e.at), e.label, _version(e.previous), _version(e.version), e.actor, e.reason
            )
        console.print(moves)


def label(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION (or NAME@LABEL) to point the label at.")],
    name_of_label: Annotated[str, typer.Argument(metavar="LABEL", help="production, staging, …")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history).")] = "",
    actor: Annotated[
        str | None, typer.Option(help="Who (default: $SEAWALL_AUTHOR or you).")
    ] = None,
    config: ConfigOption = Path("seawall.yaml"),
    store: StoreOption = None,
) -> None:
    """Point a label at a version; the move is recorded with who and why."""
    name, wanted = _ref(ref)
    if wanted is None:
        fail(f"say which version to label: {name}@VERSION")
    try:
        check_label(name_of_label)
    except SeawallError as exc:
        fail(exc.message)
    who = actor or os.environ.get("SEAWALL_AUTHOR") or getpass.getuser()

    async def action(registry: SqlPromptRegistry) -> tuple[int, int | None]:
        target = (await registry.get(name, wanted)).version
        event = await registry.set_label(name, name_of_label, target, actor=who, reason=reason)
        return target, event.previous if event else target

    target, previous = _run(store_url(config, store), action)
    if previous == target:
        typer.echo(f"{name_of_label}: already {name}@{target}")
    elif previous is None:
        typer.echo(f"{name_of_label}: (new) → {name}@{target}")
    else:
        typer.echo(f"{name_of_label}: {name}@{previous} → {name}@{target}")


def render(
    ref: Annotated[str, typer.Argument(help="NAME, NAME@VERSION or NAME@LABEL.")],
    variables: VarsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the messages as JSON.")] = False,
    config: ConfigOption = Path("seawall.yaml"),
    store: StoreOption = None,
) -> None:
    """Print the messages a version renders to with these variables."""
    name, wanted = _ref(ref)
    version = _run(store_url(config, store), lambda registry: registry.get(name, wanted))
    messages = _render_or_fail(version, _parse_vars(variables or "{}"))
    if as_json:
        typer.echo(json.dumps(messages, indent=2, ensure_ascii=False))
    else:
        _print_messages(messages)


# --------------------------------------------------------------------------- helpers


def _run(
    url: str, action: Callable[[SqlPromptRegistry], Awaitable[T]], *, create: bool = False
) -> T:
    """Run ``action`` on the registry; every failure is one line on stderr and exit 1."""

    async def go() -> T:
        path = sqlite_path(url)
        if not create and path is not None and not path.exists():
            raise FileNotFoundError(
                f"{path} does not exist (no prompts pushed yet, or another --store?)"
            )
        registry = await open_registry(url)
        try:
            return await action(registry)
        finally:
            await registry.aclose()

    try:
        return asyncio.run(go())
    except SeawallError as exc:
        fail(exc.message)
    except FileNotFoundError as exc:
        fail(str(exc))
    except (sa.exc.SQLAlchemyError, OSError, ValueError) as exc:
        fail(f"cannot use the store at {redact(url)}: {first_line(exc)}")


def _load_or_exit(path: Path) -> list[LoadedPrompt]:
    try:
        return load_prompts(path)
    except PromptFileError as exc:
        for problem in exc.problems:
            typer.echo(f"✗ {problem}", err=True)
        typer.echo("nothing was pushed", err=True)
        raise typer.Exit(EXIT_INVALID) from None


def _check_models(loaded: list[LoadedPrompt], config: Path) -> None:
    """Each prompt must name a logical model of the config, when there is a config to ask."""
    if not config.exists():
        return
    try:
        models = parse_config(config.read_text("utf-8"), str(config)).models
    except (ConfigError, OSError) as exc:
        typer.echo(f"! cannot check prompt models against {config}: {first_line(exc)}", err=True)
        return
    problems = []
    for item in loaded:
        if item.spec.model not in models:
            line = locate(Path(item.path).read_text("utf-8"), ("model",))
            known = ", ".join(sorted(models))
            problems.append(
                f"{item.path}:{line}: model: '{item.spec.model}' is not a model of {config} "
                f"(known: {known})"
            )
    if problems:
        for problem in problems:
            typer.echo(f"✗ {problem}", err=True)
        typer.echo("nothing was pushed", err=True)
        raise typer.Exit(EXIT_INVALID)


def _parse_vars(text: str) -> Any:
    source = text
    if text.startswith("@"):
        try:
            source = Path(text[1:]).read_text("utf-8")
        except OSError as exc:
            fail(f"--vars: cannot read {text[1:]}: {exc.strerror or exc}")
    try:
        return json.loads(source)
    except json.JSONDecodeError as exc:
        fail(f"--vars: not valid JSON: {exc}")


def _render_or_fail(version: PromptVersion, variables: Any) -> list[dict[str, str]]:
    try:
        return CompiledPrompt(version.spec).render(variables)
    except SeawallError as exc:
        where = f" ({exc.param})" if exc.param else ""
        fail(f"{version.ref}: {exc.message}{where}")


def _print_messages(messages: list[dict[str, str]]) -> None:
    for message in messages:
        typer.echo(f"── {message['role']} ──")
        typer.echo(message["content"])


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M")


def _version(value: int | None) -> str:
    return "-" if value is None else str(value)


def _ref(text: str) -> tuple[str, Ref]:
    try:
        return parse_ref(text)
    except SeawallError as exc:
        fail(exc.message)
