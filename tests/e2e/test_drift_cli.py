"""``seawall drift report`` on a store with a week of English questions and a day of Cyrillic ones."""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from helpers.process import run_cli
from seawall.cli.drift import register
from seawall.store import open_store
from seawall.telemetry.records import CallRecord

DAY = 86_400.0
ENGLISH = ["How do I reset my password?", "Do you ship to Canada?", "Is there a student discount?"]
RUSSIAN = ["Как сбросить пароль?", "Вы доставляете в Канаду?", "Есть ли скидка для студентов?"]


def calls(
    rng: random.Random, start: float, end: float, n: int, texts: list[str], tokens: float
) -> list[CallRecord]:
    return [
        CallRecord(
            trace_id=f"{rng.getrandbits(128):032x}",
            started_at=start + (end - start) * i / n,
            model="chat",
            stream=False,
            prompt_tokens=max(1, round(rng.gauss(tokens, tokens / 5))),
            completion_tokens=max(1, round(rng.gauss(120, 20))),
            validation="valid",
            request={"messages": [{"role": "user", "content": rng.choice(texts)}]},
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("drift")
    (path / "seawall.yaml").write_text(f'store: {{url: "sqlite:///{path}/calls.db"}}\n')
    now, rng = time.time(), random.Random(1)
    # Ten minutes of margin at each window edge: the command reads the clock a bit later.
    english = calls(rng, now - 8 * DAY + 600, now - DAY - 600, 2100, ENGLISH, 40.0)
    russian = calls(rng, now - DAY + 600, now - 600, 300, RUSSIAN, 90.0)

    async def write() -> None:
        store = await open_store(f"sqlite:///{path}/calls.db")
        await store.write_calls(english + russian)
        await store.aclose()

    asyncio.run(write())
    return path


def in_process(workdir: Path, *args: str, config: str = "seawall.yaml") -> tuple[int, str, str]:
    app = typer.Typer()
    register(app)
    options = ["-c", str(workdir / config)]
    result = CliRunner().invoke(app, ["drift", "report", *args, *options], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def report_json(workdir: Path, *args: str, config: str = "seawall.yaml") -> Any:
    code, out, err = in_process(workdir, *args, "--json", config=config)
    assert code == 0, err
    return json.loads(out)


def test_the_seawall_command_reports_the_drifted_features(workdir: Path) -> None:
    done = run_cli("drift", "report", "--json", cwd=workdir)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    verdicts = {row["feature"]: row["verdict"] for row in report["rows"]}
    assert verdicts["script"] == "drift"
    assert verdicts["input_tokens"] == "drift"
    assert verdicts["output_tokens"] == "stable"
    assert verdicts["feedback"] == "insufficient"
    assert report["reference"]["name"] == "previous_week"
    assert report["window"]["until"] - report["window"]["since"] == DAY
    assert any(f.startswith("script of chat drifted") for f in report["findings"])


def test_a_table_for_people(workdir: Path) -> None:
    code, out, err = in_process(workdir)
    assert code == 0, err
    for text in ("route", "reference n", "current n", "PSI", "verdict", "2,100", "300"):
        assert text in out
    assert "cyrillic 0% → 100%" in out
    assert "median 40 → " in out
    assert "feature(s) drifted" in out


def test_a_longer_window_and_a_route_filter(workdir: Path) -> None:
    report = report_json(workdir, "--since", "3d", "--route", "chat")
    assert report["window"]["until"] - report["window"]["since"] == pytest.approx(3 * DAY)
    script = next(row for row in report["rows"] if row["feature"] == "script")
    assert script["verdict"] == "drift"
    assert script["change"].startswith("cyrillic 0% → ")
    code, out, _ = in_process(workdir, "--route", "faq")
    assert code == 0
    assert "no calls to faq between" in out


def test_a_pinned_reference(workdir: Path) -> None:
    first = datetime.fromtimestamp(time.time() - 6 * DAY, UTC).date()
    last = datetime.fromtimestamp(time.time() - 3 * DAY, UTC).date()
    report = report_json(workdir, "--reference", f"{first}..{last}")
    assert report["reference"]["name"] == f"{first}..{last}"
    since = datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()
    assert report["reference"]["since"] == since
    assert report["reference"]["until"] == since + 4 * DAY  # both days included
    rows = {row["feature"]: row for row in report["rows"]}
    assert rows["script"]["verdict"] == "drift"
    assert rows["script"]["reference_n"] == pytest.approx(4 * 300, abs=5)  # 300 a day


def test_the_config_drift_section_is_used(workdir: Path) -> None:
    (workdir / "strict.yaml").write_text(
        f'store: {{url: "sqlite:///{workdir}/calls.db"}}\n'
        "drift: {min_calls: 5000, features: [script, outcome]}\n"
    )
    report = report_json(workdir, config="strict.yaml")
    assert [row["feature"] for row in report["rows"]] == ["script", "outcome"]
    assert {row["verdict"] for row in report["rows"]} == {"insufficient"}
    assert report["findings"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last week"], "neither a duration"),
        (["--since", "-2h"], "neither a duration"),
        (["--reference", "lastweek"], "--reference: reference 'lastweek' must be previous_week"),
        (["--reference", "2026-02-10..2026-02-01"], "is before start"),
        (["--store", "sqlite:///nowhere/x.db"], "does not exist"),
    ],
)
def test_bad_arguments_get_one_clear_line(workdir: Path, args: list[str], message: str) -> None:
    code, _, err = in_process(workdir, *args)
    assert code == 1
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_bad_drift_section_names_the_file_and_field(workdir: Path, tmp_path: Path) -> None:
    config = tmp_path / "seawall.yaml"
    config.write_text(
        f'store: {{url: "sqlite:///{workdir}/calls.db"}}\ndrift:\n  thresholds: {{psi_drift: -1}}\n'
    )
    code, _, err = in_process(tmp_path)
    assert code == 1
    assert f"{config}: drift.thresholds.psi_drift: Input should be greater than 0" in err
    config.write_text("drift: {features: [embedding]}\n")
    code, _, err = in_process(tmp_path)
    assert code == 1
    assert f"{config}: drift: features includes 'embedding' but embedder is not set" in err
