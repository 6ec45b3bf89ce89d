"""The review queue and feedback over HTTP, through the real gateway with keys, roles, tenants.

The routes are mounted here the way the app will mount them (``REVIEW_ROUTES`` behind the
admin checks, ``public_routes`` beside the chat route) and the ``ReviewService`` is started
after the runtime, as the composition root will. Items come in as a real app makes them: a
chat call through the gateway, then a complaint about it on ``POST /v1/feedback``.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from helpers.keys import make_keys
from helpers.process import free_port
from helpers.servers import serve_app
from seawall.cli.review import register
from seawall.configload import parse_config
from seawall.evals.load import load_suite
from seawall.http.app import create_app
from seawall.wiring import build_runtime

CONFIG = """
auth: {mode: keys}
providers:
  sim: {kind: sim}
models:
  chat:
    targets: [{provider: sim, model: sim-small}]
"""

KEYS = {  # name -> (tenant, role)
    "acme_app": ("acme", "app"),
    "acme_reviewer": ("acme", "reviewer"),
    "acme_reviewer2": ("acme", "reviewer"),
    "acme_dev": ("acme", "developer"),
    "globex_app": ("globex", "app"),
    "globex_reviewer": ("globex", "reviewer"),
    "root": ("*", "admin"),
}


@dataclass
class Deployment:
    url: str
    keys: dict[str, str]

    def http(self, name: str | None) -> httpx.Client:
        headers = {"authorization": f"Bearer {self.keys[name]}"} if name else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("reviews")
    url = f"sqlite:///{tmp / 'seawall.db'}"
    keys = make_keys(url, KEYS)
    config = parse_config(CONFIG + f"store: {{url: '{url}'}}\n", "test.yaml")
    runtime = build_runtime(config, seed=1)
    with serve_app(create_app(runtime), lifespan="on") as base:
        yield Deployment(base, keys)


def chat(deployment: Deployment, key: str, text: str = "How long do refunds take?") -> str:
    with deployment.http(key) as http:
        reply = http.post(
            "/v1/chat/completions",
            json={"model": "chat", "messages": [{"role": "user", "content": text}]},
        )
    assert reply.status_code == 200, reply.text
    return reply.headers["x-seawall-trace-id"]


def complain(deployment: Deployment, key: str = "acme_app") -> tuple[str, str]:
    """A call and a complaint about it: (trace id, review id)."""
    trace_id = chat(deployment, key)
    with deployment.http(key) as http:
        reply = http.post(
            "/v1/feedback", json={"trace_id": trace_id, "kind": "complaint", "comment": "wrong"}
        )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["object"], body["trace_id"], body["negative"]) == ("feedback", trace_id, True)
    return trace_id, body["review_id"]


def error(reply: httpx.Response) -> tuple[int, str, str]:
    body = reply.json()["error"]
    return reply.status_code, body["code"], body["message"]


# --------------------------------------------------------------------------- the queue


def test_a_reviewer_works_a_complaint_through_the_queue(deployment: Deployment) -> None:
    trace_id, review_id = complain(deployment)
    with deployment.http("acme_reviewer") as http:
        listed = http.get("/admin/reviews", params={"status": "open"}).json()["data"]
        assert review_id in [item["id"] for item in listed]
        shown = http.get(f"/admin/reviews/{review_id}").json()
        assert shown["context"]["messages"][0]["content"] == "How long do refunds take?"
        assert shown["context"]["trace_id"] == trace_id
        assert shown["reasons"] == [{"code": "complaint", "message": "user complaint: wrong"}]
        claimed = http.post(f"/admin/reviews/{review_id}/claim").json()
        assert claimed["status"] == "claimed"
        resolved = http.post(
            f"/admin/reviews/{review_id}/resolve",
            json={"decision": "edit", "answer": "Five days.", "reason": "policy"},
        ).json()
    assert (resolved["status"], resolved["final_answer"]) == ("edited", "Five days.")
    reviewer_id = deployment.keys["acme_reviewer"].split("-")[1]
    with deployment.http("acme_app") as http:
        polled = http.get(f"/v1/reviews/{review_id}").json()
    assert polled["status"] == "edited"
    assert polled["decision"]["final_answer"] == "Five days."
    assert polled["decision"]["reviewer"] == f"key:{reviewer_id}"
    with deployment.http("root") as http:
        audit = http.get("/admin/audit", params={"action": "review.*"}).json()["data"]
    mine = [(e["action"], e["actor"]) for e in reversed(audit) if e["target"] == review_id]
    assert mine == [
        ("review.created", f"key:{deployment.keys['acme_app'].split('-')[1]}"),
        ("review.claimed", f"key:{reviewer_id}"),
        ("review.resolved", f"key:{reviewer_id}"),
    ]


def test_other_tenants_get_404_for_an_item(deployment: Deployment) -> None:
    _, review_id = complain(deployment)
    with deployment.http("globex_reviewer") as http:
        assert review_id not in [i["id"] for i in http.get("/admin/reviews").json()["data"]]
        for reply in (
            http.get(f"/admin/reviews/{review_id}"),
            http.post(f"/admin/reviews/{review_id}/claim"),
            http.post(f"/admin/reviews/{review_id}/resolve", json={"decision": "approve"}),
        ):
            assert error(reply) == (404, "invalid_request", f"no review with id '{review_id}'")
    with deployment.http("globex_app") as http:
        assert http.get(f"/v1/reviews/{review_id}").status_code == 404


def test_roles_are_checked(deployment: Deployment) -> None:
    _, review_id = complain(deployment)
    with deployment.http("acme_app") as http:
        assert error(http.get("/admin/reviews"))[:2] == (403, "forbidden")
    with deployment.http("acme_dev") as http:
        assert http.get(f"/admin/reviews/{review_id}").status_code == 200  # developers read
        assert error(http.post(f"/admin/reviews/{review_id}/claim"))[:2] == (403, "forbidden")
    with deployment.http(None) as http:
        assert error(http.get(f"/v1/reviews/{review_id}"))[:2] == (401, "unauthorized")


def test_two_reviewers_racing_for_a_claim(deployment: Deployment) -> None:
    _, review_id = complain(deployment)

    def claim(name: str) -> int:
        with deployment.http(name) as http:
            return http.post(f"/admin/reviews/{review_id}/claim").status_code

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(claim, ["acme_reviewer", "acme_reviewer2"]))
    assert codes == [200, 409]


def test_resolving_needs_a_claim_and_a_known_decision(deployment: Deployment) -> None:
    _, review_id = complain(deployment)
    with deployment.http("acme_reviewer") as http:
        reply = http.post(f"/admin/reviews/{review_id}/resolve", json={"decision": "approve"})
        assert error(reply)[0] == 409
        assert "claim it first" in error(reply)[2]
        http.post(f"/admin/reviews/{review_id}/claim")
        reply = http.post(f"/admin/reviews/{review_id}/resolve", json={"decision": "ok"})
        assert error(reply)[:2] == (400, "invalid_request")
        reply = http.post(f"/admin/reviews/{review_id}/resolve", json={"decision": "reject"})
        assert "needs a reason" in error(reply)[2]
        assert http.get("/admin/reviews", params={"status": "done"}).status_code == 400


# --------------------------------------------------------------------------- feedback


def test_feedback_on_another_tenants_trace_is_a_clear_404(deployment: Deployment) -> None:
    globex_trace = chat(deployment, "globex_app")
    with deployment.http("globex_app") as http:  # the owner's own feedback works
        assert http.post("/v1/feedback", json={"trace_id": globex_trace, "score": 1}).is_success
    with deployment.http("acme_app") as http:
        for trace_id in (globex_trace, "f" * 32):
            reply = http.post("/v1/feedback", json={"trace_id": trace_id, "score": 0})
            status, code, message = error(reply)
            assert (status, code) == (404, "invalid_request")
            assert f"no trace with id '{trace_id}'" in message
        bad = http.post("/v1/feedback", json={"trace_id": globex_trace, "score": 7})
        assert error(bad)[0] == 400
        assert http.post("/v1/feedback", content=b"[1]").status_code == 400
    with deployment.http("acme_reviewer") as http:
        reply = http.post("/v1/feedback", json={"trace_id": globex_trace, "score": 1})
        assert error(reply)[:2] == (403, "forbidden")


def test_negative_feedback_rates_and_listing(deployment: Deployment) -> None:
    trace_id = chat(deployment, "acme_app")
    with deployment.http("acme_app") as http:
        http.post(
            "/v1/feedback", json={"trace_id": trace_id, "kind": "correction", "comment": "5 days"}
        ).raise_for_status()
    with deployment.http("acme_dev") as http:
        listed = http.get("/admin/feedback", params={"trace_id": trace_id}).json()["data"]
        rates = http.get("/admin/feedback/rates").json()["data"]
    assert [(f["kind"], f["correction"]) for f in listed] == [("correction", "5 days")]
    (chat_rate,) = [r for r in rates if r["model"] == "chat"]
    assert chat_rate["negative"] >= 1
    assert 0 < chat_rate["rate"] <= 1


# --------------------------------------------------------------------------- the CLI


def cli(deployment: Deployment, key: str | None, *args: str) -> tuple[int, str, str]:
    app = typer.Typer()
    register(app)
    env = {"COLUMNS": "200", "SEAWALL_API_KEY": deployment.keys[key] if key else ""}
    result = CliRunner().invoke(app, ["review", *args, "--server", deployment.url], env=env)
    return result.exit_code, result.stdout, result.stderr


SUITE = """\
name: support
target:
  model: chat
cases:
  - id: hello
    messages: [{role: user, content: hi}]
    assert: [{type: contains, value: hi}]
"""


def test_the_cli_lists_claims_and_resolves_into_an_eval_case(
    deployment: Deployment, tmp_path: Path
) -> None:
    _, review_id = complain(deployment)
    code, out, _ = cli(deployment, "acme_reviewer", "list")
    assert code == 0
    assert review_id in out
    assert "complaint" in out
    code, out, _ = cli(deployment, "acme_reviewer", "show", review_id)
    assert code == 0
    assert "How long do refunds take?" in out
    assert cli(deployment, "acme_reviewer", "claim", review_id)[0] == 0
    suite = tmp_path / "support.yaml"
    suite.write_text(SUITE)
    code, out, err = cli(
        deployment, "acme_reviewer", "resolve", review_id, "--edit", "Within 5 days.",
        "--reason", "policy", "--add-to-suite", str(suite),
    )  # fmt: skip
    assert code == 0, err
    assert f"{review_id} edited" in out
    case = load_suite(suite).suite.cases[-1]
    assert case.id == f"review-{review_id}"
    assert case.messages is not None
    assert case.messages[0].content == "How long do refunds take?"
    assert [a.model_dump(exclude={"weight"}) for a in case.assert_] == [
        {"type": "equals", "value": "Within 5 days."}
    ]


@pytest.mark.parametrize(
    ("key", "args", "expected"),
    [
        (None, ("list",), "refused the API key (401)"),
        ("acme_app", ("list",), "not allowed (403)"),
        ("acme_reviewer", ("show", "rv0000000000000000"), "not found (404): no review with id"),
        ("acme_reviewer", ("resolve", "rv0", "--approve", "--reject"), "exactly one of"),
        ("acme_reviewer", ("resolve", "rv0", "--reject"), "--reject needs --reason"),
    ],
)
def test_the_cli_explains_failures_in_one_line(
    deployment: Deployment, key: str | None, args: tuple[str, ...], expected: str
) -> None:
    code, out, err = cli(deployment, key, *args)
    assert code == 1
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err


def test_the_cli_says_when_no_server_answers() -> None:
    app = typer.Typer()
    register(app)
    args = ["review", "list", "--server", f"http://127.0.0.1:{free_port()}"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "cannot reach the Seawall server" in result.stderr
    assert "is it running?" in result.stderr


def test_feedback_is_a_prometheus_metric_per_model(deployment: Deployment) -> None:
    def negative_complaints() -> float:
        text = httpx.get(f"{deployment.url}/metrics").text
        total = 0.0
        for line in text.splitlines():
            if line.startswith("seawall_feedback_total{") and 'kind="complaint"' in line:
                assert 'model="chat"' in line
                assert 'negative="true"' in line
                total += float(line.rsplit(" ", 1)[1])
        return total

    before = negative_complaints()
    complain(deployment)
    assert negative_complaints() == before + 1
