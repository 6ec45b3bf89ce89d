from pathlib import Path

import pytest

from seawall.configload import ConfigError, load_config, parse_config

GOOD = """
providers:
  up: {kind: openai, base_url: "http://127.0.0.1:1/v1", api_key: "env:UP_KEY"}
  sim: {kind: sim}
models:
  chat:
    targets: [{provider: up, model: gpt-4o-mini}, {provider: sim, model: s}]
"""


def test_good_config_loads_with_defaults() -> None:
    config = parse_config(GOOD)
    chat = config.models["chat"]
    assert chat.timeout.attempt_s == 30.0
    assert chat.retry.max_attempts == 3
    assert chat.breaker.enabled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("providers: [\n", "2: not valid YAML"),
        ("- a\n- b\n", "1: the file must hold a mapping"),
        (GOOD.replace("kind: sim", "kind: simm"), "4: providers.sim: Input tag 'simm'"),
        (
            GOOD.replace('"env:UP_KEY"', "sk-live-123"),
            "3: providers.up.api_key: secrets must be references",
        ),
        (
            GOOD + "    timeout: {attempt_s: -1}\n",
            "8: models.chat.timeout.attempt_s: Input should be greater than 0 (got -1)",
        ),
        (GOOD + "    retries: 3\n", "8: models.chat.retries: Extra inputs are not permitted"),
        (
            GOOD.replace("provider: sim,", "provider: nope,"),
            "models.chat.targets.1.provider: unknown provider 'nope'",
        ),
        (
            GOOD + "    timeout: {attempt_s: 10, deadline_s: 5}\n",
            "attempt_s must not exceed deadline_s",
        ),
    ],
)
def test_bad_configs_name_line_field_and_expectation(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "seawall.yaml")
    assert any(expected in p for p in info.value.problems), info.value.problems


def test_missing_secret_is_a_startup_error(tmp_path: Path) -> None:
    path = tmp_path / "seawall.yaml"
    path.write_text(GOOD)
    with pytest.raises(ConfigError, match="environment variable UP_KEY is not set"):
        load_config(path, environ={})
    loaded = load_config(path, environ={"UP_KEY": "x"})
    assert loaded.config.models["chat"].targets[0].provider == "up"


def test_unreadable_file() -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config("/nonexistent/seawall.yaml")
