"""/reports/utilization: the utilization report as a page (server/services/utilization.py):
the verdicts about buying, the lists (always out, never moves, idle units of busy items)
with a sentence each, charts (share of time out per item or unit; for one item, its units
out over time against the units it owns), the rows, and their CSV/XLSX."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from litestar import Response, get
from litestar.response import Template

from server.domain import utilization as rules
from server.http import charts, present
from server.http.api.reports_utilization import (
    ITEM_COLUMNS,
    UNIT_COLUMNS,
    read_view,
)
from server.http.auth import VIEW
from server.http.pages import reports_common as common
from server.http.pages.common import PageBase, Req, page
from server.services import utilization as usage

ITEMS_SHOWN = 25  # item rows per page (each has a verdict and idle units)
UNITS_SHOWN = 50
BARS = 12  # bars of a chart


def _percent(value: float) -> str:
    return f"{value:.0f}%"


def _share_bars(rows: list[dict[str, Any]], label: str, href: Any) -> list[charts.Bar]:
    return [charts.Bar(str(r[label]), round(float(r["share"]) * 100, 1), href(r))
            for r in sorted(rows, key=lambda r: -float(r["share"]))[:BARS]]


def _units_out_chart(item: dict[str, Any], points: list[tuple[dt.date, int]]) -> Any:
    owned = int(item["owned"])
    return charts.step_chart(
        [charts.Series("Most out that day", [(d, float(n)) for d, n in points])],
        chart_id="units-out-chart",
        title=f"{item['name']}: units out against units owned",
        desc=f"The most units of {item['name']} out at once on each day of the period, "
             f"against the {owned} owned now",
        reference=("Owned now", float(owned)))


class UtilizationPages(PageBase):
    @get("/reports/utilization", opt=VIEW)
    async def utilization(self, request: Req) -> Template | Response[Any]:
        view = read_view(request)
        if view not in ("items", "units"):
            view = "items"
        f = common.read_filter(request)
        actor = request.scope.get("user")
        zone = present.viewer_zone(actor, request.cookies.get(present.TZ_COOKIE))
        q = request.query_params
        offset = max(0, int(q.get("offset") or 0)) if str(q.get("offset") or "0").isdigit() \
            else 0
        limit = ITEMS_SHOWN if view == "items" else UNITS_SHOWN
        fmt = str(q.get("format") or "html")
        if fmt != "html":
            fmt = common.read_format(request)
        now = dt.datetime.now(dt.UTC)
        r = await usage.resolve(f, now, zone, limit=limit, offset=offset)
        if fmt in ("csv", "xlsx"):
            answer = await (usage.items(r, zone, everything=True) if view == "items"
                            else usage.units(r, everything=True))
            rows = answer["items"] if view == "items" else answer["units"]
            return await common.export(f"utilization-{view}",
                                       ITEM_COLUMNS if view == "items" else UNIT_COLUMNS,
                                       rows, f, fmt)
        context = await common.filter_context(request, f, extra={"view": view})
        link = self._linker(request, f, view)
        item_rows = units_rows = None
        chart = unit_chart = None
        chart_title = "Share of time out per item"
        total = 0
        if view == "items":
            answer = await usage.items(r, zone)
            item_rows, total = answer["items"], answer["total"]
            chart = charts.bar_chart(
                _share_bars(item_rows, "name", lambda i: link(view="units", item=i["sku"])),
                chart_id="item-share-chart", title="Share of time out per item",
                desc="Share of the period the units each item owns were out, this page's "
                     "items, the highest first", fmt=_percent, label_header="Item",
                value_header="Time out")
        else:
            answer = await usage.units(r)
            units_rows, total = answer["units"], answer["total"]
        if r.scope.item_id is not None:
            one = await usage.items(await usage.resolve(f, now, zone, limit=1), zone)
            if one["items"]:
                item = one["items"][0]
                chart = _units_out_chart(item, await usage.daily_units_out(r, zone))
                chart_title = f"{item['name']}: most out each day against units owned"
            every = units_rows if units_rows is not None else \
                (await usage.units(r))["units"]
            unit_chart = charts.bar_chart(
                _share_bars(every, "tag", lambda u: f"/units/{u['tag']}"),
                chart_id="unit-share-chart", title="Share of time out per unit",
                desc="Share of the period each unit was out, the highest first",
                fmt=_percent, label_header="Unit", value_header="Time out")
        elif units_rows is not None:
            unit_chart = charts.bar_chart(
                _share_bars(units_rows, "tag", lambda u: f"/units/{u['tag']}"),
                chart_id="unit-share-chart", title="Share of time out per unit",
                desc="Share of the period each unit on this page was out, the highest first",
                fmt=_percent, label_header="Unit", value_header="Time out")
        always = await usage.always_out(r)
        never = await usage.never_moves(r)
        idle = [u for i in (item_rows or []) for u in i["idle_units"]]
        return page(
            request, "reports_utilization.html", view=view, r=r, items=item_rows,
            units=units_rows, total=total, offset=offset, limit=limit, chart=chart,
            chart_title=chart_title, unit_chart=unit_chart, always=always, never=never,
            idle=idle,
            buy=[i for i in item_rows or [] if i["verdict"] == "buy_more"],
            stop=[i for i in item_rows or [] if i["verdict"] == "stop_buying"],
            link=link, days=r.days, rules=rules, **context)

    @staticmethod
    def _linker(request: Req, f: Any, view: str) -> Any:
        def link(**changes: Any) -> str:
            query = {**f.query(), "view": view}
            query.update({k: str(v) for k, v in changes.items() if v is not None})
            return f"{request.url.path}?{urlencode(query)}"
        return link
