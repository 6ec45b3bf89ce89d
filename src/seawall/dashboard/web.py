"""Request plumbing of the dashboard: who is looking, what they may see, and the HTML response.

Each page is a handler ``(dashboard, request, viewer) -> Response`` wrapped by ``endpoint``,
which resolves the viewer from the session cookie (or open mode), checks the CSRF token of a
POST, checks the page's permission (a refusal is audited, as on the admin API) and turns
errors into an HTML page with the right status.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from seawall.configload import resolve_secret
from seawall.core.errors import Forbidden, PayloadTooLarge, SeawallError, ServiceUnavailable
from seawall.dashboard.auth import COOKIE, Session, SessionSigner, principal_of
from seawall.dashboard.bucketcache import BucketCache
from seawall.dashboard.queries import Cache
from seawall.dashboard.render import environment
from seawall.security.roles import Principal
from seawall.security.service import Security
from seawall.wiring import Runtime

log = logging.getLogger("seawall.dashboard")

MAX_FORM_BYTES = 200_000
# No script at all, styles and images from our own origin only, forms post back to us, and no
# other site may frame the dashboard (clickjacking on the review buttons).
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # trace ids sit in dashboard URLs
    "cache-control": "no-store",
}


@dataclass(frozen=True, slots=True)
class Page:
    """A page in the navigation and the permission it needs."""

    name: str
    title: str
    path: str
    permission: str


PAGES: tuple[Page, ...] = (
    Page("overview", "Overview", "/ui/overview", "usage.read"),
    Page("traces", "Traces", "/ui/traces", "traces.read"),
    Page("releases", "Releases", "/ui/releases", "prompts.read"),
    Page("evals", "Evals", "/ui/evals", "evals.read"),
    Page("reviews", "Reviews", "/ui/reviews", "reviews.read"),
    Page("alerts", "Alerts", "/ui/alerts", "usage.read"),
    Page("drift", "Drift", "/ui/drift", "usage.read"),
    Page("usage", "Usage", "/ui/usage", "usage.read"),
)


@dataclass(slots=True)
class Viewer:
    """The person looking at a page: their principal and session."""

    principal: Principal
    session: Session
    csrf: str
    open_mode: bool
    cookie: str | None = None  # a new session cookie to set with this response

    def can(self, permission: str) -> bool:
        """Does the viewer's role hold ``permission``?"""
        return self.principal.can(permission)

    @property
    def pages(self) -> list[Page]:
        """The pages this viewer may open (the navigation shows only these)."""
        return [page for page in PAGES if self.can(page.permission)]

    @property
    def tenant(self) -> str | None:
        """The tenant every query of this viewer is restricted to (None: all)."""
        return self.principal.tenant_filter

    @property
    def label(self) -> str:
        """How the header names the viewer."""
        p = self.principal
        if p.is_open:
            return "open mode"
        scope = "all tenants" if p.is_global else f"tenant {p.tenant}"
        return f"{p.role} · {scope} · key {p.key_id}"


Handler = Callable[["Dashboard", Request, Viewer], Awaitable[Response]]


class Dashboard:
    """The dashboard of one runtime: templates, the session signer and the stores it reads."""

    def __init__(self, runtime: Runtime, is_ready: Callable[[], bool]) -> None:
        self.runtime = runtime
        self.is_ready = is_ready
        self.env = environment()
        self.signer = SessionSigner.from_config(resolve_secret(runtime.config.audit.hmac_key))
        self.buckets: Cache = BucketCache()  # settled time buckets of the overview and usage

    @property
    def engine(self) -> AsyncEngine:
        """The store's engine; 503 while the store is not open."""
        store = self.runtime.store
        engine: AsyncEngine | None = getattr(store, "engine", None)
        if engine is None:
            raise ServiceUnavailable("the store is not open")
        return engine

    @property
    def security(self) -> Security:
        """The runtime's security service; 503 while it is not running."""
        if self.runtime.security is None:
            raise ServiceUnavailable("the gateway is starting or shutting down")
        return self.runtime.security

    def now(self) -> float:
        """Wall-clock time of the runtime's clock."""
        return self.runtime.clock.wall()

    async def viewer(self, request: Request) -> Viewer | None:
        """Who is signed in (open mode: everyone, as admin); None when nobody valid is."""
        security, now = self.security, self.now()
        session = self.signer.load(request.cookies.get(COOKIE), now)
        if security.mode == "open":
            fresh = session is None
            session = session or self.signer.new(None, now)
            cookie = self.signer.dump(session) if fresh else None
            return Viewer(Principal.open_mode(), session, self.signer.csrf(session), True, cookie)
        if session is None or session.key_id is None:
            return None
        # The key is looked up on every request: revoking it ends its sessions at once.
        principal = principal_of(await security.keys.get(session.key_id), now)
        if principal is None:
            return None
        return Viewer(principal, session, self.signer.csrf(session), False)

    def render(
        self,
        request: Request,
        viewer: Viewer | None,
        template: str,
        *,
        status: int = 200,
        page: str | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """A page from ``template`` with the navigation, banner and security headers."""
        html = self.env.get_template(template).render(
            viewer=viewer,
            page=page,
            path=request.url.path,
            now=self.now(),
            open_mode=self.security.mode == "open" if self.runtime.security else False,
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if viewer is not None and viewer.cookie is not None:
            self.set_cookie(request, response, viewer.cookie, viewer.session.expires_at)
        return response

    def error(
        self, request: Request, viewer: Viewer | None, status: int, message: str
    ) -> HTMLResponse:
        """An error page that keeps the navigation."""
        return self.render(request, viewer, "error.html", status=status, message=message)

    def set_cookie(
        self, request: Request, response: Response, value: str, expires_at: float
    ) -> None:
        """Set the session cookie: HttpOnly, SameSite=Strict, only under /ui, Secure on HTTPS."""
        response.set_cookie(
            COOKIE,
            value,
            max_age=max(0, int(expires_at - self.now())),
            path="/ui",
            httponly=True,
            samesite="strict",
            secure=_https(request),
        )


def _https(request: Request) -> bool:
    # Behind a TLS-terminating proxy the app sees http; the proxy says what the browser used.
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (one value per field), size-capped."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise PayloadTooLarge(f"the form is larger than {MAX_FORM_BYTES} bytes")
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[-1] for name, values in parsed.items()}


def login_redirect(request: Request) -> Response:
    """Send a visitor without a session to the sign-in form, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/ui/login?next={quote(target, safe='')}", status_code=303)


def endpoint(
    dashboard: Dashboard, handler: Handler, permission: str | None
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint: viewer, CSRF on POST, the permission, then ``handler``."""

    async def run(request: Request) -> Response:
        if not dashboard.is_ready() or dashboard.runtime.security is None:
            return HTMLResponse("Seawall is starting or shutting down.", status_code=503)
        viewer = await dashboard.viewer(request)
        if viewer is None:
            if request.method == "GET":
                return login_redirect(request)
            return dashboard.error(request, None, 401, "Your session ended: sign in again.")
        try:
            if request.method == "POST":
                form = await read_form(request)
                if not dashboard.signer.csrf_ok(viewer.session, form.get("csrf")):
                    raise Forbidden(
                        "the form is stale or forged (no valid CSRF token): reload the page"
                    )
                request.state.form = form
            if permission is not None:
                target = f"{request.method} {request.url.path}"
                await dashboard.security.require(viewer.principal, permission, target=target)
            return await handler(dashboard, request, viewer)
        except SeawallError as exc:
            return dashboard.error(request, viewer, exc.status_code, exc.message)

    return run


def public_endpoint(
    dashboard: Dashboard, handler: Callable[[Dashboard, Request], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint for the pages before sign-in (the handler checks its own form)."""

    async def run(request: Request) -> Response:
        if not dashboard.is_ready() or dashboard.runtime.security is None:
            return HTMLResponse("Seawall is starting or shutting down.", status_code=503)
        try:
            return await handler(dashboard, request)
        except SeawallError as exc:
            return dashboard.error(request, None, exc.status_code, exc.message)

    return run


def form_of(request: Request) -> dict[str, str]:
    """The POST form ``endpoint`` read and checked."""
    form: dict[str, str] = request.state.form
    return form
