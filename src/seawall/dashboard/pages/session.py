"""Sign-in, sign-out and the landing redirect."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from seawall.core.errors import Unauthorized
from seawall.dashboard.auth import COOKIE, safe_next, session_lifetime
from seawall.dashboard.web import PAGES, Dashboard, Viewer, form_of, read_form

SIGN_IN_FORM_S = 3600.0  # how long a sign-in form (its CSRF nonce) stays usable


async def landing(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """``/ui``: the first page this viewer may open."""
    pages = viewer.pages
    if not pages:
        return dashboard.error(request, viewer, 403, "This key's role has no dashboard pages.")
    return RedirectResponse(pages[0].path, status_code=303)


async def login_form(dashboard: Dashboard, request: Request) -> Response:
    """``GET /ui/login``: the form (straight to the dashboard when already signed in)."""
    viewer = await dashboard.viewer(request)
    target = request.query_params.get("next")
    if viewer is not None:
        return RedirectResponse(safe_next(target, "/ui"), status_code=303)
    return _form(dashboard, request, target, None, 200)


async def login(dashboard: Dashboard, request: Request) -> Response:
    """``POST /ui/login``: check the key, then set a session holding only its id."""
    form = await read_form(request)
    now = dashboard.now()
    session = dashboard.signer.load(request.cookies.get(COOKIE), now)
    target = form.get("next")
    if not dashboard.signer.csrf_ok(session, form.get("csrf")):
        return _form(dashboard, request, target, "The sign-in form expired: try again.", 403)
    security = dashboard.security
    try:
        principal = security.authenticate(form.get("key", "").strip() or None)
    except Unauthorized as exc:
        return _form(dashboard, request, target, f"Not signed in: {exc.message}.", 401)
    if principal.is_open:
        return RedirectResponse("/ui", status_code=303)
    if not any(principal.can(page.permission) for page in PAGES):
        message = f"Keys with the role '{principal.role}' have no dashboard pages."
        return _form(dashboard, request, target, message, 403)
    assert principal.key_id is not None
    record = await security.keys.get(principal.key_id)
    lifetime = session_lifetime(record, now) if record is not None else 0.0
    fresh = dashboard.signer.new(principal.key_id, now, lifetime)
    await security.record("dashboard.signin", principal, detail={"expires_at": fresh.expires_at})
    response = RedirectResponse(safe_next(target, "/ui"), status_code=303)
    dashboard.set_cookie(request, response, dashboard.signer.dump(fresh), fresh.expires_at)
    return response


async def logout(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """``POST /ui/logout``: forget the session in this browser."""
    form_of(request)  # the endpoint checked the CSRF token
    await dashboard.security.record("dashboard.signout", viewer.principal)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")
    return response


def _form(
    dashboard: Dashboard, request: Request, target: str | None, message: str | None, status: int
) -> Response:
    # A fresh nonce for each form shown: the CSRF token of the sign-in form itself.
    session = dashboard.signer.new(None, dashboard.now(), SIGN_IN_FORM_S)
    response = dashboard.render(
        request,
        None,
        "login.html",
        status=status,
        csrf=dashboard.signer.csrf(session),
        next=safe_next(target, "/ui"),
        message=message,
    )
    dashboard.set_cookie(request, response, dashboard.signer.dump(session), session.expires_at)
    return response
