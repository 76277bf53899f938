"""Who is calling: a Bearer API token or the session cookie. Every route states the role
it needs in `opt["role"]`; a route without one is refused (deny by default), except the
few marked public (login, health, static files).

How the request was authenticated is kept in scope["auth"] (csrf.SESSION or csrf.TOKEN):
the guard asks a session's unsafe requests for their CSRF token (see csrf.py), whatever
other headers they carry. An unknown API token counts as a failure of the client's
address for the login throttle (services/auth.py).

A session whose user must choose a new password (one someone else set: the CLI, an admin)
may use only the routes marked `before_password_change` (that form, who am I, log out):
every other page sends the browser to the form, every other API call answers 403
password_change_required. API tokens are not held back: a token is made on purpose for a
program, which cannot choose a password, and a user who has not chosen theirs cannot make
one with their session."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.domain.actors import Actor
from server.domain.errors import Forbidden, PasswordChangeRequired, Unauthenticated
from server.domain.vocab import Role
from server.http import csrf, upload
from server.http.present import TZ_COOKIE, with_browser_zone
from server.services import auth

SESSION_COOKIE = "tagtrack_session"


def public() -> dict[str, Any]:
    return {"public": True}


def role(needed: Role, *, kiosk: bool = False) -> dict[str, Any]:
    """`kiosk`: a kiosk account may use the route too (the scanning page and what it
    needs); it is refused every other route, whatever role the route asks for."""
    return {"role": needed, "kiosk": True} if kiosk else {"role": needed}


VIEW, OPERATE, MANAGE, ADMIN = (
    role(Role.VIEWER),
    role(Role.OPERATOR),
    role(Role.MANAGER),
    role(Role.ADMIN),
)
# What the door screen uses: its page, scans (the kiosk role's scans are limited to look
# up, check out and check in), the names of people, leaving kiosk mode, logging out.
VIEW_AT_KIOSK, OPERATE_AT_KIOSK = role(Role.VIEWER, kiosk=True), role(Role.OPERATOR, kiosk=True)
# What a session may use while its user must choose a new password: that form, who am I
# (and the CSRF token the API call needs), logging out. Any role, the kiosk's included.
BEFORE_PASSWORD_CHANGE = {**VIEW_AT_KIOSK, "before_password_change": True}


class AuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            actor = await auth.actor_for_token(header[7:].strip())
            if actor is None:
                await auth.refuse_token(client_address(connection))  # raises
            return AuthenticationResult(user=actor, auth=csrf.TOKEN)
        # any other Authorization header (HTTP Basic from a proxy) authenticates nothing
        if secret := connection.cookies.get(SESSION_COOKIE):
            login = await auth.session_login(secret)
            if login is not None:
                if login.must_change_password and not _open_before_password_change(
                        connection):
                    raise PasswordChangeRequired(
                        "choose a new password first: the one you logged in with was set "
                        "by someone else (POST /api/v1/users/me/password, or the page "
                        "/account/password)")
                # a browser: times in its zone unless the user chose one (present.py)
                actor = with_browser_zone(login.actor, connection.cookies.get(TZ_COOKIE))
                return AuthenticationResult(user=actor, auth=csrf.SESSION)
        if not _is_public(connection):
            raise Unauthenticated(
                "log in first: send an API token (Authorization: Bearer ...) or a session cookie"
            )
        return AuthenticationResult(user=None, auth=None)


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client's address as the server saw it (behind a reverse proxy on this machine,
    uvicorn takes it from X-Forwarded-For)."""
    return connection.client.host if connection.client else ""


def _is_public(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    handler = connection.scope.get("route_handler")
    return bool(handler and handler.opt.get("public"))


def _open_before_password_change(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    handler = connection.scope.get("route_handler")
    return bool(handler and (handler.opt.get("public")
                             or handler.opt.get("before_password_change")))


async def role_guard(connection: ASGIConnection[Any, Any, Any, Any],
                     handler: BaseRouteHandler) -> None:
    # async on purpose: Litestar runs a plain-function guard in a worker thread (a thread
    # hand-off and a GIL round trip on every request)
    if handler.opt.get("public"):
        return
    needed = handler.opt.get("role")
    if needed is None and connection.scope["path"].startswith("/schema"):
        needed = Role.VIEWER  # the OpenAPI schema and its viewers: any logged-in user
    if needed is None:
        raise Forbidden("this route declares no role, so nobody may use it")
    actor: Actor | None = connection.scope.get("user")
    if actor is None:
        raise Unauthenticated("log in first")
    actor.require(needed, kiosk=bool(handler.opt.get("kiosk")))
    if connection.scope.get("method", "GET") not in csrf.SAFE_METHODS:
        if handler.opt.get("upload"):  # before the CSRF check reads the form
            upload.refuse_announced_over_limit(connection.headers)
        if connection.scope.get("auth") == csrf.SESSION:
            await csrf.check_session_request(connection,
                                             connection.cookies.get(SESSION_COOKIE, ""))
        if connection.scope["path"].startswith("/api/") and not handler.opt.get("upload"):
            csrf.require_json(connection)  # (an upload route takes multipart instead)
