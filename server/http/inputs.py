"""Input as people and programs send it, before a handler reads it.

Text no database can store: PostgreSQL refuses a NUL character in any text. A query
string or path holding one is refused here; JSON bodies are checked by schemas.In and page
forms by pages_common.read_form.

Times: a form's date (and optional time) is local to the viewer, the API's due dates are
ISO 8601 with an offset, or without one in the site's zone (domain/timezones.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar.types import ASGIApp, Receive, Scope, Send

from server.domain import timezones
from server.domain.errors import InvalidInput
from server.services.local_time import site_zone


def local_date_time(day: str, time: str, zone: ZoneInfo, field: str) -> dt.datetime | None:
    """<input type="date"> and an optional <input type="time">, read in `zone`: a date
    alone is the end of that day (23:59:59 there); both empty is None."""
    return timezones.parse_date_and_time(day, time, zone, field)


def api_moment(text: str | None, field: str) -> dt.datetime | None:
    """An API due date: ISO 8601 with an offset is that moment; without one (a plain date
    means the end of that day) it is read in the site's zone (TAGTRACK_TIME_ZONE)."""
    if text is None:
        return None
    return timezones.parse_moment(text, site_zone(), field)


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"")
            if b"%00" in query or b"\x00" in query or "\x00" in scope["path"]:
                raise InvalidInput("the address must not contain a NUL character (%00)",
                                   field="query")
        await self.app(scope, receive, send)
