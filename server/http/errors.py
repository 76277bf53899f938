"""The one place that turns errors into HTTP answers: RFC 9457 problem+json on the API,
a readable page elsewhere. Never a stack trace."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    SerializationException,
    ValidationException,
)
from litestar.response import Redirect

from server.db import faults as db_faults
from server.domain import fields
from server.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PasswordChangeRequired,
    TooLarge,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
)

log = logging.getLogger("tagtrack")

STATUS = [
    (NotFound, 404),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (Conflict, 409),
    (TooLarge, 413),  # before InvalidInput, its base
    (InvalidInput, 422),
    (Unavailable, 503),
    (TooManyAttempts, 429),
]
TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
    503: "Unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    code: str,
    field: str | None = None,
    retry_after: int | None = None,
    title: str | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"https://tagtrack.dev/problems/{code}",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field:
        body["field"] = field
    body.update({k: v for k, v in extra.items() if v})
    headers = {"WWW-Authenticate": 'Bearer realm="tagtrack"'} if status == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith(
        ("/api/", "/schema")
    ) and "text/html" in request.headers.get("accept", "")


def _to_login(request: Request[Any, Any, Any]) -> Redirect:
    """Back to the page asked for, query string included, after the login."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target, safe='/')}")


def _to_password_change(request: Request[Any, Any, Any]) -> Redirect:
    """To the form that chooses a new password, and then to the page asked for."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = "/"
    return Redirect(f"/account/password?next={quote(target, safe='/')}", status_code=303)


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status = next((s for cls, s in STATUS if isinstance(exc, cls)), 400)
    if status == 401 and _wants_page(request):
        return _to_login(request)
    if isinstance(exc, PasswordChangeRequired) and _wants_page(request):
        return _to_password_change(request)
    return problem(status, exc.message, code=exc.code, field=exc.field,
                   retry_after=getattr(exc, "retry_after", None),
                   title=getattr(exc, "title", None), details=exc.details or None)


_AT = re.compile(r"at `\$\.([\w.\[\]]+)`")
# msgspec names an unknown or missing field only in the message; the key is the parent
_NAMED = re.compile(r"(?:unknown|missing required) field `([^`]+)`|^field `([^`]+)`")
_BODY_KEYS = (None, "data", "body")


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Litestar/msgspec decoding errors: name the field and the reason, as 422."""
    items = exc.extra if isinstance(exc.extra, list) else []
    first = items[0] if items else {}
    message = str(first.get("message") or exc.detail)
    field = first.get("key") or (m.group(1) if (m := _AT.search(message)) else None)
    if named := _NAMED.search(message):
        name = named.group(1) or named.group(2)
        message = message.replace(f"field `{name}` ", "")
        field = name if field in _BODY_KEYS else f"{field}.{name}"
    source = first.get("source")
    source = getattr(source, "value", source)
    if field and field != "body" and source not in (None, "body"):
        message = f"{source} parameter {field}: {message}"
    elif field and field != "body":
        message = f"{field}: {_AT.sub('', message).strip(' -')}"
    return problem(
        422,
        fields.in_words(message),  # the field in words; `field` keeps its key
        code="invalid",
        field=None if field == "body" else field,
        errors=[{"field": i.get("key"), "message": i.get("message")} for i in items] or None,
    )


def _malformed_body(exc: HTTPException) -> bool:
    return isinstance(exc.__cause__, SerializationException)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthorizedException) and _wants_page(request):
        return _to_login(request)
    if _malformed_body(exc):
        return problem(
            422, f"the request body is not valid JSON: {exc.detail}", code="malformed_json"
        )
    status = exc.status_code
    code = {
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        415: "unsupported_media_type",
    }.get(status, "error")
    return problem(status, str(exc.detail), code=code)


def _out_of_range(exc: Exception) -> bool:
    """A number too large for the database's 64-bit integers (SQLite's driver raises
    OverflowError; asyncpg a DataError "... out of int64 range")."""
    if isinstance(exc, OverflowError):
        return True
    return type(exc).__name__ == "DataError" and "out of" in str(exc) and "range" in str(exc)


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if fault := db_faults.recognize(exc):  # busy, read-only, disk full, out of reach: 503
        return domain_error(request, fault)
    if _out_of_range(exc):  # the fields we know are checked; this is the net under the rest
        return problem(422, "a number in the request is too large", code="out_of_range")
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        500, "something went wrong on the server; it has been logged", code="server_error"
    )


HANDLERS: dict[Any, Any] = {
    DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: server_error,
}
