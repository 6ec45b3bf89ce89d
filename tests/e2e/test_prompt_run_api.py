"""``POST /v1/prompts/{name}:run`` and the prompt admin routes, through the real gateway.

The routes are mounted here the way the app will mount them (``PROMPT_ROUTES`` behind the
admin checks, ``prompt_routes`` beside the chat route) and ``Releases`` is opened after the
runtime starts, as the composition root will. ``triage`` has version 1 in production and
version 2 as a live canary on half of the users; the simulator answers both with JSON.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from helpers.servers import serve_app
from seawall.config import AuthConfig
from seawall.configload import parse_config
from seawall.core.clock import SystemClock
from seawall.http.app import create_app
from seawall.prompts import PromptSpec
from seawall.releases.runtime import Releases
from seawall.security.service import Security
from seawall.store import open_store
from seawall.wiring import build_runtime

CONFIG = """
auth: {mode: keys}
providers:
  sim:
    kind: sim
    sim:
      scenarios:
        - {match: MARK-ONE, reply_json: {label: refund, version: 1}}
        - {match: MARK-TWO, reply_json: {label: refund, version: 2}}
models:
  chat:
    targets: [{provider: sim, model: m}]
  other:
    targets: [{provider: sim, model: m}]
"""

KEYS = {  # name -> (tenant, role, models)
    "app": ("acme", "app", None),
    "dev": ("acme", "developer", None),
    "reviewer": ("acme", "reviewer", None),
    "other_only": ("acme", "app", ["other"]),
}


def spec(name: str, marker: str, share: float = 0.5) -> PromptSpec:
    return PromptSpec.model_validate(
        {
            "name": name,
            "owner": "support",
            "model": "chat",
            "messages": [
                {"role": "system", "content": "You sort tickets for {{ product }}."},
                {"role": "user", "content": marker + " {{ text }}"},
            ],
            "variables": {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "text": {"type": "string"},
                    "product": {"type": "string", "default": "Acme"},
                },
            },
            "output_schema": {"type": "object", "required": ["label"]},
            "canary": {"share": share},
        }
    )


@dataclass
class Deployment:
    url: str
    keys: dict[str, str]

    def http(self, name: str | None) -> httpx.Client:
        headers = {"authorization": f"Bearer {self.keys[name]}"} if name else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


def prepare(url: str) -> dict[str, str]:
    """Keys, and the prompts with their releases, in the store before the gateway starts."""

    async def go() -> dict[str, str]:
        await (await open_store(url)).aclose()
        security = Security(url, AuthConfig(), SystemClock())
        await security.start(refresh_in_background=False)
        releases = await Releases.open(url, security, SystemClock())
        try:
            keys = {
                name: (await security.create_key("cli:test", tenant=t, role=r, models=m)).secret
                for name, (t, r, m) in KEYS.items()
            }
            for name in ("triage", "summary"):
                await releases.registry.push(spec(name, "MARK-ONE"), author="ada")
                await releases.manager.start_canary(name, 1, "cli:ada")
                await releases.registry.push(spec(name, "MARK-TWO"), author="ada")
                await releases.manager.start_canary(name, 2, "cli:ada")
            return keys
        finally:
            await releases.aclose()
            await security.aclose()

    return asyncio.run(go())


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("prompts")
    url = f"sqlite:///{tmp / 'seawall.db'}"
    keys = prepare(url)
    config = parse_config(CONFIG + f"store: {{url: '{url}'}}\n", "test.yaml")
    runtime = build_runtime(config, seed=1)
    with serve_app(create_app(runtime), lifespan="on") as base:
        yield Deployment(base, keys)


def run(http: httpx.Client, body: dict[str, Any], name: str = "triage") -> httpx.Response:
    return http.post(f"/v1/prompts/{name}:run", json=body)


def error(reply: httpx.Response) -> tuple[int, str, str | None, str]:
    body = reply.json()["error"]
    return reply.status_code, body["code"], body["param"], body["message"]


# --------------------------------------------------------------------------- runs


def test_a_run_answers_with_parsed_output_and_the_release(deployment: Deployment) -> None:
    with deployment.http("app") as http:
        reply = run(http, {"variables": {"text": "my order is late"}, "user": "ada"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert set(body) == {"output", "parsed", "trace_id", "release", "confidence", "review"}
    version = 1 if body["release"] == "triage@1" else 2
    assert body["parsed"] == {"label": "refund", "version": version}
    assert isinstance(body["output"], str)
    assert body["trace_id"] == reply.headers["x-seawall-trace-id"]
    assert reply.headers["x-seawall-release"] == body["release"]
    assert reply.headers["x-seawall-validation"] == "valid"
    # The call record names the prompt and the release that served it (the canary's input).
    with deployment.http("dev") as http:
        deadline = time.monotonic() + 10
        while (found := http.get(f"/admin/traces/{body['trace_id']}")).status_code == 404:
            assert time.monotonic() < deadline, "the call record was never written"
            time.sleep(0.05)  # the record writer batches; polled with a bounded deadline
    record = found.json()
    assert (record["prompt"], record["release"]) == ("triage", body["release"])


def test_the_same_user_always_gets_the_same_release(deployment: Deployment) -> None:
    seen: dict[str, set[str]] = {}
    with deployment.http("app") as http:
        for user in range(16):
            for _ in range(3):
                reply = run(http, {"variables": {"text": "hi"}, "user": f"user-{user}"})
                assert reply.status_code == 200, reply.text
                seen.setdefault(f"user-{user}", set()).add(reply.headers["x-seawall-release"])
            # A session id is sticky too, when there is no user id.
            by_session = {
                run(http, {"variables": {"text": "hi"}, "session": f"s-{user}"}).headers[
                    "x-seawall-release"
                ]
                for _ in range(3)
            }
            assert len(by_session) == 1
    assert all(len(releases) == 1 for releases in seen.values()), seen
    # At a 50% share, 16 users all on one side would be a 1 in 32,768 hash draw.
    assert set().union(*seen.values()) == {"triage@1", "triage@2"}


def test_a_label_picks_the_version(deployment: Deployment) -> None:
    with deployment.http("app") as http:
        for label, release in (("canary", "triage@2"), ("latest", "triage@2")):
            reply = run(http, {"variables": {"text": "x"}, "label": label, "user": "u"})
            assert (reply.status_code, reply.json()["release"]) == (200, release)
        reply = run(http, {"variables": {"text": "x"}, "label": "staging"})
        assert error(reply)[:3] == (404, "invalid_request", "label")
        assert "has no label 'staging' (labels: canary, production)" in error(reply)[3]


def test_variables_that_do_not_fit_are_400s_naming_the_variable(deployment: Deployment) -> None:
    with deployment.http("app") as http:
        missing = run(http, {"variables": {"product": "Globex"}})
        mistyped = run(http, {"variables": {"text": 7}})
        not_an_object = run(http, {"variables": ["text"]})
        bad_tags = run(http, {"variables": {"text": "x"}, "tags": "urgent"})
    assert error(missing) == (
        400,
        "invalid_request",
        "variables.text",
        "variable 'text' is required but missing",
    )
    assert error(mistyped) == (
        400,
        "invalid_request",
        "variables.text",
        "variable 'text': 7 is not of type 'string'",
    )
    assert error(not_an_object)[:3] == (400, "invalid_request", "variables")
    assert error(bad_tags)[:3] == (400, "invalid_request", "tags")
    assert missing.headers["x-seawall-release"] in ("triage@1", "triage@2")


def test_an_unknown_prompt_is_a_404(deployment: Deployment) -> None:
    with deployment.http("app") as http:
        reply = run(http, {"variables": {}}, name="nope")
    assert error(reply) == (404, "invalid_request", "name", "no prompt named 'nope'")


def test_keys_and_roles_are_checked(deployment: Deployment) -> None:
    with deployment.http(None) as http:
        assert error(run(http, {"variables": {"text": "x"}}))[:2] == (401, "unauthorized")
    with deployment.http("reviewer") as http:
        assert error(run(http, {"variables": {"text": "x"}}))[:2] == (403, "forbidden")
    with deployment.http("other_only") as http:  # the prompt pins model chat
        assert error(run(http, {"variables": {"text": "x"}}))[:3] == (403, "forbidden", "model")
    with deployment.http("app") as http:
        assert error(http.get("/admin/prompts"))[:2] == (403, "forbidden")
        assert error(http.post("/admin/prompts/summary/rollback"))[:2] == (403, "forbidden")
    with deployment.http("reviewer") as http:
        assert error(http.get("/admin/releases"))[:2] == (403, "forbidden")


# --------------------------------------------------------------------------- admin


def test_developers_list_and_show_prompts_and_releases(deployment: Deployment) -> None:
    with deployment.http("dev") as http:
        listed = {p["name"]: p for p in http.get("/admin/prompts").json()["data"]}
        shown = http.get("/admin/prompts/triage", params={"ref": "1"}).json()
        status = http.get("/admin/releases/triage").json()
        everything = http.get("/admin/releases").json()["data"]
        missing = http.get("/admin/releases/nope")
    assert listed["triage"]["labels"] == {"production": 1, "canary": 2}
    assert listed["triage"]["latest"] == 2
    assert (shown["version"], shown["labels"]) == (1, {"production": 1, "canary": 2})
    assert "MARK-ONE" in shown["spec"]["messages"][1]["content"]
    assert status["live"]["candidate"] == 2
    assert status["live"]["share"] == 0.5
    assert status["look"]["action"] == "continue"
    assert status["arms"]["canary"]["calls"] >= 0
    assert [s["prompt"] for s in everything] == ["summary", "triage"]
    assert error(missing)[:2] == (404, "invalid_request")


def test_a_developer_rolls_a_canary_back_and_every_user_gets_production(
    deployment: Deployment,
) -> None:
    with deployment.http("dev") as http:
        done = http.post("/admin/prompts/summary/rollback", json={"reason": "tone"}).json()
        assert (done["state"], done["canary_share"]) == ("rolled_back", 0.0)
        assert done["decision"]["reason"].endswith(": tone")
        again = http.post("/admin/releases/summary/finish")
        assert error(again)[:2] == (404, "invalid_request")
    with deployment.http("app") as http:
        served = {
            run(http, {"variables": {"text": "x"}, "user": f"u{n}"}, name="summary").headers[
                "x-seawall-release"
            ]
            for n in range(12)
        }
    assert served == {"summary@1"}
