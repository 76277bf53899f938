"""The home page is a manager's morning page: what is overdue (and by how many days), what
is due back today, what to reorder, which units need repair, and the way into the reports
(the tracking advisor and utilization among them); then recent activity (a bulk change as
one line).

It is the first page everybody opens, so each figure is a count or a few rows through an
index, never a whole report: the advisor's count of suggestions (advisor.count_suggestions)
and the top and bottom of utilization each cost seconds on a million units, so the page
links to those reports instead of computing them."""

from __future__ import annotations

import datetime as dt

from litestar import get
from litestar.response import Template

from server.db import items_repo
from server.db.items_repo import ItemFilter
from server.domain.reports import suggested_order
from server.http import present
from server.http.auth import VIEW
from server.http.pages.common import PageBase, Req, page
from server.http.pages.timeline import recent_activity
from server.services import reports

LINES = 6
OUT_LINES = 10  # what is out: the demo alone has seven loans open


def end_of_local_day(now: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    local = now.astimezone(zone)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), zone)
    return midnight.astimezone(dt.UTC)


class DashboardPages(PageBase):
    @get("/", opt=VIEW)
    async def dashboard(self, request: Req) -> Template:
        now = dt.datetime.now(dt.UTC)
        zone = present.viewer_zone(request.scope.get("user"),
                                   request.cookies.get(present.TZ_COOKIE))
        day = await reports.morning(now, end_of_local_day(now, zone), lines=LINES)
        out, out_total = await reports.open_now(limit=OUT_LINES)
        low_rows, low_total = await items_repo.list_items(
            ItemFilter(low_stock=True), sort="sku", descending=False, limit=LINES, offset=0
        )
        low = []
        for r in low_rows:
            item = present.item(r, [])
            low.append({"item": item, "order": suggested_order(int(r["count"]),
                                                               int(r["reorder_point"]))})
        return page(
            request,
            "home.html",
            day=day,
            out=out,
            out_total=out_total,
            low=low,
            low_total=low_total,
            recent=await recent_activity(lines=10),
        )
