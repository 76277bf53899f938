"""The reports as JSON (and as CSV or XLSX with ?format=): /api/v1/reports/{report}.

Filters on every report: start, end (dates, the period, 90 days to today by default),
location (a tag: it and everything under it), category, item (a SKU); limit and offset
page the JSON rows; `format=csv|xlsx` downloads every filtered row instead."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get

from server.http.auth import VIEW
from server.http.pages import reports_common as common
from server.http.paging import Limit, Offset, Req
from server.services.reports import NAMES


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]

    @get("/", opt=VIEW, summary="The reports there are")
    async def index(self) -> dict[str, Any]:
        return {"reports": [{"name": n, "title": t, "url": f"/api/v1/reports/{n}"}
                            for n, t in NAMES.items()]}

    @get("/{report:str}", opt=VIEW, summary="One report's rows, filtered (JSON, CSV or XLSX)")
    async def report(self, request: Req, report: str, limit: Limit = 100,
                     offset: Offset = 0) -> Response[Any]:
        if report not in NAMES:
            from server.domain.errors import NotFound

            raise NotFound(f"no report {report}; there are {', '.join(NAMES)}",
                           field="report")
        f = common.read_filter(request)
        fmt = common.read_format(request)
        paged = fmt == "json"
        result = await common.run_report(report, request, f, limit=limit if paged else None,
                                         offset=offset if paged else 0)
        if fmt != "json":
            return await common.export(report, result.columns, result.rows, f, fmt)
        return Response(common.as_json(report, result.columns, result.rows, f, limit=limit,
                                       offset=offset, totals=result.totals,
                                       total=result.total))
