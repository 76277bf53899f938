"""My account (/account, any role): choose one's own password, one's API tokens (a new
token is shown once, never kept by a cache), one's time zone. /tokens is the same page
(older links), and its forms keep their addresses. A kiosk account sees its tokens but
neither makes nor revokes them (services/accounts.py says why).

/account/password is the form a user whose password someone else set is sent to after
logging in (http/auth.py): until they choose their own, every other page sends them
there; then they go on to the page they asked for."""

from __future__ import annotations

from litestar import get, post
from litestar.response import Redirect, Template

from server.db import users_repo
from server.domain.errors import DomainError, InvalidInput
from server.domain.password_rules import MIN_LENGTH
from server.domain.timezones import zone_names
from server.http import errors
from server.http.auth import (
    BEFORE_PASSWORD_CHANGE,
    SESSION_COOKIE,
    VIEW,
    VIEW_AT_KIOSK,
    client_address,
)
from server.http.pages.common import (
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
from server.http.pages.login import _safe_next
from server.services import accounts

SAVED = "Your new password is saved. Your other sessions are logged out."


def _status(exc: DomainError) -> int:
    return next((st for cls, st in errors.STATUS if isinstance(exc, cls)), 400)


def _no_store(answer: Template) -> Template:
    answer.headers["Cache-Control"] = "no-store"  # a token or a password form: keep no copy
    return answer


class AccountPages(PageBase):
    @get(["/account", "/tokens"], opt=VIEW_AT_KIOSK)
    async def account(self, request: Req) -> Template:
        return await self._account_page(request)

    async def _account_page(self, request: Req, fail: Failed | None = None,
                            new_token: str | None = None, status: int = 422) -> Template:
        actor = actor_of(request)
        return _no_store(page(
            request,
            "account.html",
            status=status if fail else 200,
            me=await users_repo.by_id(actor.user_id or 0),
            tokens=await accounts.my_tokens(actor),
            zones=zone_names(),
            password_min=MIN_LENGTH,
            failed=fail,
            new_token=new_token,
        ))

    @get("/account/password", opt=BEFORE_PASSWORD_CHANGE)
    async def password_form(self, request: Req, next: str = "/") -> Template:
        return await self._password_page(request, _safe_next(next))

    async def _password_page(self, request: Req, next_: str, fail: Failed | None = None,
                             status: int = 422) -> Template:
        me = await users_repo.by_id(actor_of(request).user_id or 0)
        return _no_store(page(request, "change_password.html",
                              status=status if fail else 200, me=me, next=next_,
                              forced=bool(me["must_change_password"]),
                              password_min=MIN_LENGTH, failed=fail))

    @post("/account/password", opt=BEFORE_PASSWORD_CHANGE)
    async def change_password(self, request: Req) -> Redirect | Template:
        """From the account page (next=/account) or the form a user is sent to; a refusal
        is the same page again, naming the field."""
        form = await read_form(request)
        next_ = _safe_next(form.get("next"))
        try:
            if form.get("new_password", "") != form.get("confirm_password", ""):
                raise InvalidInput("the two new passwords differ: type the same one twice",
                                   field="confirm_password")
            await accounts.change_own_password(
                actor_of(request), form.get("current_password", ""),
                form.get("new_password", ""), session_secret=request.cookies.get(SESSION_COOKIE),
                address=client_address(request))
        except DomainError as exc:
            kept = failed("password", exc, {"next": next_})  # never echo a password back
            if next_ == "/account":
                return await self._account_page(request, kept, status=_status(exc))
            return await self._password_page(request, next_, kept, status=_status(exc))
        return done(next_, SAVED)

    @post("/tokens", opt=VIEW)
    async def create_token(self, request: Req) -> Template:
        """Answers the page itself, not a redirect: the token is shown this once."""
        form = await read_form(request)
        try:
            _, token = await accounts.create_my_token(actor_of(request), form.get("name", ""))
        except DomainError as exc:
            return await self._account_page(request, failed("create", exc, form),
                                            status=_status(exc))
        return await self._account_page(request, new_token=token)

    @post("/tokens/revoke", opt=VIEW)
    async def revoke_token(self, request: Req) -> Redirect | Template:
        form = await read_form(request)
        try:
            token_id = parse_int(form.get("token", ""), "token") or 0
            await accounts.revoke_my_token(actor_of(request), token_id)
        except DomainError as exc:
            return await self._account_page(request, failed("revoke", exc, form))
        return done("/account", f"Revoked token {token_id}.")

    @post("/account/time-zone", opt=VIEW_AT_KIOSK)
    async def time_zone(self, request: Req) -> Redirect | Template:
        form = await read_form(request)
        zone = form.get("time_zone", "")
        try:
            await accounts.set_my_time_zone(actor_of(request), zone)
        except DomainError as exc:
            return await self._account_page(request, failed("zone", exc, form),
                                            status=_status(exc))
        return done("/account", f"Times are now shown in {zone}." if zone else
                    "Times are now shown in your browser's zone.")
