"""Escalation end to end: low-confidence answers go to a person in advise, fallback and hold mode.

The simulator's answers carry a self-reported confidence that the output schema declares, so
"unsure" questions score low. A real webhook receiver gets the decision; the reviewer works
through the `seawall review` CLI against the running gateway.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from helpers.gateway import Gateway, start_gateway
from helpers.keys import make_keys
from helpers.process import run_cli
from helpers.webhooks import Receiver, webhook_receiver

SCHEMA = (
    "{type: object, required: [answer], properties: {answer: {type: string}, "
    "confidence: {type: number, minimum: 0, maximum: 1}}}"
)


def config(webhook: str, store: str) -> str:
    return f"""
store: {{url: "{store}"}}
auth: {{mode: keys}}
providers:
  sim:
    kind: sim
    sim:
      scenarios:
        - {{match: "unsure", reply_json: {{answer: "maybe 41", confidence: 0.2}}}}
        - {{match: "sure", reply_json: {{answer: "42", confidence: 0.95}}}}
models:
  held:
    targets: [{{provider: sim, model: sim-small}}]
    validation: {{json_schema: {SCHEMA}}}
    review: {{min_confidence: 0.5, mode: hold, webhook_url: "{webhook}", sla_s: 600}}
  advised:
    targets: [{{provider: sim, model: sim-small}}]
    validation: {{json_schema: {SCHEMA}}}
    review: {{min_confidence: 0.5, mode: advise}}
  fallback:
    targets: [{{provider: sim, model: sim-small}}]
    validation: {{json_schema: {SCHEMA}}}
    review: {{min_confidence: 0.5, mode: fallback, fallback_answer: "A person will get back to you."}}
"""


KEYS = {"app": ("acme", "app"), "reviewer": ("acme", "reviewer"), "root": ("*", "admin")}


@dataclass
class Setup:
    gateway: Gateway
    receiver: Receiver
    keys: dict[str, str]
    workdir: Path

    def http(self, who: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.gateway.url,
            headers={"authorization": f"Bearer {self.keys[who]}"},
            timeout=10,
        )

    def ask(self, model: str, text: str) -> httpx.Response:
        with self.http("app") as http:
            return http.post(
                "/v1/chat/completions",
                json={"model": model, "messages": [{"role": "user", "content": text}]},
            )


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("escalation")
    store = f"sqlite:///{tmp / 'seawall.db'}"
    keys = make_keys(store, KEYS)
    with webhook_receiver() as receiver, start_gateway(config(receiver.url, store), tmp) as gateway:
        yield Setup(gateway, receiver, keys, tmp)


def review_cli(setup: Setup, *args: str) -> str:
    done = run_cli(
        "review",
        *args,
        "--server",
        setup.gateway.url,
        "--api-key",
        setup.keys["reviewer"],
        cwd=setup.workdir,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_confident_answer_goes_straight_out(setup: Setup) -> None:
    response = setup.ask("held", "are you sure?")
    assert response.status_code == 200
    assert float(response.headers["x-seawall-confidence"]) >= 0.9
    assert "x-seawall-review" not in response.headers


def test_hold_mode_end_to_end(setup: Setup) -> None:
    response = setup.ask("held", "I am unsure: what is six times seven?")
    assert response.status_code == 202
    body = response.json()
    review_id = body["review"]["id"]
    assert response.headers["x-seawall-review"] == review_id
    assert float(response.headers["x-seawall-confidence"]) < 0.5
    with setup.http("app") as http:
        pending = http.get(f"/v1/reviews/{review_id}").json()
    assert pending["status"] == "pending"
    assert pending["decision"] is None

    shown = review_cli(setup, "show", review_id, "--json")
    item = json.loads(shown)
    context = item["context"]
    assert context["messages"][-1]["content"].startswith("I am unsure")
    assert context["confidence"] < 0.5
    assert context["attempts"]
    assert "maybe 41" in context["answer"]
    review_cli(setup, "claim", review_id)
    review_cli(
        setup, "resolve", review_id, "--edit", '{"answer": "42"}', "--reason", "checked the maths"
    )

    (delivered,) = setup.receiver.wait_for(1)
    assert delivered.body["review_id"] == review_id
    assert delivered.body["decision"] == "edited"
    assert delivered.body["final_answer"] == '{"answer": "42"}'
    assert delivered.body["reviewer"] == f"key:{setup.keys['reviewer'].split('-')[1]}"
    with setup.http("app") as http:
        decided = http.get(f"/v1/reviews/{review_id}").json()
    assert decided["decision"]["final_answer"] == '{"answer": "42"}'
    assert decided["decision"]["reason"] == "checked the maths"
    with setup.http("root") as http:
        record = poll(http, f"/admin/traces/{body['trace_id']}")
        audit = http.get("/admin/audit", params={"action": "review.*", "limit": 100}).json()["data"]
    assert record["review_id"] == review_id
    assert record["outcome"] == "held"
    assert record["status_code"] == 202
    reviewer_id = setup.keys["reviewer"].split("-")[1]
    resolved = [e for e in audit if e["action"] == "review.resolved" and e["target"] == review_id]
    assert resolved
    assert resolved[0]["actor"] == f"key:{reviewer_id}"


def poll(http: httpx.Client, path: str) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        response = http.get(path)
        if response.status_code == 200:
            found: dict[str, object] = response.json()
            return found
        time.sleep(0.02)  # polling the batching writer, bounded by the deadline
    raise AssertionError(f"{path} never appeared")


def test_advise_mode_answers_and_queues_with_the_full_context(setup: Setup) -> None:
    response = setup.ask("advised", "I am unsure about this one")
    assert response.status_code == 200
    assert "maybe 41" in response.json()["choices"][0]["message"]["content"]
    assert response.headers["x-seawall-escalation"] == "advise"
    item = json.loads(review_cli(setup, "show", response.headers["x-seawall-review"], "--json"))
    assert item["mode"] == "advise"
    assert item["reasons"][0]["code"] == "low_confidence"
    assert item["context"]["validation"] == "valid"
    assert item["context"]["confidence_components"]


def test_fallback_mode_answers_the_configured_text(setup: Setup) -> None:
    response = setup.ask("fallback", "I am unsure, tell me")
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "A person will get back to you."
    item = json.loads(review_cli(setup, "show", response.headers["x-seawall-review"], "--json"))
    assert item["mode"] == "fallback"
    assert "maybe 41" in item["context"]["answer"]  # the model's answer waits for the reviewer
