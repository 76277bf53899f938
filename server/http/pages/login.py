"""Server-rendered pages: login and logout (the home page is the dashboard, in
pages/dashboard.py). Health for monitors."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import MediaType, RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body
from litestar.response import Redirect, Template
from msgspec import Struct

from server.db import health
from server.domain.errors import DomainError
from server.domain.vocab import Role
from server.http import csrf, errors
from server.http import schemas as s
from server.http.auth import (
    BEFORE_PASSWORD_CHANGE,
    SESSION_COOKIE,
    VIEW,
    client_address,
    public,
)
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
    csrf: str = ""


def _login_page(request: Request[Any, Any, Any], *, next_: str, status: int = 200,
                error: str | None = None, username: str = "",
                headers: dict[str, str] | None = None) -> Template:
    """The login form with its double-submit CSRF token (see csrf.py): the token of the
    browser's login cookie, or a new one with the cookie set."""
    token = request.cookies.get(csrf.LOGIN_COOKIE) or csrf.new_login_token()
    cookie = Cookie(key=csrf.LOGIN_COOKIE, value=token, path="/login", httponly=True,
                    samesite="strict", secure=get_settings().secure_cookies)
    return Template(
        "login.html",
        status_code=status,
        media_type=MediaType.HTML,  # the handler may also answer a redirect: say it
        context={"next": _safe_next(next_), "error": error, "username": username,
                 "csrf": token},
        cookies=[cookie],
        headers=headers,
    )


class PageController(Controller):
    include_in_schema = False

    @get(["/u/{tag:str}", "/l/{tag:str}", "/p/{tag:str}"], opt=VIEW)
    async def label_link(self, tag: str, request: Request[Any, Any, Any]) -> Redirect:
        """A label's QR code holds {PUBLIC_URL}/u/{tag}: a phone's own camera app opens the
        record's page (after a login if needed)."""
        page = {"u": "/units/", "l": "/locations/", "p": "/people/"}[request.url.path[1]]
        return Redirect(page + quote(tag.strip().upper(), safe="-"), status_code=302)

    @get("/login", opt=public())
    async def login_page(self, request: Request[Any, Any, Any], next: str = "/") -> Template:
        return _login_page(request, next_=next)

    @post("/login", opt=public(), status_code=303)
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        """A refusal (a wrong password, a throttled account or address, an out-of-date
        form, a server too busy to hash) is the form again, with the reason and the
        status; 429 and 503 carry Retry-After."""
        try:
            csrf.check_login_form(request, data.csrf)
            secret, who = await auth.login(data.username, data.password,
                                         get_settings().session_days, client_address(request))
        except DomainError as exc:
            status = next((st for cls, st in errors.STATUS if isinstance(exc, cls)), 400)
            retry = getattr(exc, "retry_after", None)
            return _login_page(request, next_=data.next, status=status, error=exc.message,
                               username=data.username,
                               headers={"Retry-After": str(retry)} if retry else None)
        # a kiosk account has one page: the door screen
        where = "/scan?mode=kiosk" if who.role is Role.KIOSK else _safe_next(data.next)
        response = Redirect(where, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            secret,
            httponly=True,
            samesite="lax",
            secure=get_settings().secure_cookies,
            max_age=get_settings().session_days * 86400,
        )
        return response

    @post("/logout", opt=BEFORE_PASSWORD_CHANGE, status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """The guard has checked the form's CSRF token (a session's unsafe request)."""
        if secret := request.cookies.get(SESSION_COOKIE):
            await auth.logout(secret)
        response = Redirect("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response


class HealthOut(Struct):
    status: str  # ok, or unavailable
    database: str  # ok, busy, read-only, disk-full or unavailable
    engine: str  # sqlite or postgres
    detail: str | None = None  # what is wrong with the database, when something is
    retry_after: int | None = None  # seconds, as in the Retry-After header


class LiveOut(Struct):
    status: str


_STATES = {"database_busy": "busy", "database_read_only": "read-only",
           "disk_full": "disk-full", "database_unavailable": "unavailable"}


class HealthController(Controller):
    tags = ["health"]

    @get(
        "/healthz",
        opt=public(),
        summary="Readiness: can this server store changes now? No login needed",
        description="A cheap check of the database (could this process begin a write "
        "now, is the file writable and its disk not full; on PostgreSQL, is the server "
        "reachable and not read-only). 200 when it can; 503 with Retry-After and the "
        "database's state (busy, read-only, disk-full, unavailable) when it cannot.",
        responses={503: ResponseSpec(HealthOut, description="The database cannot take "
                                     "writes now; `database` says why", generate_examples=False)},
    )
    async def healthz(self) -> Response[HealthOut]:
        engine_name = get_settings().engine
        fault = await health.database_fault()
        if fault is None:
            return Response(HealthOut(status="ok", database="ok", engine=engine_name))
        body = HealthOut(status="unavailable", database=_STATES.get(fault.code, "unavailable"),
                         engine=engine_name, detail=fault.message,
                         retry_after=fault.retry_after)
        return Response(body, status_code=503,
                        headers={"Retry-After": str(fault.retry_after)})

    @get("/livez", opt=public(),
         summary="Liveness: the process answers (the database is not asked). No login needed")
    async def livez(self) -> LiveOut:
        return LiveOut(status="ok")
