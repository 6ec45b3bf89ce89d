"""The dashboard in real headless Chromium, against a real gateway with seeded traffic.

Traffic, a complaint and a firing alert come through the running gateway (sim upstreams, one
of them in a full outage); eval runs and a canary release are written with the stores their
commands use (``helpers.dashboard_seed``). People sign in with API keys through the form, as
a browser does. Screenshots of every page go to ``tests/artifacts/dashboard/``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from helpers.dashboard_seed import REGRESSED, ROLLBACK_REASON, run_async, seed
from helpers.servers import serve_app
from seawall.configload import parse_config
from seawall.http.app import create_app
from seawall.review.items import ReviewItem
from seawall.review.store import SqlReviewStore
from seawall.security.audit import AuditEntry, AuditLog
from seawall.store.engine import create_engine
from seawall.wiring import Runtime, build_runtime

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "dashboard"
DEADLINE_S = 15.0

CONFIG = """
auth: {{mode: keys}}
providers:
  sim: {{kind: sim, sim: {{latency: {{p50_ms: 12, p99_ms: 60, ttft_ms: 5}}}}}}
  broken: {{kind: sim, sim: {{faults: {{outage: true}}}}}}
models:
  chat:
    targets: [{{provider: sim, model: gpt-4o-mini}}]
    cache: {{enabled: true}}
  flaky:
    targets: [{{provider: broken, model: gpt-4o-mini}}]
    retry: {{max_attempts: 1}}
budgets:
  per_tenant: [{{limit_usd: 10, period: day, soft_usd: 5}}]
alerts:
  interval_s: 0.3
  rules:
    - {{kind: error_rate, name: error-rate, threshold: 0.2, min_calls: 5}}
store: {{url: '{url}', flush_interval_ms: 20}}
"""

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the system Chromium")


@dataclass
class Deployment:
    url: str
    store_url: str
    runtime: Runtime
    keys: dict[str, str]
    traces: dict[str, list[str]]  # tenant -> trace ids of its chat calls
    review_id: str

    def http(self, name: str) -> httpx.Client:
        auth = {"authorization": f"Bearer {self.keys[name]}"}
        return httpx.Client(base_url=self.url, headers=auth, timeout=10)


def serve_dashboard(runtime: Runtime) -> contextlib.AbstractContextManager[str]:
    """The gateway app (which mounts the dashboard under /ui) on a loopback port."""
    return serve_app(create_app(runtime), lifespan="on")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{tmp / 'seawall.db'}"
    keys = seed(url)
    runtime = build_runtime(parse_config(CONFIG.format(url=url), "seawall.yaml"), seed=3)
    with serve_dashboard(runtime) as base:
        deployment = Deployment(base, url, runtime, keys, {}, "")
        drive_traffic(deployment)
        yield deployment


def drive_traffic(d: Deployment) -> None:
    """Chat calls of two tenants (streams, cache hits), an outage, a complaint; wait for the alert."""
    for tenant in ("acme", "globex"):
        with d.http(f"{tenant}_app") as http:
            ids = []
            for i in range(10):
                body = {
                    "model": "chat",
                    "temperature": 0,
                    "messages": [{"role": "user", "content": f"{tenant} question {i % 4}"}],
                }
                reply = http.post("/v1/chat/completions", json=body)
                assert reply.status_code == 200, reply.text
                ids.append(reply.headers["x-seawall-trace-id"])
            stream = {
                "model": "chat",
                "stream": True,
                "messages": [{"role": "user", "content": "s"}],
            }
            for _ in range(3):
                assert http.post("/v1/chat/completions", json=stream).status_code == 200
            d.traces[tenant] = ids
    with d.http("acme_app") as http:
        for _ in range(8):
            body = {"model": "flaky", "messages": [{"role": "user", "content": "are you up?"}]}
            assert http.post("/v1/chat/completions", json=body).status_code >= 500
        complaint = {
            "trace_id": d.traces["acme"][0],
            "kind": "complaint",
            "comment": "wrong refund policy",
        }
        answer = http.post("/v1/feedback", json=complaint)
        assert answer.status_code == 200, answer.text
        d.review_id = answer.json()["review_id"]
    wait_for(lambda: firing(d.runtime), "the error-rate alert to fire")


def firing(runtime: Runtime) -> bool:
    engine = runtime.alerts
    return engine is not None and any(e.rule == "error-rate" for e in engine.firing())


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    assert callable(condition)
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling a background loop, bounded by the deadline


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    yield context.new_page()
    context.close()


def sign_in(page: Page, d: Deployment, name: str, then: str = "/ui") -> None:
    page.goto(f"{d.url}/ui/login?next={then}")
    page.fill("#key", d.keys[name])
    page.click("#sign-in")
    page.wait_for_load_state()
    assert "/ui/login" not in page.url, page.inner_text("main")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# --------------------------------------------------------------------------- every page


def test_every_page_renders_the_seeded_run_for_a_global_admin(
    page: Page, deployment: Deployment
) -> None:
    d = deployment
    sign_in(page, d, "root")
    assert page.url.endswith("/ui/overview")
    assert [a.inner_text() for a in page.locator("header nav a").all()] == [
        "Overview", "Traces", "Releases", "Evals", "Reviews", "Alerts", "Drift", "Usage",
    ]  # fmt: skip

    page.goto(f"{d.url}/ui/overview?window=1h")
    tiles = page.inner_text("#tiles")
    assert "CALLS" in tiles.upper()
    assert page.locator("#charts svg.chart").count() == 7
    models = page.inner_text("#per-model")
    assert "chat" in models
    assert "flaky" in models
    assert "100.0%" in models  # flaky's error rate: the outage
    assert "faq@2" in page.inner_text("#per-release")
    shot(page, "overview")

    page.goto(f"{d.url}/ui/traces?window=1h")
    listed = page.inner_text("#traces")
    assert "acme" in listed
    assert "globex" in listed
    shot(page, "traces")
    page.goto(f"{d.url}/ui/traces?window=1h&outcome=error")
    assert "upstream_unavailable" in page.inner_text("#traces")
    page.locator("#traces a.mono").first.click()
    page.wait_for_load_state()
    assert "broken/gpt-4o-mini" in page.inner_text("#attempts")
    assert page.locator("#attempts svg.chart").count() == 1
    shot(page, "trace-error")
    page.goto(f"{d.url}/ui/traces/{d.traces['acme'][0]}")
    assert d.review_id in page.inner_text("#review")
    assert "wrong refund policy" in page.inner_text("#feedback")
    assert page.inner_text("#cost").startswith("$")
    shot(page, "trace")

    page.goto(f"{d.url}/ui/releases")
    card = page.inner_text("#release-rel-faq-2")
    assert "rolled back" in card
    assert ROLLBACK_REASON in card
    arms = page.inner_text("#release-rel-faq-2 table.arms")
    assert "20.00%" in arms  # the canary's invalid outputs, measured from its calls
    shot(page, "releases")

    page.goto(f"{d.url}/ui/evals")
    assert "run-candidate-2"[:14] in page.inner_text("#runs")
    page.goto(f"{d.url}/ui/evals/run-candidate-2")
    assert page.inner_text("#verdict") == "no significant change"  # 2 flips: p = 0.25
    for case in REGRESSED:
        assert case in page.inner_text("#regressed")
    assert "run-baseline-1"[:14] in page.inner_text("#comparison")
    shot(page, "eval-run")

    page.goto(f"{d.url}/ui/reviews")
    assert d.review_id in page.inner_text("#queue")
    shot(page, "reviews")

    page.goto(f"{d.url}/ui/alerts")
    alert = page.inner_text("#firing")
    assert "error-rate" in alert
    assert "model=flaky" in alert
    shot(page, "alerts")

    page.goto(f"{d.url}/ui/drift")
    assert page.locator("#drift-off, #drift-pending, #drift-rows").count() == 1
    shot(page, "drift")

    page.goto(f"{d.url}/ui/usage?window=1h")
    budgets = page.inner_text("#budgets")
    assert "tenant:acme" in budgets
    assert "tenant:globex" in budgets
    assert "globex" in page.inner_text("#usage-tenant")
    shot(page, "usage")


# --------------------------------------------------------------------------- sessions


def test_the_session_cookie_is_signed_http_only_strict_and_never_the_key(
    page: Page, deployment: Deployment
) -> None:
    sign_in(page, deployment, "acme_dev")
    cookies = page.context.cookies()
    assert [c["name"] for c in cookies] == ["seawall_session"]
    cookie = cookies[0]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/ui"
    secret = deployment.keys["acme_dev"]
    assert secret not in cookie["value"]
    assert secret.split("-")[2] not in cookie["value"]
    # Tampering with the signed cookie signs the browser out.
    page.context.add_cookies([{**cookie, "value": "x" + cookie["value"]}])  # type: ignore[list-item]
    page.goto(f"{deployment.url}/ui/overview")
    assert "/ui/login" in page.url


def test_a_wrong_or_app_key_is_refused_with_a_reason(page: Page, deployment: Deployment) -> None:
    page.goto(f"{deployment.url}/ui/login")
    shot(page, "login")
    page.fill("#key", deployment.keys["acme_dev"][:-3] + "AAA")
    page.click("#sign-in")
    assert "not valid" in page.inner_text("#login-error")
    page.fill("#key", deployment.keys["acme_app"])
    page.click("#sign-in")
    assert "no dashboard pages" in page.inner_text("#login-error")
    page.goto(f"{deployment.url}/ui/overview")
    assert "/ui/login" in page.url


def test_signing_out_ends_the_session(page: Page, deployment: Deployment) -> None:
    sign_in(page, deployment, "acme_dev")
    page.click("#sign-out")
    page.wait_for_load_state()
    assert page.url.endswith("/ui/login")
    page.goto(f"{deployment.url}/ui/traces")
    assert "/ui/login" in page.url


def test_revoking_the_key_ends_its_sessions_at_once(page: Page, deployment: Deployment) -> None:
    with deployment.http("root") as http:
        made = http.post("/admin/keys", json={"tenant": "acme", "role": "developer"}).json()
        deployment.keys["doomed"] = made["key"]
        sign_in(page, deployment, "doomed")
        page.goto(f"{deployment.url}/ui/traces")
        assert page.locator("#traces").count() == 1
        assert http.post(f"/admin/keys/{made['key_id']}/revoke").status_code == 200
    page.goto(f"{deployment.url}/ui/traces")
    assert "/ui/login" in page.url


def test_a_post_without_the_csrf_token_is_refused(page: Page, deployment: Deployment) -> None:
    sign_in(page, deployment, "acme_reviewer")
    cookie = page.context.cookies()[0]["value"]
    with httpx.Client(base_url=deployment.url, cookies={"seawall_session": cookie}) as http:
        refused = http.post(f"/ui/reviews/{deployment.review_id}/claim", data={"csrf": "forged"})
        bare = http.post(f"/ui/reviews/{deployment.review_id}/claim")
    assert refused.status_code == 403
    assert bare.status_code == 403
    assert "CSRF" in refused.text
    assert stored_item(deployment).claimed_by is None  # nothing happened


def stored_item(d: Deployment) -> ReviewItem:
    """The item as stored, read through the test's own connection (not the server's loop)."""

    async def read() -> ReviewItem | None:
        store = SqlReviewStore(d.store_url)
        try:
            return await store.get_item(d.review_id)
        finally:
            await store.aclose()

    item = run_async(read())
    assert item is not None
    return item


# --------------------------------------------------------------------------- roles and tenants


def test_a_reviewer_resolves_a_complaint_through_the_ui(page: Page, deployment: Deployment) -> None:
    d = deployment
    sign_in(page, d, "acme_reviewer")
    assert page.url.endswith("/ui/reviews")  # the reviewer's only page
    assert [a.inner_text() for a in page.locator("header nav a").all()] == ["Reviews"]
    page.click(f"a[href='/ui/reviews/{d.review_id}']")
    page.wait_for_load_state()
    assert "wrong refund policy" in page.inner_text("#reasons")
    page.click("#claim")
    page.wait_for_load_state()
    assert "Claimed" in page.inner_text("#done")
    page.fill("#edited-answer", "Refunds take 5 business days.")
    shot(page, "review-claimed")
    page.click("#save-edit")
    page.wait_for_load_state()
    assert page.inner_text("#review-status") == "edited"
    assert "Refunds take 5 business days." in page.inner_text("#final-answer")
    shot(page, "review-resolved")

    item = stored_item(d)
    reviewer = "key:" + d.keys["acme_reviewer"].split("-")[1]
    assert (item.status, item.resolved_by) == ("edited", reviewer)
    assert item.final_answer == "Refunds take 5 business days."
    resolved = audited(d, "review.resolved")
    assert any(e.actor == reviewer and e.target == d.review_id for e in resolved)


def audited(d: Deployment, action: str) -> list[AuditEntry]:
    """Audit entries of one action, read through the test's own connection."""

    async def read() -> list[AuditEntry]:
        engine = create_engine(d.store_url)
        try:
            return await AuditLog(engine, None).entries(action=action)
        finally:
            await engine.dispose()

    return run_async(read())


def test_a_reviewer_is_refused_other_pages(page: Page, deployment: Deployment) -> None:
    sign_in(page, deployment, "acme_reviewer")
    response = page.goto(f"{deployment.url}/ui/traces")
    assert response is not None
    assert response.status == 403
    assert "may not traces read" in page.inner_text("#error-message")
    denied = audited(deployment, "access.denied")
    assert any(e.target == "GET /ui/traces" for e in denied)


def test_a_developer_never_sees_another_tenants_traces(page: Page, deployment: Deployment) -> None:
    d = deployment
    sign_in(page, d, "acme_dev")
    page.goto(f"{d.url}/ui/traces?window=1h&tenant=globex")  # the tenant filter is not theirs
    listed = page.inner_html("#traces")
    assert any(trace in listed for trace in d.traces["acme"])
    assert not any(trace in listed for trace in d.traces["globex"])
    page.goto(f"{d.url}/ui/traces?q={d.traces['globex'][0]}")
    assert "No calls match." in page.inner_text("#traces")
    response = page.goto(f"{d.url}/ui/traces/{d.traces['globex'][0]}")
    assert response is not None
    assert response.status == 404
    page.goto(f"{d.url}/ui/usage?window=1h")
    assert page.locator("#usage-tenant").count() == 0
    assert "tenant:globex" not in page.inner_text("#budgets")
    page.goto(f"{d.url}/ui/alerts")
    assert "model=flaky" not in page.inner_text("#firing")  # a deployment-wide alert
    shot(page, "traces-tenant-developer")


# --------------------------------------------------------------------------- open mode


def test_open_mode_works_without_sign_in_under_a_red_banner(
    browser: Browser, tmp_path: Path
) -> None:
    config = parse_config(
        "providers: {sim: {kind: sim}}\n"
        "models: {chat: {targets: [{provider: sim, model: m}]}}\n"
        f"store: {{url: 'sqlite:///{tmp_path / 'open.db'}'}}\n",
        "seawall.yaml",
    )
    with serve_dashboard(build_runtime(config)) as url:
        context = browser.new_context(viewport={"width": 1366, "height": 700})
        page = context.new_page()
        page.goto(f"{url}/ui")
        assert page.url.endswith("/ui/overview")
        banner = page.locator("#open-mode")
        assert "no API key is checked" in banner.inner_text()
        color = banner.evaluate("e => getComputedStyle(e).backgroundColor")
        assert color == "rgb(185, 28, 28)"
        shot(page, "open-mode")
        context.close()
