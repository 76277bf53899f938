"""Who is calling: a Bearer API token or the session cookie. Every route states the role
it needs in `opt["role"]`; a route without one is refused (deny by default), except the
few marked public (login, health, static files)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.domain.actors import Actor
from server.domain.errors import Forbidden, Unauthenticated
from server.domain.vocab import Role
from server.services import auth

SESSION_COOKIE = "tagtrack_session"


def public() -> dict[str, Any]:
    return {"public": True}


def role(needed: Role) -> dict[str, Any]:
    return {"role": needed}


VIEW, OPERATE, MANAGE, ADMIN = (
    role(Role.VIEWER),
    role(Role.OPERATOR),
    role(Role.MANAGER),
    role(Role.ADMIN),
)


class AuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        actor: Actor | None = None
        if header.lower().startswith("bearer "):
            actor = await auth.actor_for_token(header[7:].strip())
            if actor is None:
                raise Unauthenticated("the API token is unknown or revoked")
        elif secret := connection.cookies.get(SESSION_COOKIE):
            actor = await auth.actor_for_session(secret)
        if actor is None and not _is_public(connection):
            raise Unauthenticated(
                "log in first: send an API token (Authorization: Bearer ...) or a session cookie"
            )
        return AuthenticationResult(user=actor, auth=None)


def _is_public(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    handler = connection.scope.get("route_handler")
    return bool(handler and handler.opt.get("public"))


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
    actor.require(needed)
