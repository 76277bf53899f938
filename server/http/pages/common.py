"""What every management page shares: the page context (user, role flags, CSRF token, the
message left by the last action), reading a posted form with its CSRF check,
redirect-after-post, and readable error pages for browsers.

Page handlers read through the repositories and change state only through the services,
exactly as the API does; they hold no business rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from urllib.parse import quote, unquote

from litestar import Controller, Request, Response
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from server.domain import fields
from server.domain.actors import Actor
from server.domain.errors import DomainError, InvalidInput, PasswordChangeRequired
from server.domain.vocab import Role
from server.http import csrf, errors, inputs, present
from server.http.auth import SESSION_COOKIE
from server.settings import get_settings

Req = Request[Any, Any, Any]
FLASH = "tagtrack_flash"
PAGE_SIZE = 50


def csrf_token(request: Req) -> str:
    """Bound to the session: a form from another site cannot know it (see csrf.py)."""
    return csrf.session_token(request.cookies.get(SESSION_COOKIE, ""))


async def read_form(request: Req) -> dict[str, str]:
    """The posted fields (first value of each, stripped), without the CSRF token: the
    guard (auth.role_guard) has already checked it for a request made with the session
    cookie, whatever other headers it carries; a request made with an API token needs
    none. Text longer than its field takes (server/domain/fields.py, the inputs' maxlength)
    is refused."""
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    for key, value in values.items():
        if "\x00" in value:
            raise InvalidInput(f"{key} must not contain a NUL character", field=key)
        fields.check_length(key, value)
    values.pop(csrf.FIELD, None)
    return values


def can(actor: Actor | None) -> dict[str, bool]:
    role = actor.role if actor else Role.VIEWER
    return {
        "operate": role.allows(Role.OPERATOR),
        "manage": role.allows(Role.MANAGER),
        "admin": role.allows(Role.ADMIN),
    }


def actor_of(request: Req) -> Actor:
    user = request.scope.get("user")
    assert isinstance(user, Actor)
    return user


@dataclasses.dataclass
class Failed:
    """A form that a service refused: which form, which field, why, and what was typed."""

    form: str
    message: str
    field: str | None = None
    values: dict[str, str] = dataclasses.field(default_factory=dict)
    code: str = ""  # the refusal's code: a form may offer a way on (a confirmation)


def failed(form: str, exc: DomainError, values: dict[str, str]) -> Failed:
    message = exc.message
    if exc.code == "due_in_past":  # the form asks with a tick box, not an API field
        message = message.split("; confirm")[0] + ": tick the box below to record the loan anyway"
    return Failed(form=form, message=message, field=exc.field, values=values, code=exc.code)


def confirmed(form: dict[str, str], name: str) -> bool:
    """A confirmation box of a form (allow_past_due, override_condition) ticked."""
    return form.get(name) == "on"


def custom_from_form(form: dict[str, str], defs: list[Any]) -> dict[str, Any]:
    """An item's custom unit fields as a form sends them (custom.KEY; a ticked box is
    "on", an unticked one is absent), ready for the item's definitions to check."""
    custom: dict[str, Any] = {}
    for d in defs:
        raw = form.get(f"custom.{d.key}", "")
        custom[d.key] = (raw == "on") if d.type == "boolean" else (raw or None)
    return custom


def is_overdue(due: dt.datetime | None) -> bool:
    return due is not None and due < dt.datetime.now(dt.UTC)


def label(word: Any) -> str:
    """checked_out -> checked out"""
    return str(word or "").replace("_", " ")


def loopback_public_url() -> str:
    """PUBLIC_URL when labels made now would hold an address only this computer can open
    (the Labels page warns before anything is printed), else ""."""
    settings = get_settings()
    return settings.public_url if settings.public_url_is_loopback else ""


def page(request: Req, template: str, *, status: int = 200, **context: Any) -> Template:
    actor = request.scope.get("user")
    flash = request.cookies.get(FLASH)
    ctx = {
        "user": actor,
        "can": can(actor),
        "csrf": csrf_token(request),
        "flash": unquote(flash) if flash else None,
        "path": request.url.path,
        "failed": None,
        "zone": present.viewer_zone(actor, request.cookies.get(present.TZ_COOKIE)),
        "when": present.when,  # "5 Dec 2026, 17:00 PST" in the viewer's zone
        "when_due": present.when_due,
        "iso_date": present.iso_date,
        "label": label,
        "is_overdue": is_overdue,
        "field_limit": fields.max_chars,  # the inputs' maxlength: what read_form takes
        "loopback_public_url": loopback_public_url(),
        **context,
    }
    cookies = [Cookie(key=FLASH, value="", max_age=0, path="/")] if flash else []
    return Template(
        template, context=ctx, status_code=status, media_type=MediaType.HTML, cookies=cookies
    )


def done(url: str, message: str) -> Redirect:
    """POST-redirect-GET, leaving a one-time message for the next page."""
    response = Redirect(url, status_code=303)
    response.set_cookie(FLASH, quote(message), max_age=60, path="/", httponly=True,
                        samesite="lax", secure=get_settings().secure_cookies)
    return response


def parse_due(request: Req, form: dict[str, str], field_name: str = "due_at") -> dt.datetime | None:
    """A form's due date (field `due_at`, a date) and optional time (`due_time`) in the
    viewer's zone, in UTC: a date alone is the end of that day there (see inputs.py)."""
    zone = present.viewer_zone(request.scope.get("user"), request.cookies.get(present.TZ_COOKIE))
    return inputs.local_date_time(form.get(field_name, ""), form.get("due_time", ""), zone,
                                  field_name)


def parse_int(text: str, field_name: str, *, optional: bool = False) -> int | None:
    if not text and optional:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"{field_name} must be a whole number", field=field_name) from None


def _status_of(exc: DomainError) -> int:
    return next((s for cls, s in errors.STATUS if isinstance(exc, cls)), 400)


def _wants_page(request: Req) -> bool:
    return "text/html" in request.headers.get("accept", "")


def page_domain_error(request: Req, exc: DomainError) -> Response[Any]:
    status = _status_of(exc)
    # not logged in, or a password to choose first: a browser is sent to that form
    if status == 401 or isinstance(exc, PasswordChangeRequired) or not _wants_page(request):
        return errors.domain_error(request, exc)
    return page(
        request,
        "error.html",
        status=status,
        title=errors.TITLES.get(status, "Error"),
        message=exc.message,
    )


def page_http_error(request: Req, exc: HTTPException) -> Response[Any]:
    if exc.status_code == 401 or not _wants_page(request) or exc.status_code >= 500:
        return errors.http_error(request, exc)
    return page(
        request,
        "error.html",
        status=exc.status_code,
        title=errors.TITLES.get(exc.status_code, "Error"),
        message=str(exc.detail),
    )


def app_http_error(request: Req, exc: HTTPException) -> Response[Any]:
    """Outside any route (a mistyped address, a wrong method): a browser gets the error as
    a page, the API and static files keep problem+json."""
    if request.url.path.startswith(("/api/", "/schema", "/static/")):
        return errors.http_error(request, exc)
    if exc.status_code == 404 and _wants_page(request):
        exc = HTTPException(status_code=404, detail=f"There is no page at {request.url.path}.")
    return page_http_error(request, exc)


def app_server_error(request: Req, exc: Exception) -> Response[Any]:
    """Anything else that went wrong: logged by errors.server_error; a browser on a page
    gets the error as a page, never a stack trace or a JSON body."""
    answer = errors.server_error(request, exc)
    if request.url.path.startswith(("/api/", "/schema", "/static/")) or not _wants_page(request):
        return answer
    status = answer.status_code or 500
    body = answer.content if isinstance(answer.content, dict) else {}
    detail = str(body.get("detail", ""))
    shown = page(request, "error.html", status=status,
                 title=body.get("title") or errors.TITLES.get(status, "Error"),
                 message=detail[:1].upper() + detail[1:] + ".")
    # a database fault (503): the page says when to try again, as the API does
    if retry_after := answer.headers.get("Retry-After"):
        shown.headers["Retry-After"] = retry_after
    return shown


class PageBase(Controller):
    """Management pages: no OpenAPI entry; a refusal is a readable page for a browser and
    problem+json for anything else (the mapping of errors to statuses stays in errors.py)."""

    include_in_schema = False
    exception_handlers = {DomainError: page_domain_error, HTTPException: page_http_error}


async def location_choices() -> list[tuple[str, str]]:
    """Every live location with its path, for a <select>, in tree order."""
    from server.db import places_repo
    from server.domain.locations import path_of

    parents, names, tags = await places_repo.tree_maps()
    rows, _ = await places_repo.list_locations(
        parent_id=None, root_only=False, q=None, archived=False, limit=5000, offset=0
    )
    live = {r["id"] for r in rows}
    out = [(tags[i], " > ".join(path_of(i, parents, names))) for i in live]
    return sorted(out, key=lambda c: c[1].lower())


async def people_choices() -> list[tuple[str, str]]:
    from server.db import places_repo

    rows, _ = await places_repo.list_people(q=None, active=True, limit=5000, offset=0)
    return [(r["tag"], r["name"]) for r in rows]


def pager(total: int, page_no: int, size: int = PAGE_SIZE) -> dict[str, int]:
    pages = max(1, -(-total // size))
    return {"page": page_no, "pages": pages, "total": total, "size": size}
