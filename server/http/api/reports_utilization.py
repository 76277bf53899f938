"""/api/v1/reports/utilization: how much units and items were used over the period
(server/services/utilization.py), as JSON, or every filtered row as CSV or XLSX.

Filters as on every report (start, end, location, category, item: see api/reports.py);
`view` picks the rows: items (default), units, always_out, never_moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Response, get

from server.domain.errors import InvalidInput
from server.domain.reports import Column
from server.http.auth import VIEW
from server.http.pages import reports_common as common
from server.http.paging import Limit, Offset, Req, actor_of
from server.services import local_time
from server.services import utilization as usage

VIEWS = ("items", "units", "always_out", "never_moves")
EXPORT_MAX = 200_000  # rows of one export; a bigger one is refused, never cut

ITEM_COLUMNS = [
    Column("sku", "SKU"), Column("name", "Item"), Column("category", "Category"),
    Column("owned", "Units owned", "int"), Column("share", "Share of time out", "share"),
    Column("out_days", "Days out (all units)"), Column("checkouts", "Check-outs", "int"),
    Column("borrowers", "Borrowers", "int"), Column("peak", "Most out at once", "int"),
    Column("peak_days", "Days at that peak", "int"), Column("verdict", "Verdict"),
    Column("verdict_sentence", "Why"),
]
UNIT_COLUMNS = [
    Column("tag", "Tag"), Column("serial", "Serial"), Column("sku", "SKU"),
    Column("item_name", "Item"), Column("status", "Status"), Column("location", "Location"),
    Column("share", "Share of time out", "share"), Column("out_days", "Days out"),
    Column("checkouts", "Check-outs", "int"), Column("borrowers", "Borrowers", "int"),
    Column("days_since_moved", "Days since last movement", "int"),
    Column("last_moved_at", "Last moved", "datetime"),
    Column("last_seen_at", "Last seen", "datetime"),
]


def read_view(request: Req) -> str:
    view = str(request.query_params.get("view") or "items")
    if view not in VIEWS:
        raise InvalidInput(f"view must be one of: {', '.join(VIEWS)}", field="view")
    return view


async def run(request: Req, view: str, *, limit: int, offset: int, everything: bool
              ) -> dict[str, Any]:
    """The view's answer with the request's filters; `everything`: every row (exports)."""
    f = common.read_filter(request)
    zone = local_time.zone_of(actor_of(request))
    r = await usage.resolve(f, dt.datetime.now(dt.UTC), zone, limit=limit, offset=offset)
    if view == "items":
        return await usage.items(r, zone, everything=everything)
    if view == "units":
        return await usage.units(r, everything=everything)
    if view == "always_out":
        return await usage.always_out(r, limit=EXPORT_MAX + 1 if everything else limit)
    return await usage.never_moves(r, limit=EXPORT_MAX if everything else limit)


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return common.cell(value)


class UtilizationController(Controller):
    path = "/api/v1/reports/utilization"
    tags = ["reports"]

    @get("/", opt=VIEW, summary="Utilization of units and items over a period "
                                "(JSON, CSV or XLSX)")
    async def utilization(self, request: Req, limit: Limit = 50,
                          offset: Offset = 0) -> Response[Any]:
        view = read_view(request)
        fmt = common.read_format(request)
        if fmt == "json":
            return Response(_json(await run(request, view, limit=limit, offset=offset,
                                            everything=False)))
        answer = await run(request, view, limit=limit, offset=0, everything=True)
        rows = answer["items"] if view == "items" else answer["units"]
        if len(rows) > EXPORT_MAX or answer.get("more"):
            raise InvalidInput(f"the export would hold more than {EXPORT_MAX:,} rows: "
                               "narrow the filters (location, category, item)", field="view")
        columns = ITEM_COLUMNS if view == "items" else UNIT_COLUMNS
        return await common.export(f"utilization-{view}", columns, rows,
                                   common.read_filter(request), fmt)
