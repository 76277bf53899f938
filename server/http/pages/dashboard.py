"""The home page is the dashboard: what is out, what is overdue, low stock, recent activity
(a bulk change as one line)."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from server.db import items_repo
from server.db.items_repo import ItemFilter
from server.http import present
from server.http.auth import VIEW
from server.http.pages.common import PageBase, Req, page
from server.http.pages.timeline import recent_activity
from server.services import loans


class DashboardPages(PageBase):
    @get("/", opt=VIEW)
    async def dashboard(self, request: Req) -> Template:
        out, out_total = await loans.open_loans(limit=8)
        overdue, overdue_total = await loans.open_loans(overdue=True, limit=8)
        low_rows, low_total = await items_repo.list_items(
            ItemFilter(low_stock=True), sort="sku", descending=False, limit=8, offset=0
        )
        _, item_total = await items_repo.list_items(
            ItemFilter(), sort="id", descending=False, limit=1, offset=0
        )
        return page(
            request,
            "home.html",
            out=out,
            out_total=out_total,
            overdue=overdue,
            overdue_total=overdue_total,
            low=[present.item(r, []) for r in low_rows],
            low_total=low_total,
            item_total=item_total,
            recent=await recent_activity(lines=12),
        )
