"""/exports/{kind}: the list pages' "Export CSV / XLSX" links. The same download as
GET /api/v1/exports/{kind}, with the page's filters; a refusal (an XLSX with more rows than
a sheet holds, say) is a readable page, not problem+json."""

from __future__ import annotations

from litestar import get
from litestar.response import Stream

from server.http.api.exports import export_response
from server.http.auth import VIEW
from server.http.pages.common import PageBase


class ExportPages(PageBase):
    @get("/exports/{kind:str}", opt=VIEW)
    async def export(
        self, kind: str, format: str = "csv",
        tracking: str | None = None, category: str | None = None, q: str | None = None,
        location: str | None = None, item: str | None = None, advice: str | None = None,
    ) -> Stream:
        """The pages link with the filters they have: the catalog (q, tracking, category,
        location, advice), an item's units and stock (item), a location's (location), people (q).
        Empty values are filters not in use."""
        given = {"tracking": tracking, "category": category, "q": q, "location": location,
                 "item": item, "advice": advice}
        return await export_response(kind, format, {k: v or None for k, v in given.items()})
