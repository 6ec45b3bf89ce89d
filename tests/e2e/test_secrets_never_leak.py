"""Plant secrets, drive every path that writes something, and search everything written.

The provider key and the audit HMAC key come from the environment; an app key is created by
the CLI. Calls succeed, fail upstream (the simulator in an outage), fail the breaker, hit the
admin API and get denied. Then the store files, the server's whole output, /metrics, the
audit export, `traces show --json` and every HTTP body are searched for each secret.
"""

from __future__ import annotations

import json
import secrets
import signal
import time
from pathlib import Path

import httpx

from helpers.process import free_port, run_cli, start_serve
from helpers.servers import start_sim_server
from seawall.config import SimSettings
from seawall.sim.engine import SimEngine

PROVIDER_KEY = "sk-planted-" + secrets.token_hex(16)
AUDIT_KEY = "audit-planted-" + secrets.token_hex(16)
ENV = {"PLANTED_PROVIDER_KEY": PROVIDER_KEY, "PLANTED_AUDIT_KEY": AUDIT_KEY}


def config(sim_url: str, dead_url: str) -> str:
    return f"""
store: {{url: "sqlite:///.seawall/planted.db"}}
auth: {{mode: keys}}
audit: {{hmac_key: env:PLANTED_AUDIT_KEY}}
providers:
  upstream:
    kind: openai
    base_url: {sim_url}/v1
    api_key: env:PLANTED_PROVIDER_KEY
    headers: {{x-extra: env:PLANTED_PROVIDER_KEY}}
  dead:
    kind: openai
    base_url: {dead_url}/v1
    api_key: env:PLANTED_PROVIDER_KEY
models:
  chat:
    targets: [{{provider: upstream, model: gpt-4o-mini}}, {{provider: dead, model: gpt-4o-mini}}]
    timeout: {{attempt_s: 2, deadline_s: 4}}
    retry: {{max_attempts: 2, base_delay_ms: 1, max_delay_ms: 2}}
"""


def wait_for_traces(http: httpx.Client, headers: dict[str, str], count: int) -> str:
    """The admin traces listing once ``count`` calls are stored (records are written in batches)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        body = http.get("/admin/traces", headers=headers).text
        if len(json.loads(body)["data"]) >= count:
            return body
        time.sleep(0.05)  # polling the batching writer, bounded by the deadline
    raise AssertionError(f"fewer than {count} calls were stored in 15 s")


def test_planted_secrets_appear_nowhere(tmp_path: Path) -> None:
    engine = SimEngine(SimSettings())
    dead = f"http://127.0.0.1:{free_port()}"
    with start_sim_server(engine=engine) as sim_url:
        (tmp_path / "seawall.yaml").write_text(config(sim_url, dead))
        made = run_cli(
            "keys", "create", "--tenant", "acme", "--role", "app", "--json", cwd=tmp_path, env=ENV
        )
        assert made.returncode == 0, made.stderr
        app_key = json.loads(made.stdout)["key"]
        admin = run_cli(
            "keys", "create", "--tenant", "*", "--role", "admin", "--json", cwd=tmp_path, env=ENV
        )
        admin_key = json.loads(admin.stdout)["key"]
        port = free_port()
        proc = start_serve(tmp_path / "seawall.yaml", port, tmp_path, env=ENV)
        bodies: list[str] = []
        try:
            base = f"http://127.0.0.1:{port}"
            app = {"authorization": f"Bearer {app_key}"}
            body = {"model": "chat", "messages": [{"role": "user", "content": "hello"}]}
            with httpx.Client(base_url=base, timeout=10) as http:
                bodies.append(http.post("/v1/chat/completions", json=body, headers=app).text)
                engine.set_outage(True)  # the upstream fails; the dead fallback refuses to connect
                for _ in range(3):
                    bodies.append(http.post("/v1/chat/completions", json=body, headers=app).text)
                engine.set_outage(False)
                bodies.append(
                    http.post(
                        "/v1/chat/completions",
                        json=body,
                        headers={"authorization": "Bearer sw-wrong"},
                    ).text
                )
                bodies.append(http.get("/admin/keys", headers=app).text)  # denied, audited
                root = {"authorization": f"Bearer {admin_key}"}
                bodies.append(http.get("/admin/keys", headers=root).text)
                bodies.append(wait_for_traces(http, root, 4))
                bodies.append(http.get("/admin/audit", headers=root).text)
                bodies.append(http.get("/metrics").text)
                bodies.append(http.get("/readyz").text)
        finally:
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=30)
        trace_ids = [row["trace_id"] for row in json.loads(bodies[-4])["data"]]
        assert len(trace_ids) == 4
        shown = [run_cli("traces", "show", t, "--json", cwd=tmp_path).stdout for t in trace_ids]
        exported = run_cli("audit", "export", cwd=tmp_path, env=ENV)
        verified = run_cli("audit", "verify", cwd=tmp_path, env=ENV)
    assert exported.returncode == 0, exported.stderr
    assert verified.returncode == 0, verified.stderr
    assert any(json.loads(s)["outcome"] == "error" for s in shown)  # the failure paths ran
    store_files = b"".join(p.read_bytes() for p in (tmp_path / ".seawall").iterdir())
    texts = {
        "server output": output,
        "http bodies": "\n".join(bodies),
        "traces show": "\n".join(shown),
        "audit export": exported.stdout,
        "cli output": made.stderr + admin.stderr + verified.stdout,
    }
    for secret in (PROVIDER_KEY, AUDIT_KEY, app_key, admin_key):
        assert secret.encode() not in store_files, "a secret reached the store files"
        for where, text in texts.items():
            assert secret not in text, f"a secret appears in the {where}"
