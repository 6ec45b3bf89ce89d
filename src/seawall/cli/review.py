"""``seawall review``: work the review queue of a running server over its admin API.

    seawall review list [--status open] [--overdue]
    seawall review show ID
    seawall review claim ID
    seawall review resolve ID --approve | --edit "answer" | --reject --reason "..."
                              [--add-to-suite evals/x.yaml]

The server checks the key's role (``reviewer``: its tenant's queue). The key comes from
``--api-key`` or ``SEAWALL_API_KEY``. ``--add-to-suite`` turns the resolution into a regression
case of an eval suite, with the reviewer's answer as the expectation.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Group
from rich.json import JSON
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from seawall.cli.common import console, errors
from seawall.evals.addcase import AddCaseError, add_case
from seawall.evals.load import SuiteError, load_suite
from seawall.review.cases import CaseError, case_from_review, replay
from seawall.review.items import ReviewItem

DEFAULT_SERVER = "http://127.0.0.1:8080"
TIMEOUT_S = 30.0

ServerOpt = Annotated[str, typer.Option("--server", help="Base URL of the running Seawall server.")]
KeyOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key", envvar="SEAWALL_API_KEY", help="API key (reviewer role).", show_default=False
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the raw JSON.")]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="Review id (rv...).")]


def register(app: typer.Typer) -> None:
    """Add the ``review`` command group to the ``seawall`` CLI."""
    review = typer.Typer(help="The human review queue of a running server.", no_args_is_help=True)
    review.command("list")(list_reviews)
    review.command("show")(show)
    review.command("claim")(claim)
    review.command("resolve")(resolve)
    app.add_typer(review, name="review")


# --------------------------------------------------------------------------- commands


def list_reviews(
    status: Annotated[
        str, typer.Option(help="open, pending, claimed, approved, edited, rejected or all.")
    ] = "open",
    overdue: Annotated[bool, typer.Option("--overdue", help="Only items past their SLA.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000)] = 50,
    server: ServerOpt = DEFAULT_SERVER,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List review items, most urgent first."""
    query: dict[str, Any] = {"limit": limit}
    if status != "all":
        query["status"] = status
    if overdue:
        query["overdue"] = "true"
    data = Client(server, api_key).get("/admin/reviews", query)["data"]
    if as_json:
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    if not data:
        console.print("[dim]no review items match[/]")
        return
    console.print(items_table(data))


def show(
    review_id: IdArg,
    server: ServerOpt = DEFAULT_SERVER,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one item with its full context."""
    item = Client(server, api_key).get(f"/admin/reviews/{_quote(review_id)}")
    if as_json:
        typer.echo(orjson.dumps(item, option=orjson.OPT_INDENT_2).decode())
        return
    console.print(render_item(item))


def claim(review_id: IdArg, server: ServerOpt = DEFAULT_SERVER, api_key: KeyOpt = None) -> None:
    """Claim an item: it is yours to resolve until the claim times out."""
    item = Client(server, api_key).post(f"/admin/reviews/{_quote(review_id)}/claim", {})
    console.print(f"[green]✓[/] claimed {item['id']} until {_stamp(item.get('claim_expires_at'))}")


def resolve(
    review_id: IdArg,
    approve: Annotated[bool, typer.Option("--approve", help="The answer stands.")] = False,
    edit: Annotated[
        str | None, typer.Option("--edit", help="Override the answer with this one.")
    ] = None,
    reject: Annotated[bool, typer.Option("--reject", help="The answer must not stand.")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (needed to reject).")] = None,
    add_to_suite: Annotated[
        Path | None,
        typer.Option("--add-to-suite", help="Add the resolution to this eval suite as a case."),
    ] = None,
    server: ServerOpt = DEFAULT_SERVER,
    api_key: KeyOpt = None,
) -> None:
    """Approve, edit or reject a claimed item."""
    decision = _decision(approve, edit, reject)
    if decision == "reject" and not (reason and reason.strip()):
        fail('--reject needs --reason "..."')
    client = Client(server, api_key)
    path = f"/admin/reviews/{_quote(review_id)}"
    use_vars = _check_suite(add_to_suite, client.get(path)) if add_to_suite else False
    body = {"decision": decision, "answer": edit, "reason": reason}
    item = client.post(f"{path}/resolve", body)
    console.print(f"[green]✓[/] {item['id']} {item['status']} by {item['resolved_by']}")
    if add_to_suite is not None:
        _add_case(add_to_suite, item, use_vars)


# --------------------------------------------------------------------------- add to suite


def _check_suite(suite: Path, item: dict[str, Any]) -> bool:
    """Before resolving: the suite is valid and the item can be replayed; True: replay vars."""
    try:
        loaded = load_suite(suite)
    except SuiteError as exc:
        fail(f"--add-to-suite: {str(exc).splitlines()[0]}")
    use_vars = loaded.suite.target.prompt is not None
    try:
        replay(item.get("context") or {}, use_vars=use_vars, what=f"review {item.get('id')}")
    except CaseError as exc:
        fail(f"--add-to-suite {suite}: {exc}")
    return use_vars


def _add_case(suite: Path, item: dict[str, Any], use_vars: bool) -> None:
    try:
        case = case_from_review(ReviewItem.from_dict(item), use_vars=use_vars)
        add_case(suite, case)
    except (AddCaseError, SuiteError, CaseError) as exc:
        fail(f"{item['id']} was resolved, but the case was not added to {suite}: {exc}")
    console.print(f"[green]✓[/] added case {case['id']} to {suite}")


# --------------------------------------------------------------------------- HTTP


class Client:
    """The admin API of one server, every failure turned into one line and exit 1."""

    def __init__(self, server: str, api_key: str | None) -> None:
        self.server = server.rstrip("/")
        self.api_key = api_key

    def get(self, path: str, query: dict[str, Any] | None = None) -> Any:
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return self._send("GET", path + suffix, None)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._send("POST", path, {k: v for k, v in body.items() if v is not None})

    def _send(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        headers = {"accept": "application/json"}
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        data = None
        if body is not None:
            data, headers["content-type"] = orjson.dumps(body), "application/json"
        request = urllib.request.Request(self.server + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:
                return orjson.loads(reply.read())
        except urllib.error.HTTPError as exc:
            fail(http_error(exc.code, exc.read(), self.server))
        except (urllib.error.URLError, OSError) as exc:
            why = getattr(exc, "reason", exc)
            fail(
                f"cannot reach the Seawall server at {self.server} ({why}); is it running? (--server)"
            )
        except orjson.JSONDecodeError:
            fail(f"{self.server} did not answer JSON: is it a Seawall server? (--server)")


def http_error(status: int, raw: bytes, server: str) -> str:
    """One line for an error answer of the server."""
    try:
        message = orjson.loads(raw)["error"]["message"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        message = raw.decode("utf-8", "replace").strip()[:200] or "no details"
    if status == 401:
        return f"{server} refused the API key (401): {message}; set --api-key or SEAWALL_API_KEY"
    if status == 403:
        return f"not allowed (403): {message}"
    if status == 404:
        return f"not found (404): {message}"
    return f"the server answered {status}: {message}"


# --------------------------------------------------------------------------- rendering


def items_table(data: list[dict[str, Any]]) -> Table:
    """One row per item, as ``review list`` prints them."""
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0))
    for column in ("id", "status", "mode", "model", "confidence", "reasons", "due", "claimed by"):
        table.add_column(column, no_wrap=column in ("id", "due"))
    for item in data:
        late = item.get("overdue")
        table.add_row(
            item["id"],
            item["status"],
            item["mode"],
            Text(str(item.get("model") or "-")),
            _confidence(item.get("confidence")),
            ", ".join(r.get("code", "?") for r in item.get("reasons") or []),
            f"[red]{_stamp(item['due_at'])} overdue[/]" if late else _stamp(item["due_at"]),
            item.get("claimed_by") or "-",
        )
    return table


def render_item(item: dict[str, Any]) -> Group:
    """An item in full: its state, why it is here, the answer and the context."""
    context = item.get("context") or {}
    facts = Table.grid(padding=(0, 2))
    for name, value in (
        (
            "status",
            item["status"] + (" (overdue)" if item.get("overdue") or item.get("late") else ""),
        ),
        ("mode / source", f"{item['mode']} / {item['source']}"),
        ("trace", item.get("trace_id") or "-"),
        ("model", context.get("model") or "-"),
        (
            "prompt",
            " ".join(str(v) for v in (context.get("prompt"), context.get("release")) if v) or "-",
        ),
        ("confidence", _confidence(context.get("confidence"))),
        ("validation", context.get("validation") or "-"),
        ("created / due", f"{_stamp(item['created_at'])} / {_stamp(item['due_at'])}"),
        ("claimed by", item.get("claimed_by") or "-"),
        ("resolved by", item.get("resolved_by") or "-"),
        ("reason", item.get("reason") or "-"),
    ):
        facts.add_row(Text(name, style="bold"), Text(str(value)))
    reasons = "\n".join(f"• {r.get('message', r.get('code'))}" for r in item.get("reasons") or [])
    parts = [
        Panel(facts, title=f"review {item['id']}", title_align="left"),
        Panel(Text(reasons or "-"), title="why", title_align="left"),
        Panel(Text(item.get("answer") or "-"), title="answer", title_align="left"),
    ]
    if item.get("final_answer") is not None and item.get("final_answer") != item.get("answer"):
        parts.append(Panel(Text(item["final_answer"]), title="final answer", title_align="left"))
    parts.append(Panel(JSON.from_data(context, default=str), title="context", title_align="left"))
    return Group(*parts)


def _decision(approve: bool, edit: str | None, reject: bool) -> str:
    chosen = [
        name
        for name, on in (("approve", approve), ("edit", edit is not None), ("reject", reject))
        if on
    ]
    if len(chosen) != 1:
        fail('say exactly one of --approve, --edit "answer" or --reject')
    return chosen[0]


def _confidence(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "-"


def _stamp(value: object) -> str:
    if not isinstance(value, int | float):
        return "-"
    return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")


def _quote(review_id: str) -> str:
    return urllib.parse.quote(review_id, safe="")


def fail(message: str) -> NoReturn:
    """Print one error line and exit 1."""
    errors.print(f"[bold red]✗[/] {escape(message)}", highlight=False)
    raise typer.Exit(1)
