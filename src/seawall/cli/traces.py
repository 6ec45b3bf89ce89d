"""``seawall traces``: read recorded calls (``tail`` the newest, ``show`` one in full).

Only ``store.url`` is read from the config, so the command works against a config that no
longer validates, and against a store copied off a server (``--store``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import orjson
import sqlalchemy as sa
import typer
import yaml
from rich.console import Console, Group, RenderableType
from rich.json import JSON
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from seawall.store.calls import SqlCallStore
from seawall.store.engine import sqlite_path
from seawall.store.rows import record_to_row
from seawall.telemetry.records import CallRecord

DEFAULT_STORE_URL = "sqlite:///.seawall/seawall.db"
FOLLOW_INTERVAL_S = 1.0
# A call is recorded when it ends, up to its deadline after it started: look back this far
# (by start time) for records that arrive late.
FOLLOW_LOOKBACK_S = 300.0
FOLLOW_BATCH = 1000

_OUTCOME_STYLE = {"ok": "green", "degraded": "yellow", "error": "red"}
_PAYLOAD_FIELDS = ("attempts", "request", "response")

T = TypeVar("T")

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Config file; only store.url is read.")
]
StoreOption = Annotated[
    str | None, typer.Option("--store", help="Store URL (overrides the config's store.url).")
]


class TraceLookupError(Exception):
    """The trace id (or prefix) names no call, or more than one."""


def register(app: typer.Typer) -> None:
    """Add the ``traces`` command group to the ``seawall`` CLI."""
    traces = typer.Typer(help="Inspect recorded calls.", no_args_is_help=True)
    traces.command("tail")(tail)
    traces.command("show")(show)
    app.add_typer(traces, name="traces")


# --------------------------------------------------------------------------- commands


def tail(
    config: ConfigOption = Path("seawall.yaml"),
    store: StoreOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Calls to show.")] = 20,
    model: Annotated[str | None, typer.Option(help="Only calls to this model.")] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new calls until Ctrl-C.")
    ] = False,
) -> None:
    """Show the most recent calls, oldest first."""
    url = store_url(config, store)
    console = Console()

    async def action(calls: SqlCallStore) -> None:
        records = await calls.recent_calls(limit, model=model, payloads=False)
        console.print(calls_table(list(reversed(records))))
        if follow:
            await follow_calls(calls, records, console.print, model=model)

    try:
        run_on_store(url, action)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def show(
    trace_id: Annotated[str, typer.Argument(help="Trace id, or a unique prefix of one.")],
    config: ConfigOption = Path("seawall.yaml"),
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw record as JSON.")] = False,
) -> None:
    """Show one call in full: every field, each attempt, and the payloads when stored."""
    url = store_url(config, store)
    try:
        record = run_on_store(url, lambda calls: find_call(calls, trace_id))
    except TraceLookupError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(record_json(record))
    else:
        Console().print(render_call(record))


# --------------------------------------------------------------------------- store access


def store_url(config: Path, override: str | None) -> str:
    """The store URL: ``--store``, else the config's ``store.url``, else the default."""
    if override:
        return override
    if not config.exists():
        return DEFAULT_STORE_URL
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        fail(f"cannot read {config}: {' '.join(str(exc).split())}")
    section = data.get("store") if isinstance(data, dict) else None
    url = section.get("url") if isinstance(section, dict) else None
    return url if isinstance(url, str) and url else DEFAULT_STORE_URL


def run_on_store(url: str, action: Callable[[SqlCallStore], Awaitable[T]]) -> T:
    """Run ``action`` against the store; store problems exit 1 with one line, no traceback."""

    async def go() -> T:
        calls = open_for_reading(url)
        try:
            return await action(calls)
        finally:
            await calls.aclose()

    try:
        return asyncio.run(go())
    except (sa.exc.SQLAlchemyError, OSError, ValueError) as exc:
        fail(f"cannot read the store at {redact(url)}: {first_line(exc)}")


def open_for_reading(url: str) -> SqlCallStore:
    # Reading must not create an empty SQLite file where the user mistyped a path.
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist (nothing recorded yet, or another --store?)"
        )
    return SqlCallStore(url)


async def find_call(calls: SqlCallStore, trace_id: str) -> CallRecord:
    """The call with this trace id, or the only one whose id starts with it."""
    record = await calls.get_call(trace_id)
    if record is not None:
        return record
    matches = await calls.find_trace_ids(trace_id, limit=5) if trace_id else []
    if not matches:
        raise TraceLookupError(f"no call with trace id {trace_id!r}")
    if len(matches) > 1:
        listed = ", ".join(matches)
        raise TraceLookupError(f"trace id prefix {trace_id!r} is ambiguous: {listed}")
    found = await calls.get_call(matches[0])
    if found is None:  # deleted between the two reads (retention)
        raise TraceLookupError(f"no call with trace id {trace_id!r}")
    return found


async def follow_calls(
    calls: SqlCallStore,
    shown: Iterable[CallRecord],
    emit: Callable[[RenderableType], None],
    *,
    model: str | None = None,
    interval_s: float = FOLLOW_INTERVAL_S,
    polls: int | None = None,
) -> None:
    """Poll for calls not shown yet and emit them as table rows; ``polls=None`` runs forever."""
    seen = {record.trace_id: record.started_at for record in shown}
    while polls is None or polls > 0:
        await asyncio.sleep(interval_s)
        since = (max(seen.values()) if seen else datetime.now().timestamp()) - FOLLOW_LOOKBACK_S
        found = await calls.recent_calls(FOLLOW_BATCH, since=since, model=model, payloads=False)
        new = [record for record in reversed(found) if record.trace_id not in seen]
        if new:
            emit(calls_table(new, show_header=False))
        seen = {tid: at for tid, at in seen.items() if at >= since}
        seen.update((record.trace_id, record.started_at) for record in new)
        polls = None if polls is None else polls - 1


# --------------------------------------------------------------------------- rendering


def calls_table(records: Iterable[CallRecord], *, show_header: bool = True) -> Table:
    """One row per call, as ``traces tail`` prints them."""
    table = Table(show_header=show_header, box=None, pad_edge=False, padding=(0, 1, 0, 0))
    for name, min_width, justify in _CALL_COLUMNS:
        # On a narrow terminal only the names (model, upstream) shrink, with an ellipsis;
        # ids and numbers keep their width so they are never cut.
        table.add_column(
            name,
            justify=justify,
            no_wrap=bool(min_width),  # Rich shrinks only wrappable columns
            min_width=min_width or None,
            max_width=None if min_width else 24,
            overflow="ellipsis",
        )
    for record in records:
        table.add_row(*call_row(record))
    return table


_CALL_COLUMNS: list[tuple[str, int, Any]] = [
    ("time", 8, "left"),
    ("trace", 12, "left"),
    ("model", 0, "left"),
    ("outcome", 8, "left"),
    ("status", 6, "right"),
    ("upstream", 0, "left"),
    ("att", 3, "right"),
    ("retries", 7, "right"),
    ("fallback", 8, "left"),
    ("latency ms", 10, "right"),
    ("ttft ms", 7, "right"),
    ("tokens", 6, "right"),
    ("cost", 8, "right"),
]


def call_row(record: CallRecord) -> list[str | Text]:
    return [
        datetime.fromtimestamp(record.started_at).strftime("%H:%M:%S"),  # `show` has the date
        record.trace_id[:12],  # enough to be unique; `show` takes the prefix
        record.model,
        outcome_text(record.outcome),
        str(record.status_code),
        record.upstream or "-",
        str(len(record.attempts)),
        str(record.retries),
        "yes" if record.fallback else "",
        ms(record.latency_ms),
        ms(record.ttft_ms),
        f"{record.prompt_tokens}/{record.completion_tokens}",
        usd(record.cost_usd),
    ]


def render_call(record: CallRecord) -> Group:
    """Everything ``traces show`` prints for one call."""
    parts: list[RenderableType] = [call_panel(record), attempts_table(record)]
    for name in ("request", "response"):
        payload = getattr(record, name)
        if payload is not None:
            parts.append(Panel(JSON.from_data(payload), title=name, title_align="left"))
    return Group(*parts)


def call_panel(record: CallRecord) -> Panel:
    """Every field of the call except attempts and payloads, one per line."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in record_to_row(record).items():
        if key not in _PAYLOAD_FIELDS:
            grid.add_row(key.replace("_", " "), field_text(key, value))
    title = Text.assemble("call ", (record.trace_id, "bold"), "  ", outcome_text(record.outcome))
    return Panel(grid, title=title, title_align="left")


def attempts_table(record: CallRecord) -> Table:
    """Each try at each target, in order."""
    table = Table(title="attempts", title_justify="left")
    for name in ("#", "target", "purpose", "started +ms", "latency ms", "status"):
        table.add_column(name, justify="right" if name.endswith("ms") or name == "#" else "left")
    for name in ("error class", "upstream status", "backoff ms"):
        table.add_column(name, justify="right" if name != "error class" else "left")
    for number, attempt in enumerate(record.attempts, start=1):
        table.add_row(
            str(number),
            attempt.target,
            attempt.purpose,
            ms(attempt.started_ms),
            ms(attempt.latency_ms),
            Text(attempt.status, style="green" if attempt.status == "ok" else "red"),
            attempt.error_class or "-",
            "-" if attempt.upstream_status is None else str(attempt.upstream_status),
            ms(attempt.retry_delay_ms),
        )
    return table


def field_text(key: str, value: Any) -> str | Text:
    if key == "started_at":
        stamp = datetime.fromtimestamp(value).astimezone().isoformat(timespec="milliseconds")
        return stamp
    if key == "outcome":
        return outcome_text(value)
    if key == "cost_usd":
        return usd(value)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return orjson.dumps(value, default=str).decode() if value else "-"
    if isinstance(value, float):
        return ms(value) if key.endswith("_ms") else f"{value:g}"
    return str(value)


def record_json(record: CallRecord) -> str:
    """The record as indented JSON (the same shape as its store row)."""
    option = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(record_to_row(record), default=str, option=option).decode()


def outcome_text(outcome: str) -> Text:
    return Text(outcome, style=_OUTCOME_STYLE.get(outcome, ""))


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def usd(value: float) -> str:
    return f"${value:.6f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- errors


def redact(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def first_line(exc: BaseException) -> str:
    # SQLAlchemy errors carry the original driver error, whose text is the useful part.
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip()
    return text.splitlines()[0] if text else type(original).__name__


def fail(message: str) -> NoReturn:
    typer.echo(f"seawall: {message}", err=True)
    raise typer.Exit(1)
