"""Server-rendered pages: login and logout (the home page is the dashboard, in
pages_dashboard.py). Health for monitors."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.enums import MediaType, RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from server.db import engine
from server.domain.errors import Unauthenticated
from server.http import schemas as s
from server.http.auth import SESSION_COOKIE, VIEW, public
from server.services import auth
from server.settings import get_settings


def _safe_next(target: str | None) -> str:
    # only local paths: never redirect a login to another site
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


class LoginForm(s.In):
    username: str = ""
    password: str = ""
    next: str = "/"


class PageController(Controller):
    include_in_schema = False

    @get(["/u/{tag:str}", "/l/{tag:str}", "/p/{tag:str}"], opt=VIEW)
    async def label_link(self, tag: str, request: Request[Any, Any, Any]) -> Redirect:
        """A label's QR code holds {PUBLIC_URL}/u/{tag}: a phone's own camera app opens the
        record's page (after a login if needed)."""
        page = {"u": "/units/", "l": "/locations/", "p": "/people/"}[request.url.path[1]]
        return Redirect(page + quote(tag.strip().upper(), safe="-"), status_code=302)

    @get("/login", opt=public())
    async def login_page(self, next: str = "/") -> Template:
        return Template("login.html", context={"next": _safe_next(next), "error": None})

    @post("/login", opt=public(), status_code=303)
    async def login(
        self, data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
    ) -> Any:
        try:
            secret, _ = await auth.login(data.username, data.password, get_settings().session_days)
        except Unauthenticated as exc:
            return Template(
                "login.html",
                status_code=401,
                media_type=MediaType.HTML,  # the handler may also answer a redirect: say it
                context={
                    "next": _safe_next(data.next),
                    "error": exc.message,
                    "username": data.username,
                },
            )
        response = Redirect(_safe_next(data.next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            secret,
            httponly=True,
            samesite="lax",
            secure=get_settings().secure_cookies,
            max_age=get_settings().session_days * 86400,
        )
        return response

    @post("/logout", opt=VIEW, status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        if secret := request.cookies.get(SESSION_COOKIE):
            await auth.logout(secret)
        response = Redirect("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response


class HealthController(Controller):
    tags = ["health"]

    @get("/healthz", opt=public(), summary="Liveness and database check, no login needed")
    async def healthz(self) -> s.Health:
        await engine.current_engine().run_querystring(_PING)
        return s.Health(status="ok", database=get_settings().engine)


def _ping() -> Any:
    from piccolo.querystring import QueryString

    return QueryString("SELECT 1")


_PING = _ping()
