"""``seawall readiness``: audit a deployment against the production checklist and score it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from seawall.cli.common import console, load_or_exit
from seawall.cli.security import run_security
from seawall.config import Config


@dataclass(frozen=True, slots=True)
class Check:
    """One item of the checklist: ``ok`` False means not ready for production traffic."""

    area: str
    ok: bool
    detail: str


def auth_check(config: Config, keys_exist: bool) -> Check:
    mode = config.auth.mode
    if mode == "open" or (mode == "auto" and not keys_exist):
        return Check(
            "auth", False, "OPEN MODE: no API key is checked; create keys (seawall keys create)"
        )
    return Check("auth", True, f"API keys required (auth.mode={mode})")


def static_checks(config: Config) -> list[Check]:
    """Checks that need only the config."""
    checks: list[Check] = []
    for name, model in config.models.items():
        backup = len(model.targets) > 1 or model.degrade.configured
        checks.append(
            Check(
                f"models.{name}: fallback",
                backup,
                f"{len(model.targets)} targets"
                + (", degrade answer set" if model.degrade.configured else "")
                if backup
                else "one target and no degrade answer: an outage of it is an outage of this model",
            )
        )
        t = model.timeout
        checks.append(
            Check(
                f"models.{name}: timeouts",
                t.attempt_s <= t.deadline_s <= 300,
                f"attempt {t.attempt_s:g} s, deadline {t.deadline_s:g} s",
            )
        )
        guards = model.guards or config.guards
        on = [kind for kind in ("pii", "injection") if getattr(guards, kind) is not None]
        checks.append(
            Check(
                f"models.{name}: guards",
                len(on) == 2,
                f"{' and '.join(on)} guard on" if on else "no PII or injection guard",
            )
        )
        checks.append(
            Check(
                f"models.{name}: breaker",
                model.breaker.enabled,
                "circuit breaker on" if model.breaker.enabled else "breaker disabled",
            )
        )
    checks.append(
        Check(
            "audit",
            config.audit.hmac_key is not None,
            "hash chain keyed with audit.hmac_key"
            if config.audit.hmac_key
            else "audit.hmac_key not set: the chain is plain SHA-256 (forgeable by a store admin)",
        )
    )
    r = config.retention
    checks.append(
        Check(
            "retention",
            r.payload_days is not None and r.purge_interval_s is not None,
            f"payloads {r.payload_days} days, records {r.metadata_days} days, purge every "
            f"{r.purge_interval_s} s",
        )
    )
    return checks


def register(app: typer.Typer) -> None:
    @app.command("readiness")
    def readiness(
        config: Annotated[Path, typer.Option("--config", "-c", help="Config file.")] = Path(
            "seawall.yaml"
        ),
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        strict: Annotated[
            bool, typer.Option("--strict", help="Exit 1 unless every check passes.")
        ] = False,
    ) -> None:
        """Score this deployment against the production checklist (auth, fallbacks, timeouts, ...)."""
        cfg = load_or_exit(config).config
        keys_exist = run_security(cfg, lambda s: s.keys.ever_created())
        checks = [auth_check(cfg, keys_exist), *static_checks(cfg)]
        passed = sum(c.ok for c in checks)
        score = round(100 * passed / len(checks))
        if as_json:
            body = {"score": score, "checks": [asdict(c) for c in checks]}
            typer.echo(orjson.dumps(body).decode())
        else:
            console.print(_table(checks, score))
        if strict and passed < len(checks):
            raise typer.Exit(1)


def _table(checks: list[Check], score: int) -> Table:
    table = Table(title=f"production readiness: {score}/100")
    table.add_column("")
    table.add_column("check")
    table.add_column("detail")
    for c in checks:
        table.add_row("[green]✓[/]" if c.ok else "[red]✗[/]", c.area, c.detail)
    return table
