"""The Reports section: /reports lists them all; /reports/{report} shows one with the
shared filters, a chart where a picture reads faster, the rows, and the exports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from litestar import Response, get
from litestar.response import Template

from server.domain.errors import NotFound
from server.http import charts
from server.http.auth import VIEW
from server.http.pages import reports_common as common
from server.http.pages.common import PageBase, Req, page
from server.services.reports import NAMES, Report

ROWS_SHOWN = 200
ABOUT = {
    "low-stock": "Items at or below their reorder point, with a suggested order.",
    "stock-value": "What the stock is worth, by item, category or location, today or on a "
                   "past date.",
    "loans-by-person": "Check-outs, returns, days held and on-time returns per person.",
    "overdue": "Loans past their due date, the longest overdue first.",
    "no-due-date": "Loans that nobody set a due date for.",
    "repairs": "Units in repair, or marked as needing repair or damaged.",
    "shrinkage": "Counts adjusted down and units lost, in quantity and value.",
}
OTHERS = [("/reports/utilization", "Utilization",
           "Which units are always out and which never move."),
          ("/reports/advisor", "Tracking advisor",
           "Items to count instead of serialize, and the other way round.")]


def money(value: float) -> str:
    return f"{value:,.2f}"


def _chart(report: Report, f: Any) -> Any:
    if report.name == "stock-value":
        by = report.totals.get("by", "item")
        key = {"item": "name", "category": "category", "location": "location"}[by]
        bars = [charts.Bar(str(r[key]), float(r["value"])) for r in report.rows[:12]]
        return charts.bar_chart(bars, chart_id="value-chart", title=f"Value by {by}",
                                desc=f"Stock value by {by} on {report.totals['as_of']}, "
                                     "the twelve largest", fmt=money,
                                label_header=by.capitalize(), value_header="Value")
    if report.name == "shrinkage":
        months = report.totals["months"]
        keys = list(months)
        labels = [dt.date(int(k[:4]), int(k[5:]), 1).strftime("%b %Y") for k in keys]
        stacks = [charts.Stack(cause.capitalize(), [float(months[k][cause]) for k in keys])
                  for cause in ("adjusted down", "unit lost")]
        return charts.column_chart(labels, stacks, chart_id="shrink-chart",
                                   title="Shrinkage by month",
                                   desc="Value of counts adjusted down and of units lost, "
                                        "per month", fmt=money)
    if report.name == "loans-by-person":
        busiest = sorted(report.rows, key=lambda r: (-r["check_outs"], r["person"]))[:12]
        bars = [charts.Bar(r["person"], r["check_outs"]) for r in busiest]
        return charts.bar_chart(bars, chart_id="loans-chart", title="Check-outs per person",
                                desc="Check-outs in the period, per person, the twelve "
                                     "busiest",
                                label_header="Person", value_header="Check-outs")
    return None


def _show(value: Any, kind: str) -> str:
    if value is None or value == "":
        return "—" if kind in ("money", "share", "datetime") else ""
    if kind == "money":
        return money(float(Decimal(str(value))))
    if kind == "share":
        return f"{float(value) * 100:.0f}%"
    if kind == "int":
        return f"{int(value):,}"
    return str(value)


class ReportPages(PageBase):
    @get("/reports", opt=VIEW)
    async def index(self, request: Req) -> Template:
        mine = [(f"/reports/{n}", t, ABOUT[n]) for n, t in NAMES.items()]
        return page(request, "reports.html", reports=mine + OTHERS)

    @get("/reports/{report:str}", opt=VIEW)
    async def report(self, request: Req, report: str) -> Template | Response[Any]:
        if report not in NAMES:
            raise NotFound(f"There is no report called {report}.", field="report")
        f = common.read_filter(request)
        fmt = common.read_format(request, default="html") if request.query_params.get(
            "format") else "html"
        export = fmt in ("csv", "xlsx")
        result = await common.run_report(report, request, f,
                                         limit=None if export else ROWS_SHOWN)
        if export:
            return await common.export(report, result.columns, result.rows, f, fmt)
        q = request.query_params
        extra = {k: str(q.get(k)) for k in ("by", "as_of") if q.get(k)}
        context = await common.filter_context(
            request, f, extra=extra,
            show_period=report in ("loans-by-person", "shrinkage"))
        return page(request, "report.html", name=report, report=result, about=ABOUT[report],
                    rows=result.rows[:ROWS_SHOWN], shown=min(len(result.rows), ROWS_SHOWN),
                    total=result.total if result.total is not None else len(result.rows),
                    chart=_chart(result, f), show=_show, by=q.get("by") or "",
                    as_of=q.get("as_of") or "", **context)
