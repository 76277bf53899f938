"""Users (admins). One's own account and API tokens: account.py."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from server.db import users_repo
from server.domain.errors import Conflict, DomainError
from server.domain.password_rules import MIN_LENGTH
from server.domain.timezones import zone_names
from server.domain.vocab import Role
from server.http.auth import ADMIN
from server.http.pages.common import (
    Failed,
    PageBase,
    Req,
    actor_of,
    done,
    failed,
    page,
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
            password_min=MIN_LENGTH,
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
