"""``seawall cost report`` and ``cost project`` on a synthetic week with known totals.

A week of calls to three upstreams (with retries, fallbacks and failed calls) is written to a
real SQLite store; the commands' projected month and route-change saving must equal the
analytic answer to the cent.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from helpers.process import run_cli
from seawall.cli.cost import register
from seawall.core.types import Usage
from seawall.store import open_store
from seawall.telemetry.prices import PriceTable
from seawall.telemetry.records import CallRecord

DAY = 86_400.0
# Per day: (logical model, upstream, calls, prompt tokens, completion tokens, fallback)
TRAFFIC = [
    ("chat", "openai/gpt-4o", 40, 1000, 200, False),
    ("faq", "openai/gpt-4o-mini", 100, 500, 100, False),
    ("chat", "anthropic/claude-3-5-haiku", 10, 800, 300, True),
]
PRICES = PriceTable()


def cost(upstream: str, prompt: int, completion: int) -> float:
    return PRICES.cost(upstream.split("/", 1)[1], Usage(prompt, completion))


def week(now: float) -> list[CallRecord]:
    records: list[CallRecord] = []
    for day in range(7):
        start = now - 7 * DAY + 3600 + day * (DAY - 600)
        for model, upstream, count, prompt, completion, fallback in TRAFFIC:
            for i in range(count):
                records.append(
                    CallRecord(
                        trace_id=f"{len(records):032x}",
                        started_at=start + i,
                        model=model,
                        stream=False,
                        upstream=upstream,
                        retries=1 if i % 5 == 0 else 0,
                        fallback=fallback,
                        prompt_tokens=prompt,
                        completion_tokens=completion,
                        cost_usd=cost(upstream, prompt, completion),
                        tenant="acme" if i % 2 else "globex",
                    )
                )
        records.append(  # a call every upstream refused: no cost
            CallRecord(
                trace_id=f"{len(records):032x}",
                started_at=start + 500,
                model="chat",
                stream=False,
                status_code=502,
                outcome="error",
            )
        )
    return records


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cost")
    (path / "seawall.yaml").write_text(f'store: {{url: "sqlite:///{path}/calls.db"}}\n')

    async def write() -> None:
        store = await open_store(f"sqlite:///{path}/calls.db")
        await store.write_calls(week(time.time()))
        await store.aclose()

    asyncio.run(write())
    return path


def cli_json(workdir: Path, *args: str) -> Any:
    done = run_cli("cost", *args, "--json", cwd=workdir)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def weekly(upstream: str | None = None) -> float:
    return 7 * sum(
        count * cost(up, prompt, completion)
        for _, up, count, prompt, completion, _ in TRAFFIC
        if upstream in (None, up)
    )


def test_report_totals_and_groups(workdir: Path) -> None:
    report = cli_json(workdir, "report", "--since", "7d", "--by", "upstream")
    total = report["total"]
    assert total["calls"] == 7 * 151
    assert round(total["cost_usd"], 6) == round(weekly(), 6)
    assert (total["prompt_tokens"], total["completion_tokens"]) == (7 * 98_000, 7 * 21_000)
    assert total["retried_calls"] == total["retries"] == 7 * (8 + 20 + 2)
    assert total["fallback_calls"] == 70
    groups = {g["group"]: g for g in report["groups"]}
    assert list(groups) == [
        "openai/gpt-4o",
        "anthropic/claude-3-5-haiku",
        "openai/gpt-4o-mini",
        None,
    ], "by cost, highest first"
    haiku = groups["anthropic/claude-3-5-haiku"]
    assert haiku["overhead_share"] == 1.0, "every call to it was a fallback"
    assert groups["openai/gpt-4o"]["overhead_share"] == pytest.approx(8 / 40)


def test_the_projected_month_and_the_route_change_saving(workdir: Path) -> None:
    result = cli_json(
        workdir,
        "project",
        "--since",
        "7d",
        "--growth",
        "10x",
        "--route-change",
        "gpt-4o=gpt-4o-mini",
    )
    factor = 30.4 / 7 * 10
    assert round(result["monthly_usd"], 2) == round(weekly() * factor, 2)
    models = {m["group"]: round(m["monthly_usd"], 2) for m in result["models"]}
    assert models["openai/gpt-4o"] == round(weekly("openai/gpt-4o") * factor, 2)
    (change,) = result["route_changes"]
    moved = 7 * 40
    repriced = moved * cost("x/gpt-4o-mini", 1000, 200) * factor
    assert change["moved_calls"] == moved
    assert round(change["monthly_after_usd"], 2) == round(repriced, 2)
    expected_saving = weekly("openai/gpt-4o") * factor - repriced
    assert round(change["saving_usd"], 2) == round(expected_saving, 2)
    assert round(result["monthly_after_changes_usd"], 2) == round(
        weekly() * factor - expected_saving, 2
    )


def in_process(workdir: Path, *args: str) -> tuple[int, str, str]:
    """The same commands without a new interpreter (the JSON tests above run the real one)."""
    app = typer.Typer()
    register(app)
    config = ["-c", str(workdir / "seawall.yaml")]
    result = CliRunner().invoke(app, ["cost", *args, *config], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_tables_for_people(workdir: Path) -> None:
    code, out, err = in_process(workdir, "report", "--since", "7d", "--by", "tenant")
    assert code == 0, err
    for text in ("acme", "globex", "total", "retried", "overhead"):
        assert text in out
    code, out, err = in_process(
        workdir, "project", "--growth", "2x", "--route-change", "gpt-4o=gpt-4o-mini"
    )
    assert code == 0, err
    assert "gpt-4o → gpt-4o-mini: 280 calls" in out
    assert "saves $" in out
    assert "prices as of" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--by", "colour"], "--by must be one of model, upstream, tenant, key, route"),
        (["report", "--since", "last week"], "neither a duration"),
        (["project", "--growth", "ten"], "growth 'ten' must be a factor"),
        (["project", "--route-change", "gpt-4o=my-llama"], "no price for 'my-llama'"),
        (["report", "--store", "sqlite:///nowhere/x.db"], "does not exist"),
    ],
)
def test_bad_arguments_get_one_clear_line(workdir: Path, args: list[str], message: str) -> None:
    code, _, err = in_process(workdir, *args)
    assert code == 1
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_bad_price_in_the_config_names_the_file_and_field(tmp_path: Path, workdir: Path) -> None:
    config = tmp_path / "seawall.yaml"
    config.write_text(
        f'store: {{url: "sqlite:///{workdir}/calls.db"}}\n'
        "prices:\n  my-llama: {input: cheap, output: 1}\n"
    )
    code, _, err = in_process(tmp_path, "project")
    assert code == 1
    assert f"{config}: prices.my-llama.input:" in err
    config.write_text(config.read_text().replace("cheap", "0.1"))
    code, out, err = in_process(tmp_path, "project", "--route-change", "gpt-4o=my-llama", "--json")
    assert code == 0, err
    assert json.loads(out)["route_changes"][0]["monthly_after_usd"] > 0
