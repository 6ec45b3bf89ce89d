"""Keys, roles and tenants through the real gateway over HTTP, with the openai SDK as the app.

Keys are made the way an operator makes them (a ``Security`` on the same store before the
gateway starts, as ``seawall keys create`` does); everything after that goes over HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest

from helpers.gateway import Gateway, start_gateway
from helpers.keys import make_keys
from seawall.http.admin import ADMIN_ROUTES as CORE_ROUTES
from seawall.http.prompts import PROMPT_ROUTES
from seawall.http.reviews import REVIEW_ROUTES

CONFIG = """
auth: {mode: keys}
providers:
  sim: {kind: sim}
models:
  chat:
    targets: [{provider: sim, model: sim-small}]
  premium:
    targets: [{provider: sim, model: sim-large}]
"""

# name -> (tenant, role, models)
KEYS = {
    "acme_app": ("acme", "app", None),
    "acme_chat_only": ("acme", "app", ["chat"]),
    "acme_reviewer": ("acme", "reviewer", None),
    "acme_dev": ("acme", "developer", None),
    "acme_admin": ("acme", "admin", None),
    "globex_app": ("globex", "app", None),
    "globex_dev": ("globex", "developer", None),
    "root": ("*", "admin", None),
}


@dataclass
class Deployment:
    gateway: Gateway
    keys: dict[str, str]  # name -> secret

    def client(self, name: str | None) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=self.gateway.v1, api_key=self.keys[name] if name else "none", max_retries=0
        )

    def http(self, name: str | None) -> httpx.Client:
        headers = {"authorization": f"Bearer {self.keys[name]}"} if name else {}
        return httpx.Client(base_url=self.gateway.url, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("security")
    url = f"sqlite:///{tmp / 'seawall.db'}"
    keys = make_keys(url, KEYS)
    with start_gateway(CONFIG + f"store: {{url: '{url}'}}\n", tmp) as gateway:
        yield Deployment(gateway, keys)


def ask(client: openai.OpenAI, model: str = "chat") -> str:
    reply = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}]
    )
    return reply.id


# --------------------------------------------------------------------------- the gateway door


def test_a_call_without_a_key_is_401(deployment: Deployment) -> None:
    with deployment.http(None) as http:
        response = http.post("/v1/chat/completions", json={"model": "chat", "messages": []})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_wrong_key_is_401_through_the_sdk(deployment: Deployment) -> None:
    forged = deployment.keys["acme_app"][:-4] + "AAAA"
    client = openai.OpenAI(base_url=deployment.gateway.v1, api_key=forged, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        ask(client)
    assert caught.value.code == "unauthorized"


def test_an_app_key_calls_and_its_calls_carry_its_tenant(deployment: Deployment) -> None:
    client = deployment.client("acme_app")
    raw = client.chat.completions.with_raw_response.create(
        model="chat", messages=[{"role": "user", "content": "hello"}]
    )
    assert raw.http_response.status_code == 200
    trace_id = raw.headers["x-seawall-trace-id"]
    record = poll_trace(deployment, "acme_dev", trace_id)
    assert record["tenant"] == "acme"
    assert record["key_id"] == deployment.keys["acme_app"].split("-")[1]


def poll_trace(deployment: Deployment, who: str, trace_id: str) -> dict[str, object]:
    """The record through the admin API; records are written off the hot path, so poll."""
    deadline = time.monotonic() + 10
    with deployment.http(who) as http:
        while time.monotonic() < deadline:
            response = http.get(f"/admin/traces/{trace_id}")
            if response.status_code == 200:
                body: dict[str, object] = response.json()
                return body
            time.sleep(0.02)  # polling the batching writer, bounded by the deadline
    raise AssertionError(f"trace {trace_id} never reached the store")


def test_a_reviewer_key_may_not_call_models(deployment: Deployment) -> None:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        ask(deployment.client("acme_reviewer"))
    assert caught.value.code == "forbidden"


def test_a_key_limited_to_some_models_gets_403_for_others(deployment: Deployment) -> None:
    client = deployment.client("acme_chat_only")
    assert ask(client, "chat")
    with pytest.raises(openai.PermissionDeniedError) as caught:
        ask(client, "premium")
    assert "premium" in str(caught.value)
    assert [m.id for m in client.models.list()] == ["chat"]


# --------------------------------------------------------------------------- RBAC matrix

ADMIN_ROUTES = (*CORE_ROUTES, *REVIEW_ROUTES, *PROMPT_ROUTES)
ROLE_KEYS = ["acme_app", "acme_reviewer", "acme_dev", "acme_admin", "root"]
ROLE_OF = {name: KEYS[name][1] for name in ROLE_KEYS}


def expected_allowed(key_name: str, permission: str | None, global_only: bool) -> bool:
    from seawall.security.roles import allowed

    if permission is not None and not allowed(ROLE_OF[key_name], permission):
        return False
    return not global_only or KEYS[key_name][0] == "*"


def request_for(
    deployment: Deployment, path: str, method: str
) -> tuple[str, dict[str, object] | None]:
    # A fresh victim key for each key-changing call, so no call depends on another's effect.
    if "{key_id}" in path:
        with deployment.http("root") as http:
            victim = http.post("/admin/keys", json={"tenant": "acme", "role": "app"}).json()
        path = path.replace("{key_id}", victim["key_id"])
    if "{trace_id}" in path:
        path = path.replace("{trace_id}", "0" * 32)
    if "{review_id}" in path:
        path = path.replace("{review_id}", "r" + "0" * 15)
    body: dict[str, object] | None = None
    if method == "POST" and path == "/admin/keys":
        body = {"tenant": "acme", "role": "app"}
    if path == "/admin/retention/purge":
        body = {"dry_run": True}
    return path, body


@pytest.mark.parametrize("key_name", ROLE_KEYS)
@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_rbac_matrix(deployment: Deployment, key_name: str, route: object) -> None:
    from seawall.http.admin import AdminRoute

    assert isinstance(route, AdminRoute)
    path, body = request_for(deployment, route.path, route.method)
    with deployment.http(key_name) as http:
        response = http.request(route.method, path, json=body)
    if expected_allowed(key_name, route.permission, route.global_only):
        # Allowed: the handler ran (a missing trace id is a 404 from the handler, not a denial).
        assert response.status_code in (200, 404), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"


def test_every_admin_route_needs_a_key(deployment: Deployment) -> None:
    for route in ADMIN_ROUTES:
        path, body = request_for(deployment, route.path, route.method)
        with deployment.http(None) as http:
            response = http.request(route.method, path, json=body)
        assert response.status_code == 401, f"{route.method} {route.path}"


# --------------------------------------------------------------------------- tenants


def test_tenants_never_see_each_other(deployment: Deployment) -> None:
    acme_trace = (
        deployment.client("acme_app")
        .chat.completions.with_raw_response.create(
            model="chat", messages=[{"role": "user", "content": "acme secret plans"}]
        )
        .headers["x-seawall-trace-id"]
    )
    globex_trace = (
        deployment.client("globex_app")
        .chat.completions.with_raw_response.create(
            model="chat", messages=[{"role": "user", "content": "globex secret plans"}]
        )
        .headers["x-seawall-trace-id"]
    )
    poll_trace(deployment, "root", acme_trace)
    poll_trace(deployment, "root", globex_trace)
    with deployment.http("acme_dev") as http:
        listed = http.get("/admin/traces", params={"limit": 1000}).json()["data"]
        assert {row["tenant"] for row in listed} == {"acme"}
        assert acme_trace in {row["trace_id"] for row in listed}
        other = http.get(f"/admin/traces/{globex_trace}")
        assert other.status_code == 404  # exactly like a trace that does not exist
        usage = http.get("/admin/usage").json()
        assert usage["tenant"] == "acme"
    with deployment.http("globex_dev") as http:
        assert {r["tenant"] for r in http.get("/admin/traces").json()["data"]} == {"globex"}
    with deployment.http("acme_admin") as http:
        audit = http.get("/admin/audit", params={"limit": 1000}).json()["data"]
        assert audit
        assert {entry["tenant"] for entry in audit} == {"acme"}
        keys = http.get("/admin/keys").json()["data"]
        assert {k["tenant"] for k in keys} == {"acme"}
    with deployment.http("root") as http:
        tenants = {
            r["tenant"] for r in http.get("/admin/traces", params={"limit": 1000}).json()["data"]
        }
        assert {"acme", "globex"} <= tenants


# --------------------------------------------------------------------------- keys over HTTP


def test_create_rotate_and_revoke_over_http(deployment: Deployment) -> None:
    with deployment.http("acme_admin") as http:
        created = http.post("/admin/keys", json={"role": "app", "name": "batch"}).json()
        assert created["tenant"] == "acme"  # a tenant admin creates keys in its own tenant
        assert ask(
            openai.OpenAI(base_url=deployment.gateway.v1, api_key=created["key"], max_retries=0)
        )
        rotated = http.post(
            f"/admin/keys/{created['key_id']}/rotate", json={"grace_s": 3600}
        ).json()
        for secret in (created["key"], rotated["key"]):  # both work during the grace period
            assert ask(openai.OpenAI(base_url=deployment.gateway.v1, api_key=secret, max_retries=0))
        revoked = http.post(f"/admin/keys/{rotated['key_id']}/revoke").json()
        assert revoked["status"] == "revoked"
        cross = http.post("/admin/keys", json={"tenant": "globex", "role": "app"})
        assert cross.status_code == 403
    with pytest.raises(openai.AuthenticationError, match="revoked"):
        ask(openai.OpenAI(base_url=deployment.gateway.v1, api_key=rotated["key"], max_retries=0))
    with deployment.http("root") as http:
        actions = [
            e["action"] for e in http.get("/admin/audit", params={"limit": 1000}).json()["data"]
        ]
        verified = http.get("/admin/audit/verify").json()
    assert {
        "key.created",
        "key.rotated",
        "key.revoked",
        "access.denied",
        "admin.request",
        "config.loaded",
    } <= set(actions)
    assert verified["ok"] is True
    assert verified["checked"] >= len(actions)


def test_readyz_reports_the_auth_mode(deployment: Deployment) -> None:
    with deployment.http(None) as http:
        body = http.get("/readyz").json()
    assert body["auth"] == "keys"
    assert body["unsafe"] == []


def test_open_mode_is_flagged_as_unsafe(tmp_path: Path) -> None:
    with start_gateway(CONFIG.replace("mode: keys", "mode: auto"), tmp_path) as gateway:
        body = httpx.get(f"{gateway.url}/readyz").json()
        assert body["auth"] == "open"
        assert any("open mode" in item for item in body["unsafe"])
        client = openai.OpenAI(base_url=gateway.v1, api_key="anything", max_retries=0)
        assert ask(client)  # open mode: no key is checked
