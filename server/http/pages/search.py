"""/search: the header's search box. One hit opens its page, several are listed by kind,
none says so with the text kept in the box (services/search.py decides what a text names)."""

from __future__ import annotations

from litestar import get
from litestar.response import Redirect, Template

from server.domain.errors import InvalidInput
from server.http.auth import VIEW
from server.http.pages.common import PageBase, Req, page
from server.services import search


class SearchPages(PageBase):
    @get("/search", opt=VIEW)
    async def search(self, request: Req, q: str = "") -> Redirect | Template:
        try:
            found = await search.search(q)
        except InvalidInput as exc:
            return page(request, "search.html", status=422, q=q[: search.MAX_QUERY],
                        found=None, error=exc.message)
        if found.only is not None:
            return Redirect(found.only.url, status_code=303)
        return page(request, "search.html", q=found.query, found=found, error=None,
                    max_query=search.MAX_QUERY)
