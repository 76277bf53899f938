"""Text no database can store: PostgreSQL refuses a NUL character in any text. A query
string or path holding one is refused here, before a handler reads it; JSON bodies are
checked by schemas.In and page forms by pages_common.read_form."""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from server.domain.errors import InvalidInput


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
