"""``seawall keys``, ``seawall audit`` and ``seawall retention``: run against the store itself.

Whoever runs these holds the store (its file or its database credentials), so they act as the
operator: the audit log names them ``cli:<os user>``. A server picks up key changes within
``auth.refresh_s``.
"""

from __future__ import annotations

import asyncio
import getpass
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import orjson
import typer
from rich.table import Table

from seawall.cli.common import console, errors, load_or_exit
from seawall.config import Config
from seawall.configload import resolve_secret
from seawall.core.clock import SystemClock
from seawall.core.errors import SeawallError
from seawall.security.keys import KeyRecord
from seawall.security.roles import ROLES
from seawall.security.service import Security
from seawall.store.calls import open_store

T = TypeVar("T")
ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Config file (for store.url).")]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0, "w": 604_800.0}


def register(app: typer.Typer) -> None:
    """Add ``keys``, ``audit`` and ``retention`` to the ``seawall`` CLI."""
    keys = typer.Typer(help="Virtual API keys: create, list, revoke, rotate.", no_args_is_help=True)
    keys.command("create")(create)
    keys.command("list")(list_keys)
    keys.command("revoke")(revoke)
    keys.command("rotate")(rotate)
    app.add_typer(keys, name="keys")
    audit = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
    audit.command("verify")(verify)
    audit.command("export")(export)
    audit.command("list")(list_audit)
    app.add_typer(audit, name="audit")
    retention = typer.Typer(help="Delete what the retention policy expired.", no_args_is_help=True)
    retention.command("purge")(purge)
    app.add_typer(retention, name="retention")


# --------------------------------------------------------------------------- keys


def create(
    tenant: Annotated[
        str, typer.Option(help="Tenant the key belongs to ('*': every tenant, admin only).")
    ],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "app",
    models: Annotated[
        list[str] | None, typer.Option("--models", "-m", help="Allowed logical models (repeat).")
    ] = None,
    expires: Annotated[
        str | None, typer.Option(help="Lifetime like 30d, 12h (default: none).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="A label for people (e.g. the app's name).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the new key as JSON.")] = False,
    config: ConfigOption = Path("seawall.yaml"),
) -> None:
    """Create a key and print it ONCE: only its hash is stored."""
    lifetime = parse_duration(expires, "--expires") if expires else None
    cfg = load_or_exit(config).config

    async def action(security: Security) -> dict[str, object]:
        now = SystemClock().wall()
        new = await security.create_key(
            operator(),
            tenant=tenant,
            role=role,
            name=name,
            models=models or None,
            expires_at=now + lifetime if lifetime is not None else None,
        )
        return {**new.record.public(now), "key": new.secret}

    created = run_security(cfg, action)
    if as_json:
        typer.echo(orjson.dumps(created).decode())
        return
    console.print(
        f"[green]✓[/] created key [bold]{created['key_id']}[/] for tenant "
        f"[bold]{tenant}[/], role [bold]{role}[/]"
    )
    console.print(f"\n  {created['key']}\n", markup=False)
    console.print("[yellow]Store it now: it is shown only once and cannot be recovered.[/]")


def list_keys(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
    config: ConfigOption = Path("seawall.yaml"),
) -> None:
    """List keys (never the keys themselves: id, tenant, role, models, status)."""
    cfg = load_or_exit(config).config
    records = run_security(cfg, lambda s: s.keys.list(tenant))
    now = SystemClock().wall()
    if as_json:
        for record in records:
            typer.echo(orjson.dumps(record.public(now)).decode())
        return
    console.print(keys_table(records, now))


def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (sw-<key id>-...).")],
    config: ConfigOption = Path("seawall.yaml"),
) -> None:
    """Revoke a key now (servers stop accepting it within auth.refresh_s)."""
    cfg = load_or_exit(config).config
    record = run_security(cfg, lambda s: s.revoke_key(operator(), key_id))
    console.print(f"[green]✓[/] revoked key [bold]{record.key_id}[/] (tenant {record.tenant})")


def rotate(
    key_id: Annotated[str, typer.Argument(help="The key id to replace.")],
    grace: Annotated[
        str, typer.Option(help="How long the old key keeps working, e.g. 24h.")
    ] = "24h",
    as_json: Annotated[bool, typer.Option("--json", help="Print the new key as JSON.")] = False,
    config: ConfigOption = Path("seawall.yaml"),
) -> None:
    """Replace a key: a new key with the same tenant, role and models; the old one expires after --grace."""
    grace_s = parse_duration(grace, "--grace")
    cfg = load_or_exit(config).config
    new = run_security(cfg, lambda s: s.rotate_key(operator(), key_id, grace_s))
    if as_json:
        typer.echo(
            orjson.dumps({**new.record.public(SystemClock().wall()), "key": new.secret}).decode()
        )
        return
    console.print(
        f"[green]✓[/] key {key_id} rotated; it keeps working for {grace}. New key "
        f"[bold]{new.record.key_id}[/]:"
    )
    console.print(f"\n  {new.secret}\n", markup=False)
    console.print("[yellow]Store it now: it is shown only once and cannot be recovered.[/]")


def keys_table(records: list[KeyRecord], now: float) -> Table:
    table = Table(title=f"{len(records)} keys")
    for column in ("key id", "tenant", "role", "name", "models", "status", "created", "expires"):
        table.add_column(column)
    styles = {"active": "green", "rotating": "yellow", "revoked": "red", "expired": "red"}
    for r in records:
        status = r.status(now)
        table.add_row(
            r.key_id,
            r.tenant,
            r.role,
            r.name or "-",
            ", ".join(r.models) if r.models is not None else "all",
            f"[{styles[status]}]{status}[/]",
            stamp(r.created_at),
            stamp(r.expires_at),
        )
    return table


# --------------------------------------------------------------------------- audit


def verify(config: ConfigOption = Path("seawall.yaml")) -> None:
    """Recompute the audit chain; exit 1 naming the first entry that was edited, deleted, inserted or moved."""
    cfg = load_or_exit(config).config
    result = run_security(cfg, lambda s: s.audit.verify())
    if not result.ok:
        errors.print(f"[bold red]✗ audit log tampered: {result.problem}[/]")
        errors.print(
            f"  entries 1..{result.head_seq} verify; the chain breaks at entry {result.bad_seq}"
        )
        raise typer.Exit(1)
    keyed = "HMAC" if cfg.audit.hmac_key else "SHA-256 (no audit.hmac_key)"
    console.print(f"[green]✓[/] {result.checked} audit entries verify ({keyed})")
    console.print(
        f"  head: entry {result.head_seq} {result.head_hash}  (keep a copy elsewhere to detect truncation)"
    )


def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default: stdout).")
    ] = None,
    config: ConfigOption = Path("seawall.yaml"),
) -> None:
    """Write every audit entry as JSON lines (with hashes), for external archiving."""
    cfg = load_or_exit(config).config

    async def action(security: Security) -> int:
        count = 0
        sink = output.open("wb") if output is not None else sys.stdout.buffer
        try:
            async for entry in security.audit.scan():
                sink.write(orjson.dumps(entry.as_dict()) + b"\n")
                count += 1
        finally:
            if output is not None:
                sink.close()
            else:
                sink.flush()
        return count

    count = run_security(cfg, action)
    if output is not None:
        console.print(f"[green]✓[/] wrote {count} audit entries to {output}")


def list_audit(
    action: Annotated[str | None, typer.Option(help="Only this action (wildcards: key.*).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 50,
    config: ConfigOption = Path("seawall.yaml"),
) -> None:
    """Show the newest audit entries."""
    cfg = load_or_exit(config).config
    entries = run_security(
        cfg, lambda s: s.audit.entries(action=action, limit=limit, newest_first=True)
    )
    table = Table(title=f"newest {len(entries)} audit entries")
    for column in ("seq", "at", "actor", "tenant", "action", "target", "detail"):
        table.add_column(column)
    for e in reversed(entries):
        detail = orjson.dumps(dict(e.detail)).decode() if e.detail else "-"
        table.add_row(
            str(e.seq), stamp(e.at), e.actor, e.tenant or "-", e.action, e.target or "-", detail
        )
    console.print(table)


# --------------------------------------------------------------------------- retention


def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
    config: ConfigOption = Path("seawall.yaml"),
) -> None:
    """Clear payloads older than retention.payload_days and delete records older than metadata_days."""
    cfg = load_or_exit(config).config
    done = run_security(cfg, lambda s: s.purge(operator(), cfg.retention, dry_run=dry_run))
    verb = "would clear" if dry_run else "cleared"
    console.print(
        f"[green]✓[/] {verb} payloads of {done.payloads_cleared} calls (before "
        f"{stamp(done.payload_cutoff)}); {'would delete' if dry_run else 'deleted'} "
        f"{done.records_deleted} records (before {stamp(done.record_cutoff)})"
    )


# --------------------------------------------------------------------------- plumbing


def operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def run_security(config: Config, action: Callable[[Security], Awaitable[T]]) -> T:
    """Open the store (migrating it), run ``action`` with a ``Security``, close; errors as one line."""

    async def go() -> T:
        store = await open_store(config.store.url)
        await store.aclose()
        security = Security(config.store.url, config.auth, SystemClock(), _audit_key(config))
        try:
            await security.start(refresh_in_background=False)
            return await action(security)
        finally:
            await security.aclose()

    try:
        return asyncio.run(go())
    except SeawallError as exc:
        fail(exc.message)
    except Exception as exc:
        original = getattr(exc, "orig", None) or exc
        fail(
            f"store {config.store.url}: {str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__}"
        )


def _audit_key(config: Config) -> bytes | None:
    # The same key the server uses (wiring.audit_key), read without loading the gateway.
    value = resolve_secret(config.audit.hmac_key)
    if config.audit.hmac_key is not None and not value:
        fail(f"audit.hmac_key: {config.audit.hmac_key} is not set")
    return value.encode() if value else None


def parse_duration(text: str, option: str) -> float:
    """``30d`` → seconds; a clear error naming the option otherwise."""
    match = _DURATION.match(text)
    if match is None:
        fail(f"{option}: expected a duration like 90s, 15m, 24h, 30d or 2w (got {text!r})")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def stamp(value: float | None) -> str:
    if value is None:
        return "-"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def fail(message: str) -> NoReturn:
    errors.print(f"✗ {message}", style="bold red", markup=False)
    raise typer.Exit(1)
