"""The gateway in front of real HTTP upstreams: the simulator server in both dialects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from helpers.gateway import Gateway, start_gateway
from helpers.servers import start_sim_server
from seawall.config import SimSettings

CONFIG = """
providers:
  oai: {{kind: openai, base_url: "{sim}/v1", api_key: "env:SEAWALL_TEST_UPSTREAM_KEY"}}
  claude: {{kind: anthropic, base_url: "{sim}", api_key: "env:SEAWALL_TEST_UPSTREAM_KEY"}}
models:
  via-openai:
    targets: [{{provider: oai, model: gpt-4o-mini}}]
  via-anthropic:
    targets: [{{provider: claude, model: claude-3-5-haiku-latest}}]
"""

USER = [{"role": "user", "content": "What is the capital of Norway?"}]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SEAWALL_TEST_UPSTREAM_KEY", "sim-key")
        with start_sim_server(SimSettings(seed=4)) as sim:
            tmp: Path = tmp_path_factory.mktemp("http-upstreams")
            with start_gateway(CONFIG.format(sim=sim), tmp) as gw:
                yield gw


@pytest.mark.parametrize("model", ["via-openai", "via-anthropic"])
def test_plain_and_streamed_through_each_dialect(gateway: Gateway, model: str) -> None:
    client = openai.OpenAI(base_url=gateway.v1, api_key="x", max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model=model, messages=USER)  # type: ignore[arg-type]
    plain = raw.parse()
    assert plain.choices[0].message.content
    assert plain.usage is not None
    assert plain.usage.prompt_tokens > 0
    assert raw.headers["x-seawall-upstream"].startswith(("oai/", "claude/"))
    streamed = client.chat.completions.create(model=model, messages=USER, stream=True)  # type: ignore[arg-type]
    text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    assert text == plain.choices[0].message.content, (
        "the simulator answers the same question the same way"
    )
