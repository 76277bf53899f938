"""/api/v1/users (admin), /api/v1/users/me (your own account, any role) and
/api/v1/tokens (your own API tokens; admins: anyone's)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import JSONBody
from msgspec import Struct

from server.db import users_repo
from server.domain.vocab import Role
from server.http import csrf
from server.http import schemas as s
from server.http.auth import (
    ADMIN,
    BEFORE_PASSWORD_CHANGE,
    SESSION_COOKIE,
    VIEW,
    VIEW_AT_KIOSK,
    client_address,
)
from server.http.paging import Req, actor_of
from server.services import accounts, auth


def _user(row: dict[str, Any]) -> s.UserOut:
    return s.UserOut(
        id=row["id"], username=row["username"], role=row["role"], active=bool(row["active"]),
        time_zone=row.get("time_zone"),
        must_change_password=bool(row.get("must_change_password")),
    )


def _token(row: dict[str, Any], token: str | None = None) -> s.TokenOut:
    return s.TokenOut(
        id=row["id"],
        user=row["user"],
        name=row["name"],
        prefix=row["prefix"],
        created_at=row["created_at"],
        revoked=row["revoked_at"] is not None,
        token=token,
    )


class CsrfOut(Struct):
    csrf: str


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/", opt=ADMIN, summary="List users")
    async def list_users(self) -> list[s.UserOut]:
        return [_user(r) for r in await users_repo.list_users()]

    @post("/", opt=ADMIN, summary="Create a user with a role")
    async def create_user(self, data: JSONBody[s.UserCreate], request: Req) -> s.UserOut:
        user_id = await auth.create_user(actor_of(request), data.username, data.role,
                                         data.password,
                                         must_change_password=data.must_change_password)
        return _user(await users_repo.by_id(user_id))

    @get("/me", opt=BEFORE_PASSWORD_CHANGE, summary="Who am I",
         description="must_change_password true: your password was set by someone else (an "
         "admin, the CLI); until you choose your own (POST /api/v1/users/me/password), "
         "requests made with your session cookie answer 403 password_change_required. "
         "API tokens are not held back.")
    async def me(self, request: Req) -> s.UserOut:
        return _user(await users_repo.by_id(actor_of(request).user_id or 0))

    @post("/me/password", opt=BEFORE_PASSWORD_CHANGE, status_code=204,
          summary="Choose your own password",
          description="current_password proves it is you (a wrong one is refused with 422 "
          "naming current_password, and counts as a failed login of your account: 429 "
          "after too many). new_password: at least 12 characters, not your username, not "
          "the current password (422 naming new_password). Clears must_change_password. "
          "Every other session of yours is logged out; the one making the request (when "
          "it is a session) stays. Your API tokens stay.")
    async def change_my_password(self, data: JSONBody[s.PasswordChange],
                                 request: Req) -> None:
        session = (request.cookies.get(SESSION_COOKIE)
                   if request.scope.get("auth") == csrf.SESSION else None)
        await accounts.change_own_password(actor_of(request), data.current_password,
                                           data.new_password, session_secret=session,
                                           address=client_address(request))

    @get("/me/tokens", opt=VIEW_AT_KIOSK, summary="Your own API tokens (admins too: only theirs)")
    async def my_tokens(self, request: Req) -> list[s.TokenOut]:
        return [_token(r) for r in await accounts.my_tokens(actor_of(request))]

    @post("/me/tokens", opt=VIEW,
          summary="Make yourself an API token; the answer shows it this once",
          description="A kiosk account cannot (403): an admin makes its tokens.",
          status_code=201)
    async def create_my_token(self, data: JSONBody[s.MyTokenCreate],
                              request: Req) -> Response[s.TokenOut]:
        token_id, token = await accounts.create_my_token(actor_of(request), data.name)
        return Response(_token(await users_repo.token_by_id(token_id), token),
                        status_code=201, headers={"Cache-Control": "no-store"})

    @delete("/me/tokens/{token_id:int}", opt=VIEW, summary="Revoke one of your tokens",
            description="Another user's token is not found here (404), an admin's call too.")
    async def revoke_my_token(self, token_id: int, request: Req) -> None:
        await accounts.revoke_my_token(actor_of(request), token_id)

    @get("/me/csrf", opt=BEFORE_PASSWORD_CHANGE, summary="Your session's CSRF token",
         description="A request made with the session cookie (a browser) that changes "
         "anything sends this token in the X-CSRF-Token header. Empty when you call with an "
         "API token, which needs none.")
    async def my_csrf(self, request: Req) -> CsrfOut:
        if request.scope.get("auth") != csrf.SESSION:
            return CsrfOut(csrf="")
        return CsrfOut(csrf=csrf.session_token(request.cookies.get(SESSION_COOKIE, "")))

    @patch("/{user_id:int}", opt=ADMIN,
           summary="Change role, password or time zone, or deactivate",
           description="Refused with 409 (code last_admin) when it would demote or "
           "deactivate the last active admin. time_zone is an IANA name such as "
           "America/Los_Angeles (422 naming time_zone otherwise); null clears it, and the "
           "user's pages then follow their browser's zone, else the site's "
           "(TAGTRACK_TIME_ZONE).")
    async def update_user(
        self, user_id: int, data: JSONBody[s.UserUpdate], request: Req
    ) -> s.UserOut:
        changes = s.given(data)
        if "time_zone" in changes and changes["time_zone"] is None:
            changes["time_zone"] = ""  # null clears the user's own zone
        await auth.update_user(actor_of(request), user_id, **changes)
        return _user(await users_repo.by_id(user_id))


class TokenController(Controller):
    path = "/api/v1/tokens"
    tags = ["users"]

    @get("/", opt=VIEW, summary="Your API tokens (admins see all)")
    async def list_tokens(self, request: Req) -> list[s.TokenOut]:
        actor = actor_of(request)
        rows = await users_repo.list_tokens(None if actor.role is Role.ADMIN else actor.user_id)
        return [_token(r) for r in rows]

    @post("/", opt=VIEW, summary="Create an API token; the answer shows it this once")
    async def create_token(self, data: JSONBody[s.TokenCreate], request: Req) -> s.TokenOut:
        actor = actor_of(request)
        owner = actor.user_id if data.user is None else data.user
        if owner != actor.user_id:
            actor.require(Role.ADMIN)
        token_id, token = await auth.create_token(actor, owner or 0, data.name)
        return _token(await users_repo.token_by_id(token_id), token)

    @delete("/{token_id:int}", opt=VIEW, summary="Revoke a token")
    async def revoke_token(self, token_id: int, request: Req) -> None:
        await auth.revoke_token(actor_of(request), token_id)
