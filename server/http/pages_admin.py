"""Users (admins) and API tokens (everyone: their own; a new token is shown once)."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from server.db import users_repo
from server.domain.errors import Conflict, DomainError
from server.domain.timezones import zone_names
from server.domain.vocab import Role
from server.http.auth import ADMIN, VIEW
from server.http.pages_common import (
    Failed,
    PageBase,
    Req,
    actor_of,
    done,
    failed,
    page,
    parse_int,
    read_form,
)
from server.services import auth


class AdminPages(PageBase):
    @get("/users", opt=ADMIN)
    async def users(self, request: Req) -> Template:
        return await self._users_page(request)

    async def _users_page(self, request: Req, fail: Failed | None = None,
                          status: int = 422) -> Template:
        return page(
            request,
            "users.html",
            status=status if fail else 200,
            users=await users_repo.list_users(),
            role_options=[(r.value, r.value) for r in Role],
            zones=zone_names(),
            failed=fail,
        )

    @post("/users", opt=ADMIN)
    async def create_user(self, request: Req) -> Redirect | Template:
        form = await read_form(request)
        try:
            await auth.create_user(
                actor_of(request),
                form.get("username", ""),
                form.get("role", ""),
                form.get("password", ""),
            )
        except DomainError as exc:
            form.pop("password", None)
            return await self._users_page(request, failed("create", exc, form))
        return done("/users", f"Created user {form.get('username')}.")

    @post("/users/{user_id:int}", opt=ADMIN)
    async def update_user(self, request: Req, user_id: int) -> Redirect | Template:
        form = await read_form(request)
        try:
            changes: dict[str, Any] = {
                "role": form.get("role") or None,
                "active": {"yes": True, "no": False}.get(form.get("active", "")),
                "password": form.get("password") or None,
                "time_zone": form.get("time_zone"),  # "": the browser's, else the site's
            }
            await auth.update_user(actor_of(request), user_id, **changes)
        except DomainError as exc:
            form.pop("password", None)
            return await self._users_page(request, failed(f"user-{user_id}", exc, form),
                                          status=409 if isinstance(exc, Conflict) else 422)
        return done("/users", "Saved the user.")

    @get("/tokens", opt=VIEW)
    async def tokens(self, request: Req) -> Template:
        return await self._tokens_page(request)

    async def _tokens_page(
        self, request: Req, fail: Failed | None = None, new_token: str | None = None
    ) -> Template:
        rows = await users_repo.list_tokens(actor_of(request).user_id)
        answer = page(
            request,
            "tokens.html",
            status=422 if fail else 200,
            tokens=rows,
            failed=fail,
            new_token=new_token,
        )
        answer.headers["Cache-Control"] = "no-store"  # it may show a new token: keep no copy
        return answer

    @post("/tokens", opt=VIEW)
    async def create_token(self, request: Req) -> Template:
        """Answers the page itself, not a redirect: the token is shown this once."""
        form = await read_form(request)
        actor = actor_of(request)
        try:
            _, token = await auth.create_token(actor, actor.user_id or 0, form.get("name", ""))
        except DomainError as exc:
            return await self._tokens_page(request, failed("create", exc, form))
        return await self._tokens_page(request, new_token=token)

    @post("/tokens/revoke", opt=VIEW)
    async def revoke_token(self, request: Req) -> Redirect | Template:
        form = await read_form(request)
        try:
            token_id = parse_int(form.get("token", ""), "token") or 0
            await auth.revoke_token(actor_of(request), token_id)
        except DomainError as exc:
            return await self._tokens_page(request, failed("revoke", exc, form))
        return done("/tokens", f"Revoked token {token_id}.")
