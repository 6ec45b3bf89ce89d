"""``seawall sim`` as a user runs it: a real HTTP simulator the OpenAI SDK can talk to."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from helpers.process import SEAWALL, free_port


@pytest.fixture
def sim_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [*SEAWALL, "sim", "--port", str(port), "--seed", "9"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
            time.sleep(0.05)  # polling for readiness, bounded by the deadline
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_openai_sdk_talks_to_the_simulator(sim_url: str) -> None:
    client = openai.OpenAI(base_url=f"{sim_url}/v1", api_key="sim", max_retries=0)
    first = client.chat.completions.create(
        model="any", messages=[{"role": "user", "content": "hello there"}]
    )
    again = client.chat.completions.create(
        model="any", messages=[{"role": "user", "content": "hello there"}]
    )
    assert first.choices[0].message.content
    assert first.choices[0].message.content == again.choices[0].message.content
    assert first.system_fingerprint == "seawall-sim", "always labelled as a simulator"


def test_outage_switch_over_http(sim_url: str) -> None:
    client = openai.OpenAI(base_url=f"{sim_url}/v1", api_key="sim", max_retries=0)
    assert httpx.post(f"{sim_url}/sim/outage", json={"seconds": None}).status_code == 200
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="any", messages=[{"role": "user", "content": "x"}])
    assert httpx.post(f"{sim_url}/sim/outage", json={"seconds": 0}).status_code == 200
    assert client.chat.completions.create(
        model="any", messages=[{"role": "user", "content": "x"}]
    ).choices
