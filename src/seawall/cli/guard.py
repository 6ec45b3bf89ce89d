"""``seawall guard scan``: run the detectors over JSONL, so they can be scored on any corpus."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import orjson
import typer

from seawall.cli.common import errors
from seawall.guards.injection import InjectionDetector
from seawall.guards.pii import PII_TYPES, PiiDetector


def register(app: typer.Typer) -> None:
    """Add the ``guard`` command group to the ``seawall`` CLI."""
    guard = typer.Typer(help="PII and prompt-injection detectors.", no_args_is_help=True)
    guard.command("scan")(scan)
    app.add_typer(guard, name="guard")


def scan(
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            "-t",
            help=f"PII types to detect (repeat; default all: {', '.join(PII_TYPES)}).",
        ),
    ] = None,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Injection score that flags.")
    ] = 0.5,
    no_pii: Annotated[bool, typer.Option("--no-pii", help="Skip PII detection.")] = False,
    no_injection: Annotated[
        bool, typer.Option("--no-injection", help="Skip injection detection.")
    ] = False,
    input_file: Annotated[
        Path | None, typer.Option("--input", "-i", help="JSONL file (default: stdin).")
    ] = None,
) -> None:
    """Read {"text": ...} per line; write {"pii": [...], "injection": {...}} per line.

    A line that is not a JSON object with a string "text" gets {"error": ...} in its place, so
    output line N always answers input line N; the exit code is 1 if any line was bad.
    """
    try:
        pii = None if no_pii else PiiDetector(types)
    except (ValueError, RuntimeError) as exc:
        errors.print(f"✗ --type: {exc}", style="bold red", markup=False)
        raise typer.Exit(2) from None
    injection = None if no_injection else InjectionDetector(threshold)
    source: BinaryIO = input_file.open("rb") if input_file is not None else sys.stdin.buffer
    bad = 0
    out = sys.stdout.buffer
    try:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            result = _scan_line(line, number, pii, injection)
            bad += "error" in result
            out.write(orjson.dumps(result) + b"\n")
    finally:
        out.flush()
        if input_file is not None:
            source.close()
    if bad:
        errors.print(f'! {bad} input lines were not {{"text": string}} objects', markup=False)
        raise typer.Exit(1)


def _scan_line(
    line: bytes, number: int, pii: PiiDetector | None, injection: InjectionDetector | None
) -> dict[str, Any]:
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return {"line": number, "error": f"not JSON: {exc.args[0]}"}
    text = item.get("text") if isinstance(item, dict) else None
    if not isinstance(text, str):
        return {"line": number, "error": "expected an object with a string field 'text'"}
    result: dict[str, Any] = {}
    if pii is not None:
        result["pii"] = [{"start": f.start, "end": f.end, "type": f.type} for f in pii.scan(text)]
    if injection is not None:
        found = injection.scan(text)
        result["injection"] = {
            "score": round(found.score, 4),
            "flagged": found.flagged,
            "reasons": list(found.reasons),
        }
    return result
