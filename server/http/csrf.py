"""Cross-site request forgery: what a request authenticated by the session cookie must
show before it may change anything.

The rule depends on how the request was authenticated (AuthMiddleware records it), never on
a header an attacker can make a browser send:

- Session cookie (a browser): every unsafe method (POST, PUT, PATCH, DELETE) carries the
  session's CSRF token, in the `csrf` form field (page forms) or the X-CSRF-Token header
  (the API, and any script), and the request must come from this site: an Origin header,
  when sent, names this server (its Host, PUBLIC_URL or an OLD_PUBLIC_URLS entry), and
  Sec-Fetch-Site, when sent, is `same-origin` ("same-site" is refused: a page on another
  port of the same host is same-site). The token is an HMAC of the session secret, so a
  page elsewhere cannot know it, and it needs no storage.
- API token (Authorization: Bearer): no CSRF check; a browser never sends it by itself.
- The login form (no session yet): a double-submit token, a random value in a cookie of
  its own (`tagtrack_login_csrf`, HttpOnly) that the form repeats, plus the same origin
  rule. Cookies are not kept apart by port, so the origin rule is what stops a page on
  another port of the same host from planting its own cookie and token.

JSON endpoints take only JSON: an unsafe /api/ request with a body of another media type
(text/plain, a form) is refused with 415 before anything reads it.

Litestar's CSRFConfig does not fit: it decides per route rather than per authentication
method, and its double-submit cookie is not bound to the session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException

from server.domain.errors import Forbidden
from server.settings import get_settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HEADER = "x-csrf-token"
FIELD = "csrf"
LOGIN_COOKIE = "tagtrack_login_csrf"
SESSION, TOKEN = "session", "token"  # how a request was authenticated (scope["auth"])

Conn = ASGIConnection[Any, Any, Any, Any]


def session_token(session_secret: str) -> str:
    """The CSRF token of a session: bound to it, so a form from another site cannot know
    it; the same for every form and request of the session."""
    if not session_secret:
        return ""
    return hmac.new(session_secret.encode(), b"tagtrack-page-form", hashlib.sha256).hexdigest()


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def _refuse(message: str) -> Forbidden:
    return Forbidden(message, code="csrf")


def _own_origins(connection: Conn) -> set[str]:
    settings = get_settings()
    own = {_netloc(u) for u in (settings.public_url, *settings.old_public_urls)}
    if host := connection.headers.get("host"):
        own.add(host.lower())
    return own


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


def check_origin(connection: Conn) -> None:
    """Refuse an unsafe request that a browser says came from another site. A request
    without these headers (an old browser, curl) passes here and is judged by its token."""
    site = connection.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        raise _refuse(f"this request came from another site (Sec-Fetch-Site: {site}); "
                      "send it from this site's own pages")
    origin = connection.headers.get("origin")
    if origin is None:
        return
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() not in _own_origins(
            connection):
        raise _refuse(f"this request came from another site (Origin: {origin[:100]}); "
                      "send it from this site's own pages")


async def check_session_request(connection: Conn, session_secret: str) -> None:
    """An unsafe request authenticated by the session cookie: same origin, and the
    session's token in the X-CSRF-Token header or the form's csrf field."""
    check_origin(connection)
    expected = session_token(session_secret)
    sent = connection.headers.get(HEADER, "")
    api = connection.scope["path"].startswith("/api/")
    if not sent and not api and isinstance(connection, Request):
        value = (await connection.form()).get(FIELD, "")
        sent = value.strip() if isinstance(value, str) else ""
    if expected and sent and hmac.compare_digest(sent, expected):
        return
    if api:
        raise _refuse("a request made with the session cookie must send the session's "
                      "CSRF token in the X-CSRF-Token header (GET /api/v1/users/me/csrf "
                      "gives it); API clients should use a token (Authorization: Bearer)")
    raise _refuse("this form is out of date or came from another site: "
                  "reload the page and send it again")


def check_login_form(connection: Conn, sent: str) -> None:
    """The login form: same origin, and the token of its cookie repeated in the form."""
    check_origin(connection)
    expected = connection.cookies.get(LOGIN_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise _refuse("this login form is out of date or came from another site: "
                      "log in again from this page")


_JSON_TYPES = ("application/json",)


def require_json(connection: Conn) -> None:
    """An unsafe /api/ request with a body must say the body is JSON."""
    headers = connection.headers
    if headers.get("content-length", "0") in ("", "0") and "transfer-encoding" not in headers:
        return
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json")):
        return
    raise HTTPException(
        status_code=415,
        detail=f"the body must be JSON (Content-Type: application/json), not "
               f"{media or 'a body without a Content-Type'}",
    )
